#include "inputs/file/file_identity.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "tests/unit/temp_file.h"

using logship::testing::TempFile;

TEST_CASE("files with the same header have the same head hash but differ by inode") {
  const std::string header(2048, 'h');
  TempFile a(header + "a\n");
  TempFile b(header + "b\n");
  const auto ida = logship::identify(a.fd).value();
  const auto idb = logship::identify(b.fd).value();
  CHECK(ida.head == idb.head);
  CHECK(ida.head.length == logship::kHeadBytes);
  CHECK_FALSE(ida.same_inode(idb));
}

TEST_CASE("a checkpoint matches only the same inode with the same head and tail bytes") {
  TempFile file("first line\nsecond line\n");
  const auto saved = logship::identify(file.fd).value();
  const auto tail = logship::fingerprint(file.fd, 0, 11).value();  // the bytes before offset 11
  CHECK(logship::matches_checkpoint(file.fd, saved, saved, 11, tail));

  auto other_inode = saved;
  other_inode.inode += 1;
  CHECK_FALSE(logship::matches_checkpoint(file.fd, saved, other_inode, 11, tail));

  REQUIRE(::pwrite(file.fd, "FIRST", 5, 0) == 5);  // rewritten while we were away
  const auto now = logship::identify(file.fd).value();
  CHECK_FALSE(logship::matches_checkpoint(file.fd, now, saved, 11, tail));
}

TEST_CASE("a file shorter than the saved offset does not match") {
  TempFile file("abc\n");
  const auto saved = logship::identify(file.fd).value();
  CHECK_FALSE(logship::matches_checkpoint(file.fd, saved, saved, 100, {16, 1}));
}
