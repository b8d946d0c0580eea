#include "inputs/file/framer.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using logship::Framer;
using logship::LongLines;
using logship::Record;

namespace {

std::vector<std::string> lines_of(std::string_view buffer, const std::vector<Record>& records) {
  std::vector<std::string> lines;
  for (const auto& r : records) lines.emplace_back(buffer.substr(r.line.begin, r.line.size));
  return lines;
}

}  // namespace

TEST_CASE("lines end at newline, a CR before it is stripped, the rest is carried") {
  Framer framer(100, LongLines::kSplit);
  std::vector<Record> records;
  const std::string buffer = "one\r\ntwo\n\nthr";
  const size_t consumed = framer.frame(buffer, 0, 1000, 7, records);
  CHECK(consumed == 10);
  CHECK(lines_of(buffer, records) == std::vector<std::string>{"one", "two", ""});
  CHECK(records[0].file_offset == 1000);
  CHECK(records[0].end_offset() == 1005);
  CHECK(records[2].end_offset() == 1010);
  CHECK(records[1].timestamp_ns == 7);
}

TEST_CASE("a line over max_line_bytes is split into pieces that join back") {
  Framer framer(4, LongLines::kSplit);
  std::vector<Record> records;
  const std::string buffer = "abcdefghij\nxy\n";
  CHECK(framer.frame(buffer, 0, 0, 0, records) == buffer.size());
  CHECK(lines_of(buffer, records) == std::vector<std::string>{"abcd", "efgh", "ij", "xy"});
  CHECK(records.back().end_offset() == buffer.size());
  CHECK(framer.counts().split_lines == 1);
  CHECK(framer.counts().lines == 2);
  // The ledger counts a split line once, on its first piece.
  CHECK(records[0].lines == 1);
  CHECK(records[1].lines == 0);
  CHECK(records[2].lines == 0);
  CHECK(records[3].lines == 1);
}

TEST_CASE("an incomplete over-long line is cut as it grows, never carried beyond the limit") {
  Framer framer(4, LongLines::kSplit);
  std::vector<Record> records;
  const std::string first = "abcdefg";
  const size_t consumed = framer.frame(first, 0, 0, 0, records);
  CHECK(consumed == 4);
  const std::string second = first.substr(consumed) + "h\n";
  CHECK(framer.frame(second, 0, consumed, 0, records) == second.size());
  CHECK(lines_of(first, {records[0]}) == std::vector<std::string>{"abcd"});
  CHECK(lines_of(second, {records[1]}) == std::vector<std::string>{"efgh"});
  CHECK(records.size() == 2);
  CHECK(framer.counts().split_lines == 1);
}

TEST_CASE("a line of exactly max_line_bytes with CRLF is not split") {
  Framer framer(4, LongLines::kSplit);
  std::vector<Record> records;
  CHECK(framer.frame("abcd\r", 0, 0, 0, records) == 0);
  CHECK(framer.frame("abcd\r\n", 0, 0, 0, records) == 6);
  REQUIRE(records.size() == 1);
  CHECK(records[0].line.size == 4);
  CHECK(framer.counts().split_lines == 0);
}

TEST_CASE("truncate mode keeps the head of a long line and skips the rest") {
  Framer framer(3, LongLines::kTruncate);
  std::vector<Record> records;
  const std::string first = "abcdefgh";
  CHECK(framer.frame(first, 0, 0, 0, records) == first.size());
  const std::string second = "ij\nok\n";
  CHECK(framer.frame(second, 0, first.size(), 0, records) == second.size());
  REQUIRE(records.size() == 2);
  CHECK(lines_of(first, {records[0]}) == std::vector<std::string>{"abc"});
  CHECK(lines_of(second, {records[1]}) == std::vector<std::string>{"ok"});
  CHECK(framer.counts().truncated_lines == 1);
  CHECK(framer.counts().lines == 2);
  CHECK(records[0].lines == 1);
}

TEST_CASE("the held last piece of a split line counts no second line when flushed") {
  Framer framer(4, LongLines::kSplit);
  std::vector<Record> records;
  const std::string buffer = "abcdef";
  const size_t consumed = framer.frame(buffer, 0, 0, 0, records);
  REQUIRE(consumed == 4);
  framer.flush(std::string_view(buffer).substr(consumed), 0, consumed, 0, records);
  REQUIRE(records.size() == 2);
  CHECK(records[0].lines == 1);
  CHECK(records[1].lines == 0);
  CHECK(framer.counts().lines == 1);
}

TEST_CASE("flush emits a held incomplete line") {
  Framer framer(100, LongLines::kSplit);
  std::vector<Record> records;
  framer.flush("tail", 3, 50, 0, records);
  REQUIRE(records.size() == 1);
  CHECK(records[0].line.begin == 3);
  CHECK(records[0].end_offset() == 54);
}

TEST_CASE("binary bytes and NULs pass through framing unchanged") {
  Framer framer(100, LongLines::kSplit);
  std::vector<Record> records;
  const std::string buffer("\x00\xff\x01\n", 4);
  CHECK(framer.frame(buffer, 0, 0, 0, records) == 4);
  CHECK(lines_of(buffer, records).at(0) == std::string("\x00\xff\x01", 3));
}
