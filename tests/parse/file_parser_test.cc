#include "inputs/parse/file_parser.h"

#include <doctest/doctest.h>

#include "tests/parse/test_support.h"

namespace logship {
namespace {

using testing::frame_lines;
using testing::FramedBatch;

FileParser make_parser(ParserKind kind, const ParseConfig& config = {},
                       uint64_t max_line_bytes = 256 * 1024) {
  auto parser = FileParser::create(kind, max_line_bytes, config);
  REQUIRE(parser.has_value());
  return std::move(*parser);
}

void parse(FileParser& parser, FramedBatch& batch, ParseStats& stats) {
  parser.parse({batch.bytes, batch.records, batch.fields}, stats);
}

TEST_CASE("parser none with nothing else configured leaves the batch as framed") {
  FileParser parser = make_parser(ParserKind::kNone);
  CHECK(parser.passthrough());
  FramedBatch batch = frame_lines({"a", "b"}, 0);
  ParseStats stats;
  parse(parser, batch, stats);
  CHECK(batch.records.size() == 2);
  CHECK(parser.ack_end(batch.end_offset) == batch.end_offset);
}

TEST_CASE("JSON records get fields and the time from a field; failures ship raw and count") {
  ParseConfig config;
  config.timestamp.field = "ts";
  FileParser parser = make_parser(ParserKind::kJson, config);
  FramedBatch batch = frame_lines({R"({"ts":"1970-01-01T00:00:01Z","msg":"a\u00e9"})",
                                   R"({"ts":"yesterday","msg":"b"})", R"({"msg": "trunc)"},
                                  0, 42);
  ParseStats stats;
  parse(parser, batch, stats);
  REQUIRE(batch.records.size() == 3);
  CHECK(batch.fields_of(0)["msg"] == "a\xC3\xA9");
  CHECK(batch.records[0].timestamp_ns == 1'000'000'000);
  CHECK(batch.records[1].timestamp_ns == 42);
  CHECK(batch.records[2].parse_failed);
  CHECK(batch.line(2) == R"({"msg": "trunc)");
  CHECK(batch.records[2].fields_count == 0);
  CHECK(stats.parse_failed == 1);
  CHECK(stats.timestamp_failed == 1);
}

constexpr const char* kT1 = "2023-11-14T22:13:20.000000001Z";

TEST_CASE("CRI partial pieces are joined, across batches, and acked at the last piece") {
  FileParser parser = make_parser(ParserKind::kCri);
  const std::string p1 = std::string(kT1) + " stdout P hello ";
  const std::string other = std::string(kT1) + " stderr F error line";
  const std::string p2 = std::string(kT1) + " stdout P big ";
  FramedBatch first = frame_lines({std::string(kT1) + " stdout F whole", p1, other, p2}, 100);
  ParseStats stats;
  parse(parser, first, stats);
  REQUIRE(first.records.size() == 2);
  CHECK(first.line(0) == "whole");
  CHECK(first.fields_of(0)["stream"] == "stdout");
  CHECK(first.line(1) == "error line");
  CHECK(first.fields_of(1)["stream"] == "stderr");
  const uint64_t p1_offset = 100 + std::string(kT1).size() + 16;  // "<time> stdout F whole\n"
  CHECK(parser.ack_end(first.end_offset) == p1_offset);

  FramedBatch second = frame_lines({std::string(kT1) + " stdout F world"}, first.end_offset);
  parse(parser, second, stats);
  REQUIRE(second.records.size() == 1);
  CHECK(second.line(0) == "hello big world");
  CHECK(second.records[0].file_offset == p1_offset);
  CHECK(second.records[0].end_offset() == second.end_offset);
  CHECK(second.records[0].timestamp_ns == 1'700'000'000'000'000'001);
  CHECK(parser.ack_end(second.end_offset) == second.end_offset);
  CHECK(stats.partials_joined == 2);
}

TEST_CASE("CRI partials stop at max_line_bytes and the rest starts a new record") {
  FileParser parser = make_parser(ParserKind::kCri, {}, 8);
  const std::string t(kT1);
  FramedBatch batch =
      frame_lines({t + " stdout P 12345", t + " stdout P 6789", t + " stdout F end"}, 0);
  ParseStats stats;
  parse(parser, batch, stats);
  REQUIRE(batch.records.size() == 2);
  CHECK(batch.line(0) == "123456789");
  CHECK(batch.line(1) == "end");
  CHECK(stats.limit_splits == 1);
}

TEST_CASE("a line that is not CRI in a CRI file ships raw, marked and counted") {
  FileParser parser = make_parser(ParserKind::kCri);
  FramedBatch batch = frame_lines({"garbage", std::string(kT1) + " stdout F ok"}, 0);
  ParseStats stats;
  parse(parser, batch, stats);
  REQUIRE(batch.records.size() == 2);
  CHECK(batch.records[0].parse_failed);
  CHECK(batch.line(0) == "garbage");
  CHECK_FALSE(batch.records[1].parse_failed);
  CHECK(stats.parse_failed == 1);
}

TEST_CASE("Docker split lines are joined and escapes decoded") {
  FileParser parser = make_parser(ParserKind::kDocker);
  FramedBatch batch =
      frame_lines({R"({"log":"part one, ","stream":"stdout","time":"2023-11-14T22:13:20Z"})",
                   R"({"log":"part \"two\"\n","stream":"stdout","time":"2023-11-14T22:13:20Z"})",
                   R"({"log":"plain\n","stream":"stderr","time":"2023-11-14T22:13:21Z"})"},
                  0);
  ParseStats stats;
  parse(parser, batch, stats);
  REQUIRE(batch.records.size() == 2);
  CHECK(batch.line(0) == "part one, part \"two\"");
  CHECK(batch.records[0].file_offset == 0);
  CHECK(batch.line(1) == "plain");
  CHECK(batch.fields_of(1)["stream"] == "stderr");
}

TEST_CASE("every container record gets its own stream, whatever the number of values") {
  FileParser parser = make_parser(ParserKind::kDocker);
  std::vector<std::string> lines;
  for (const char* stream : {"stdout", "stderr", "other", "stdout", "more", "stderr"}) {
    lines.push_back(std::string(R"({"log":"x\n","stream":")") + stream +
                    R"(","time":"2023-11-14T22:13:20Z"})");
  }
  FramedBatch batch = frame_lines(lines, 0);
  ParseStats stats;
  parse(parser, batch, stats);
  REQUIRE(batch.records.size() == 6);
  CHECK(batch.fields_of(0) == std::map<std::string, std::string>{{"stream", "stdout"}});
  CHECK(batch.fields_of(1)["stream"] == "stderr");
  CHECK(batch.fields_of(2)["stream"] == "other");
  CHECK(batch.fields_of(3)["stream"] == "stdout");
  CHECK(batch.fields_of(4)["stream"] == "more");
  CHECK(batch.fields_of(5)["stream"] == "stderr");
}

TEST_CASE("a CRI stream field can be renamed like any other field") {
  ParseConfig config;
  config.rename = {{"stream", "source"}};
  FileParser parser = make_parser(ParserKind::kCri, config);
  FramedBatch batch = frame_lines({std::string(kT1) + " stderr F oops"}, 0);
  ParseStats stats;
  parse(parser, batch, stats);
  REQUIRE(batch.records.size() == 1);
  CHECK(batch.fields_of(0) == std::map<std::string, std::string>{{"source", "stderr"}});
}

TEST_CASE("processing drops, keeps, renames and removes; unparsed lines are kept") {
  ParseConfig config;
  config.drop_if = {{"level", "^debug$"}};
  config.keep_if = {{"app", "^(api|web)$"}};
  config.rename = {{"msg", "message"}};
  config.remove = {"secret"};
  FileParser parser = make_parser(ParserKind::kLogfmt, config);
  FramedBatch batch = frame_lines({"app=api level=debug msg=x", "app=db level=info msg=y",
                                   "app=web level=info msg=z secret=s", "not logfmt at all"},
                                  0);
  ParseStats stats;
  parse(parser, batch, stats);
  REQUIRE(batch.records.size() == 2);
  auto fields = batch.fields_of(0);
  CHECK(fields["message"] == "z");
  CHECK(fields.count("msg") == 0);
  CHECK(fields.count("secret") == 0);
  CHECK(batch.records[1].parse_failed);
  CHECK(stats.dropped == 2);
  CHECK(stats.dropped_lines == 2);  // the ledger's filtered lines
}

TEST_CASE("regex parser builds fields from named groups") {
  ParseConfig config;
  config.regex = R"(^(?<level>[A-Z]+) (?<msg>.*)$)";
  FileParser parser = make_parser(ParserKind::kRegex, config);
  FramedBatch batch = frame_lines({"WARN disk almost full", "lowercase"}, 0);
  ParseStats stats;
  parse(parser, batch, stats);
  CHECK(batch.fields_of(0)["level"] == "WARN");
  CHECK(batch.fields_of(0)["msg"] == "disk almost full");
  CHECK(batch.records[1].parse_failed);
}

TEST_CASE("bad patterns are config errors naming the key") {
  ParseConfig config;
  config.regex = "(?<x>";
  auto parser = FileParser::create(ParserKind::kRegex, 1024, config);
  REQUIRE_FALSE(parser.has_value());
  CHECK(parser.error().code == ErrorCode::kInvalidConfig);
  CHECK(parser.error().message.starts_with("regex: "));
  ParseConfig no_groups;
  no_groups.regex = "abc";
  CHECK_FALSE(FileParser::create(ParserKind::kRegex, 1024, no_groups).has_value());
  ParseConfig bad_drop;
  bad_drop.drop_if = {{"level", "["}};
  auto dropped = FileParser::create(ParserKind::kJson, 1024, bad_drop);
  REQUIRE_FALSE(dropped.has_value());
  CHECK(dropped.error().message.starts_with("drop_if on field 'level'"));
}

}  // namespace
}  // namespace logship
