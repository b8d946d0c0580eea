#pragma once
// TempFile: a temporary file holding given content, open for reading and writing, removed
// at scope exit. For unit tests only.

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

namespace logship::testing {

struct TempFile {
  explicit TempFile(const std::string& content) {
    char name[] = "/tmp/logship-test-XXXXXX";
    fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    path = name;
    REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  }
  ~TempFile() {
    ::close(fd);
    ::unlink(path.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd;
  std::string path;
};

}  // namespace logship::testing
