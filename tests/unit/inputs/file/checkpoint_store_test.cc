#include "inputs/file/checkpoint_store.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

using logship::CheckpointEntry;

namespace {

std::vector<CheckpointEntry> sample() {
  return {
      {.scope = "app/out",
       .identity = {.device = 64768, .inode = 1234, .head = {1024, 0xdeadbeefcafef00d}},
       .offset = 99999,
       .tail = {256, 0x1234},
       .updated_unix_s = 1'790'000'000,
       .path = "/var/log/app.log"},
      {.scope = "b\tc", .identity = {.device = 1, .inode = 2}, .path = "/odd\npath\\x"},
  };
}

std::string temp_dir() {
  char name[] = "/tmp/logship-checkpoints-XXXXXX";
  REQUIRE(::mkdtemp(name) != nullptr);
  return name;
}

}  // namespace

TEST_CASE("checkpoints round-trip, odd characters in paths included") {
  const auto entries = sample();
  const auto parsed = logship::parse_checkpoints(logship::serialize_checkpoints(entries));
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->size() == 2);
  CHECK((*parsed)[0].offset == 99999);
  CHECK((*parsed)[0].identity.head.hash == 0xdeadbeefcafef00d);
  CHECK((*parsed)[0].tail.length == 256);
  CHECK((*parsed)[1].scope == "b\tc");
  CHECK((*parsed)[1].path == "/odd\npath\\x");
}

TEST_CASE("every truncation of a checkpoint file is detected, never half-trusted") {
  const std::string text = logship::serialize_checkpoints(sample());
  for (size_t cut = 0; cut < text.size(); ++cut) {
    CAPTURE(cut);
    CHECK_FALSE(logship::parse_checkpoints(text.substr(0, cut)).has_value());
  }
}

TEST_CASE("a flipped byte is reported as corrupt") {
  std::string text = logship::serialize_checkpoints(sample());
  text[40] ^= 0x01;
  const auto parsed = logship::parse_checkpoints(text);
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().message.find("corrupt") != std::string::npos);
}

TEST_CASE("the store loads what it saved, and a missing file is empty") {
  const std::string dir = temp_dir();
  logship::CheckpointStore store(dir);
  CHECK(store.load().value().empty());
  REQUIRE(store.save(sample()).has_value());
  CHECK(store.load().value().size() == 2);
  std::ofstream(store.path()) << "garbage";
  const auto broken = store.load();
  REQUIRE_FALSE(broken.has_value());
  CHECK(broken.error().message.find(store.path()) != std::string::npos);
  ::unlink(store.path().c_str());
  ::rmdir(dir.c_str());
}
