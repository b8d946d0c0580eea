#include "inputs/parse/container_line.h"

#include <doctest/doctest.h>

#include "inputs/parse/timestamp.h"

namespace logship {
namespace {

TEST_CASE("CRI full and partial lines") {
  auto full = parse_cri("2023-11-14T22:13:20.000000001Z stdout F hello world");
  REQUIRE(full);
  CHECK(full->time_ns == *parse_rfc3339("2023-11-14T22:13:20Z") + 1);
  CHECK(full->stream == "stdout");
  CHECK_FALSE(full->partial);
  CHECK(full->message == "hello world");

  auto partial = parse_cri("2023-11-14T22:13:20Z stderr P part ");
  REQUIRE(partial);
  CHECK(partial->partial);
  CHECK(partial->stream == "stderr");
  CHECK(partial->message == "part ");
}

TEST_CASE("CRI empty messages and multi-part tags") {
  auto empty = parse_cri("2023-11-14T22:13:20Z stdout F");
  REQUIRE(empty);
  CHECK(empty->message.empty());
  auto tagged = parse_cri("2023-11-14T22:13:20Z stdout P:x msg");
  REQUIRE(tagged);
  CHECK(tagged->partial);
  CHECK(tagged->message == "msg");
}

TEST_CASE("CRI rejects lines that are not CRI") {
  for (const char* bad : {"", "hello", "2023-11-14T22:13:20Z stdout", "2023-11-14T22:13:20Z  F x",
                          "2023-11-14T22:13:20Z stdout X msg", "notatime stdout F msg"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_cri(bad));
  }
}

TEST_CASE("Docker json-file lines, split lines are partial") {
  FieldCollector scratch;
  auto line = parse_docker(
      R"({"log":"hello \"x\"\n","stream":"stderr","time":"2023-11-14T22:13:20.5Z"})", scratch);
  REQUIRE(line);
  CHECK(line->message == "hello \"x\"");
  CHECK(line->stream == "stderr");
  CHECK_FALSE(line->partial);
  CHECK(line->time_ns == *parse_rfc3339("2023-11-14T22:13:20.5Z"));

  auto split = parse_docker(
      R"({"log":"first half","stream":"stdout","time":"2023-11-14T22:13:20Z"})", scratch);
  REQUIRE(split);
  CHECK(split->partial);
  CHECK(split->message == "first half");
}

TEST_CASE("Docker rejects lines without log or time") {
  FieldCollector scratch;
  CHECK_FALSE(parse_docker(R"({"stream":"stdout","time":"2023-11-14T22:13:20Z"})", scratch));
  CHECK_FALSE(parse_docker(R"({"log":"x\n","stream":"stdout"})", scratch));
  CHECK_FALSE(parse_docker(R"({"log":"x\n",)", scratch));
}

}  // namespace
}  // namespace logship
