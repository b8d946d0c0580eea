#include "inputs/parse/multiline.h"

#include <doctest/doctest.h>

#include "inputs/parse/file_parser.h"
#include "tests/parse/test_support.h"

namespace logship {
namespace {

using testing::frame_lines;
using testing::FramedBatch;

// Parses `lines` in one batch with `mode`, flushes, and returns the records' text.
std::vector<std::string> assemble(MultilineMode mode, const std::vector<std::string>& lines,
                                  ParseStats& stats, std::string start_pattern = {}) {
  ParseConfig config;
  config.multiline.mode = mode;
  config.multiline.start_pattern = std::move(start_pattern);
  auto parser = FileParser::create(ParserKind::kNone, 1 << 20, config);
  REQUIRE(parser.has_value());
  FramedBatch batch = frame_lines(lines, 0);
  parser->parse({batch.bytes, batch.records, batch.fields}, stats);
  parser->flush({batch.bytes, batch.records, batch.fields}, stats);
  std::vector<std::string> out;
  for (size_t i = 0; i < batch.records.size(); ++i) out.emplace_back(batch.line(i));
  CHECK(batch.records.back().end_offset() == batch.end_offset);
  return out;
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += (out.empty() ? "" : "\n") + line;
  return out;
}

const std::vector<std::string> kJavaTrace = {"java.lang.IllegalStateException: boom",
                                             "\tat com.example.Service.run(Service.java:42)",
                                             "\tat java.base/java.lang.Thread.run(Thread.java:833)",
                                             "Caused by: java.io.IOException: disk",
                                             "\tat com.example.Disk.write(Disk.java:7)",
                                             "\t... 2 more"};

const std::vector<std::string> kPythonTrace = {"Traceback (most recent call last):",
                                               "  File \"/app/main.py\", line 3, in <module>",
                                               "    main()",
                                               "  File \"/app/main.py\", line 2, in main",
                                               "    raise ValueError(\"bad\")",
                                               "ValueError: bad"};

const std::vector<std::string> kGoPanic = {
    "panic: runtime error: index out of range [5] with length 3",
    "",
    "goroutine 1 [running]:",
    "main.(*Server).handle(0xc000010000, {0x4b2e60, 0x3})",
    "\t/src/server.go:27 +0x1d",
    "main.main()",
    "\t/src/main.go:8 +0x25",
    "created by net/http.(*Server).Serve",
    "\t/usr/local/go/src/net/http/server.go:3089 +0x5ed"};

TEST_CASE("a Java stack trace between normal lines becomes one record") {
  std::vector<std::string> lines = {"12:00:00 INFO started"};
  lines.insert(lines.end(), kJavaTrace.begin(), kJavaTrace.end());
  lines.push_back("12:00:01 INFO next");
  ParseStats stats;
  auto records = assemble(MultilineMode::kJava, lines, stats);
  REQUIRE(records.size() == 3);
  CHECK(records[0] == "12:00:00 INFO started");
  CHECK(records[1] == join(kJavaTrace));
  CHECK(records[2] == "12:00:01 INFO next");
  CHECK(stats.multiline_joined == kJavaTrace.size() - 1);
}

TEST_CASE("a multi-line record accounts for every line it joined") {
  std::vector<std::string> lines = {"12:00:00 INFO started"};
  lines.insert(lines.end(), kJavaTrace.begin(), kJavaTrace.end());
  lines.push_back("12:00:01 INFO next");
  ParseConfig config;
  config.multiline.mode = MultilineMode::kJava;
  auto parser = FileParser::create(ParserKind::kNone, 1 << 20, config);
  REQUIRE(parser.has_value());
  FramedBatch batch = frame_lines(lines, 0);
  ParseStats stats;
  parser->parse({batch.bytes, batch.records, batch.fields}, stats);
  parser->flush({batch.bytes, batch.records, batch.fields}, stats);
  REQUIRE(batch.records.size() == 3);
  CHECK(batch.records[0].lines == 1);
  CHECK(batch.records[1].lines == kJavaTrace.size());
  CHECK(batch.records[2].lines == 1);
}

TEST_CASE("a Python traceback between normal lines becomes one record") {
  std::vector<std::string> lines = {"INFO before"};
  lines.insert(lines.end(), kPythonTrace.begin(), kPythonTrace.end());
  lines.push_back("INFO after");
  lines.insert(lines.end(), kPythonTrace.begin(), kPythonTrace.end());
  ParseStats stats;
  auto records = assemble(MultilineMode::kPython, lines, stats);
  REQUIRE(records.size() == 4);
  CHECK(records[0] == "INFO before");
  CHECK(records[1] == join(kPythonTrace));
  CHECK(records[2] == "INFO after");
  CHECK(records[3] == join(kPythonTrace));
}

TEST_CASE("a Go panic between normal lines becomes one record") {
  std::vector<std::string> lines = {"2024/01/01 12:00:00 serving"};
  lines.insert(lines.end(), kGoPanic.begin(), kGoPanic.end());
  lines.push_back("2024/01/01 12:00:05 restarted");
  ParseStats stats;
  auto records = assemble(MultilineMode::kGo, lines, stats);
  REQUIRE(records.size() == 3);
  CHECK(records[1] == join(kGoPanic));
  CHECK(records[2] == "2024/01/01 12:00:05 restarted");
}

TEST_CASE("a start pattern begins records; other lines continue them") {
  ParseStats stats;
  auto records =
      assemble(MultilineMode::kStartPattern,
               {"2024-01-01 a", "  more", "more still", "2024-01-02 b"}, stats, R"(^\d{4}-)");
  REQUIRE(records.size() == 2);
  CHECK(records[0] == "2024-01-01 a\n  more\nmore still");
  CHECK(records[1] == "2024-01-02 b");
}

TEST_CASE("max_lines and max_bytes cut a record and count it") {
  ParseConfig config;
  config.multiline.mode = MultilineMode::kStartPattern;
  config.multiline.start_pattern = "^S";
  config.multiline.max_lines = 3;
  auto parser = FileParser::create(ParserKind::kNone, 1 << 20, config);
  REQUIRE(parser.has_value());
  FramedBatch batch = frame_lines({"S1", "c", "c", "c", "c", "S2"}, 0);
  ParseStats stats;
  parser->parse({batch.bytes, batch.records, batch.fields}, stats);
  REQUIRE(batch.records.size() == 2);
  CHECK(batch.line(0) == "S1\nc\nc");
  CHECK(batch.line(1) == "c\nc");
  CHECK(stats.limit_splits == 1);
}

TEST_CASE("a held multi-line record spans batches, and its ack waits for it") {
  ParseConfig config;
  config.multiline.mode = MultilineMode::kJava;
  config.multiline.flush_after = std::chrono::milliseconds(2000);
  auto parser = FileParser::create(ParserKind::kNone, 1 << 20, config);
  REQUIRE(parser.has_value());
  ParseStats stats;
  FramedBatch first = frame_lines({"INFO x", kJavaTrace[0], kJavaTrace[1]}, 0, 1000);
  parser->parse({first.bytes, first.records, first.fields}, stats);
  REQUIRE(first.records.size() == 1);
  CHECK(parser->ack_end(first.end_offset) == 7);  // "INFO x\n"
  CHECK(parser->flush_due_ns() == 1000 + 2'000'000'000);

  FramedBatch second = frame_lines({kJavaTrace[2]}, first.end_offset, 2000);
  parser->parse({second.bytes, second.records, second.fields}, stats);
  CHECK(second.records.empty());
  CHECK(parser->flush_due_ns() == 2000 + 2'000'000'000);

  // Quiet file: the input flushes into an empty batch.
  FramedBatch flushed;
  parser->flush({flushed.bytes, flushed.records, flushed.fields}, stats);
  REQUIRE(flushed.records.size() == 1);
  CHECK(flushed.line(0) == join({kJavaTrace[0], kJavaTrace[1], kJavaTrace[2]}));
  CHECK(flushed.records[0].file_offset == 7);
  CHECK(flushed.records[0].end_offset() == second.end_offset);
  CHECK_FALSE(parser->holding());
  CHECK(stats.timeout_flushes == 1);
}

TEST_CASE("CRI lines are unwrapped before multiline joins them") {
  ParseConfig config;
  config.multiline.mode = MultilineMode::kJava;
  auto parser = FileParser::create(ParserKind::kCri, 1 << 20, config);
  REQUIRE(parser.has_value());
  const std::string t = "2023-11-14T22:13:20Z stdout ";
  FramedBatch batch = frame_lines(
      {t + "F " + kJavaTrace[0], t + "P \tat com.exa", t + "F mple.A(A.java:1)", t + "F done"}, 0);
  ParseStats stats;
  parser->parse({batch.bytes, batch.records, batch.fields}, stats);
  parser->flush({batch.bytes, batch.records, batch.fields}, stats);
  REQUIRE(batch.records.size() == 2);
  CHECK(batch.line(0) == kJavaTrace[0] + "\n\tat com.example.A(A.java:1)");
  CHECK(batch.line(1) == "done");
}

}  // namespace
}  // namespace logship
