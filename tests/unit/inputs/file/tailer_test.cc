#include "inputs/file/tailer.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "tests/unit/temp_file.h"

namespace {

using logship::testing::TempFile;

uint64_t last_lines(const std::string& content, uint64_t lines) {
  TempFile file(content);
  return logship::offset_of_last_lines(file.fd, content.size(), lines).value();
}

}  // namespace

TEST_CASE("the last N lines start after the N+1th newline from the end") {
  CHECK(last_lines("a\nb\nc\n", 2) == 2);
  CHECK(last_lines("a\nb\nc\n", 3) == 0);
  CHECK(last_lines("a\nb\nc\n", 10) == 0);
  CHECK(last_lines("a\nb\nc", 1) == 4);
  CHECK(last_lines("a\nb\nc\n", 0) == 6);
}

TEST_CASE("the last lines are found across read blocks") {
  std::string content;
  for (int i = 0; i < 100000; ++i) content += "line " + std::to_string(i) + "\n";
  const uint64_t offset = last_lines(content, 3);
  CHECK(content.substr(offset) == "line 99997\nline 99998\nline 99999\n");
}

TEST_CASE("a tailer reads a file into batches whose records end at line boundaries") {
  TempFile file("first\nsecond\npartial");
  auto source = std::make_shared<const logship::Source>(logship::Source{"in", file.path, {}});
  auto tailer = logship::Tailer::open(source, {}, logship::TailerOptions{}).value();
  logship::MemoryBudget budget(1 << 20);
  std::stop_source stop;
  auto outcome = tailer->read(*budget.acquire(1, stop.get_token()), 0).value();
  REQUIRE(outcome.batch);
  REQUIRE(outcome.batch->records().size() == 2);
  CHECK(outcome.batch->line(outcome.batch->records()[1]) == "second");
  CHECK(tailer->has_partial());
  CHECK(tailer->read(*budget.acquire(1, stop.get_token()), 0).value().end_of_file);
  auto last = tailer->flush_partial(*budget.acquire(1, stop.get_token()), 0);
  REQUIRE(last);
  CHECK(last->line(last->records()[0]) == "partial");
  outcome.batch->settle(logship::Fate::kDelivered);
  last->settle(logship::Fate::kDelivered);
  CHECK(tailer->committed_offset() == 20);
  CHECK(tailer->unacknowledged() == 0);
}

TEST_CASE("a file truncated and rewritten past the read offset is read again from its start") {
  // Same head is no proof: the rewrite starts with the bytes the old file started with.
  TempFile file("header\nold one\nold two\n");
  auto source = std::make_shared<const logship::Source>(logship::Source{"in", file.path, {}});
  auto tailer = logship::Tailer::open(source, {}, logship::TailerOptions{}).value();
  logship::MemoryBudget budget(1 << 20);
  std::stop_source stop;
  auto first = tailer->read(*budget.acquire(1, stop.get_token()), 0).value();
  REQUIRE(first.batch);
  CHECK(first.batch->records().size() == 3);
  const std::string rewrite = "header\nnew one is longer\nnew two is longer\n";
  REQUIRE(::ftruncate(file.fd, 0) == 0);
  REQUIRE(::pwrite(file.fd, rewrite.data(), rewrite.size(), 0) ==
          static_cast<ssize_t>(rewrite.size()));
  auto second = tailer->read(*budget.acquire(1, stop.get_token()), 0).value();
  REQUIRE(second.batch);
  REQUIRE(second.batch->records().size() == 3);
  CHECK(second.batch->line(second.batch->records()[0]) == "header");
  CHECK(second.batch->line(second.batch->records()[2]) == "new two is longer");
  CHECK(tailer->truncations() == 1);
  first.batch->settle(logship::Fate::kDelivered);
  second.batch->settle(logship::Fate::kDelivered);
}
