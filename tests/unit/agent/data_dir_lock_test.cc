#include "agent/data_dir_lock.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace {

using logship::check_data_dir;
using logship::DataDirLock;

// A fresh directory, removed with everything in it at scope exit.
struct TempDir {
  TempDir() {
    char name[] = "/tmp/logship-lock-XXXXXX";
    REQUIRE(::mkdtemp(name) != nullptr);
    path = name;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path;
};

std::string read(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("acquire creates the directory and writes the holder's pid into its lock file") {
  TempDir temp;
  const std::string dir = temp.path + "/a/b";
  auto lock = DataDirLock::acquire(dir);
  REQUIRE(lock);
  CHECK(lock->dir() == dir);
  CHECK(std::filesystem::is_directory(dir));
  CHECK(read(dir + "/lock") == std::to_string(::getpid()) + "\n");
}

TEST_CASE("a second holder is refused with the first one's pid until the first lets go") {
  TempDir temp;
  {
    auto first = DataDirLock::acquire(temp.path);
    REQUIRE(first);
    // flock is per open file: a second open in this process conflicts as another one would.
    auto second = DataDirLock::acquire(temp.path);
    REQUIRE_FALSE(second);
    CHECK(second.error().code == logship::ErrorCode::kInvalidConfig);
    CHECK(contains(second.error().message, "(pid " + std::to_string(::getpid()) + ")"));
    CHECK(contains(second.error().message, temp.path));
    CHECK(read(temp.path + "/lock") == std::to_string(::getpid()) + "\n");
  }
  CHECK(DataDirLock::acquire(temp.path));
  CHECK(std::filesystem::exists(temp.path + "/lock"));  // the file outlives its holders
}

TEST_CASE("a moved lock still holds the directory") {
  TempDir temp;
  auto first = DataDirLock::acquire(temp.path);
  REQUIRE(first);
  const DataDirLock moved = std::move(*first);
  CHECK_FALSE(DataDirLock::acquire(temp.path));
}

TEST_CASE("a data_dir under a regular file cannot be created, and says why") {
  TempDir temp;
  const std::string file = temp.path + "/file";
  std::ofstream(file) << "x";
  const std::string dir = file + "/data";
  const auto checked = check_data_dir(dir);
  REQUIRE_FALSE(checked);
  CHECK(checked.error().message == dir + ": cannot create: Not a directory");
  const auto lock = DataDirLock::acquire(dir);
  REQUIRE_FALSE(lock);
  CHECK(lock.error().message == "data_dir " + dir + ": cannot create: Not a directory");
  CHECK(check_data_dir(file).error().message == file + ": cannot create: File exists");
}

TEST_CASE("check_data_dir accepts a directory that exists or can be made, creating nothing") {
  TempDir temp;
  CHECK(check_data_dir(temp.path));
  CHECK(check_data_dir(temp.path + "/x/y/z"));
  CHECK_FALSE(std::filesystem::exists(temp.path + "/x"));
  CHECK_FALSE(check_data_dir(""));
}

TEST_CASE("a directory the user may not write is refused (skipped as root, who may)") {
  if (::geteuid() == 0) return;
  TempDir temp;
  REQUIRE(::chmod(temp.path.c_str(), 0500) == 0);
  CHECK(check_data_dir(temp.path).error().message ==
        temp.path + ": not writable: Permission denied");
  CHECK(check_data_dir(temp.path + "/sub").error().message ==
        temp.path + "/sub: cannot create: Permission denied");
  ::chmod(temp.path.c_str(), 0700);
}
