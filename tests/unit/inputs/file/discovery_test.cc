#include "inputs/file/discovery.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

using logship::glob_match;

TEST_CASE("** matches zero or more directories") {
  CHECK(glob_match("/var/log/**/*.log", "/var/log/a.log"));
  CHECK(glob_match("/var/log/**/*.log", "/var/log/x/y/z/a.log"));
  CHECK_FALSE(glob_match("/var/log/**/*.log", "/var/log/x/a.txt"));
  CHECK(glob_match("/var/log/*/*.log", "/var/log/x/a.log"));
  CHECK_FALSE(glob_match("/var/log/*/*.log", "/var/log/x/y/a.log"));
  CHECK(glob_match("/a/**", "/a/b/c"));
}

TEST_CASE("discovery walks **, follows symlinks, applies excludes and lists watch dirs") {
  namespace fs = std::filesystem;
  char name[] = "/tmp/logship-discovery-XXXXXX";
  REQUIRE(::mkdtemp(name) != nullptr);
  const fs::path root = name;
  fs::create_directories(root / "pods/ns_pod_uid/app");
  fs::create_directories(root / "containers");
  std::ofstream(root / "pods/ns_pod_uid/app/0.log") << "x\n";
  std::ofstream(root / "pods/ns_pod_uid/app/0.log.gz") << "x\n";
  std::ofstream(root / "top.log") << "x\n";
  fs::create_symlink(root / "pods/ns_pod_uid/app/0.log", root / "containers/pod_ns_app.log");

  const auto found = logship::discover({(root / "**/*.log").string()}, {"*.gz"});
  CHECK(found.files == std::vector<std::string>{
                           (root / "containers/pod_ns_app.log").string(),
                           (root / "pods/ns_pod_uid/app/0.log").string(),
                           (root / "top.log").string(),
                       });
  CHECK(std::ranges::find(found.directories, (root / "pods/ns_pod_uid/app").string()) !=
        found.directories.end());
  const auto containers = logship::discover({(root / "containers/*.log").string()}, {});
  CHECK(containers.files.size() == 1);
  fs::remove_all(root);
}

TEST_CASE("discovery names what it cannot use: a directory given as a path, a glob unmatched") {
  namespace fs = std::filesystem;
  char name[] = "/tmp/logship-discovery-XXXXXX";
  REQUIRE(::mkdtemp(name) != nullptr);
  const fs::path root = name;
  fs::create_directories(root / "adir");
  fs::create_directories(root / "sub/deeper");
  std::ofstream(root / "a.log") << "x\n";

  const std::string unmatched = (root / "none/*.log").string();
  const auto found = logship::discover(
      {(root / "a.log").string(), (root / "adir").string(), unmatched, (root / "*").string()}, {});
  CHECK(found.files == std::vector<std::string>{(root / "a.log").string()});
  // A wildcard that also matches directories is no problem; naming one is.
  CHECK(found.problems == std::vector<logship::PathProblem>{
                              {(root / "adir").string(), "is a directory"},
                              {unmatched, "no match"},
                          });
  fs::remove_all(root);
}
