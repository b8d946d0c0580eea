#include "agent/top_view.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace logship {
namespace {

MetricsSnapshot snapshot_at(uint64_t read, uint64_t delivered, uint64_t bytes, uint64_t retries) {
  MetricsSnapshot snapshot;
  snapshot.pipelines.push_back({.input = "app",
                                .output = "loki",
                                .read = read,
                                .delivered = delivered,
                                .filtered = 1,
                                .rejected = {{"loki_400", 2}},
                                .dropped = {{"spool_overflow", 3}},
                                .in_flight = read - delivered - 6});
  snapshot.inputs["app"] = {.read_bytes = bytes, .read_lines = read, .pauses = 0};
  snapshot.outputs["loki"] = {.sent_records = delivered,
                              .sent_bytes = bytes / 2,
                              .retries = retries,
                              .up = false,
                              .last_success_unix = 1000};
  snapshot.files = {{"app", "/var/log/small.log", 10},
                    {"app", "/var/log/big.log", 5000},
                    {"app", "/var/log/mid.log", 700},
                    {"web", "/var/log/a.log", 1}};
  snapshot.memory = {.used_bytes = 1 << 20, .limit_bytes = 64 << 20, .rung = 0};
  return snapshot;
}

bool contains(const std::vector<std::string>& lines, const std::string& text) {
  return std::ranges::any_of(lines, [&](const std::string& line) { return line.contains(text); });
}

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  size_t at = 0;
  while ((at = line.find_first_not_of(' ', at)) != std::string::npos) {
    const size_t end = std::min(line.find(' ', at), line.size());
    out.push_back(line.substr(at, end - at));
    at = end;
  }
  return out;
}

std::string row_of(const std::vector<std::string>& lines, const std::string& start) {
  for (const auto& line : lines) {
    if (line.starts_with(start)) return line;
  }
  FAIL("no line starting with " << start);
  return {};
}

TEST_CASE("a single snapshot shows the exact ledger and no rates") {
  const MetricsSnapshot now = snapshot_at(100, 90, 4000, 0);
  const auto lines = render_top({.current = &now, .now_unix = 1012, .source = "http://h:1"});
  CHECK(lines[0] == "logship top  http://h:1  memory 1.0 MiB / 64.0 MiB  rung 0 (none)");
  const auto row = words(row_of(lines, "app -> loki"));
  // app -> loki | state | 4 rates | delivered filtered rejected dropped in-flight | up | age |
  // retries
  REQUIRE(row.size() == 16);
  CHECK(row[3] == "read");
  CHECK(std::vector(row.begin() + 4, row.begin() + 8) ==
        std::vector<std::string>{"-", "-", "-", "-"});
  CHECK(std::vector(row.begin() + 8, row.begin() + 13) ==
        std::vector<std::string>{"90", "1", "2", "3", "4"});
  CHECK(row[13] == "DOWN");
  CHECK(row[14] == "12s");
  CHECK(row[15] == "-");
  CHECK_FALSE(contains(lines, "keys:"));  // the plain snapshot has no key help
}

TEST_CASE("two snapshots give rates per second") {
  const MetricsSnapshot before = snapshot_at(100, 90, 4096, 1);
  const MetricsSnapshot now = snapshot_at(300, 290, 4096 + 2048, 5);
  const auto lines = render_top(
      {.current = &now, .previous = &before, .seconds_between = 2, .now_unix = 1000 + 3725});
  const auto row = words(row_of(lines, "app -> loki"));
  REQUIRE(row.size() == 18);  // each byte rate is two words: "1.0 KiB"
  CHECK(row[4] == "100");     // lines read per second
  CHECK(row[5] + " " + row[6] == "1.0 KiB");
  CHECK(row[7] == "100");  // delivered per second
  CHECK(row[8] + " " + row[9] == "512 B");
  CHECK(row[16] == "1h02m");
  CHECK(row[17] == "2");  // retries per second
}

TEST_CASE("a counter that went down (the agent restarted) has no rate") {
  const MetricsSnapshot before = snapshot_at(500, 490, 9000, 9);
  const MetricsSnapshot now = snapshot_at(100, 90, 4000, 0);
  const auto lines = render_top({.current = &now, .previous = &before, .seconds_between = 1});
  const auto row = words(row_of(lines, "app -> loki"));
  CHECK(row[4] == "-");
  CHECK(row.back() == "-");
}

TEST_CASE("an output without a success yet: never once it failed, - while it made no attempt") {
  MetricsSnapshot now = snapshot_at(100, 90, 4000, 0);
  now.outputs["loki"].last_success_unix = 0;
  CHECK(words(row_of(render_top({.current = &now}), "app -> loki"))[14] == "never");
  now.outputs["loki"].up = true;
  CHECK(words(row_of(render_top({.current = &now}), "app -> loki"))[14] == "-");
}

TEST_CASE("files are sorted by lag, path or input, and what does not fit is counted") {
  const MetricsSnapshot now = snapshot_at(100, 90, 4000, 0);
  // Title, blank, header, pipeline, blank, files header, 2 files, the rest, blank, keys.
  TopViewInput view{.current = &now, .width = 200, .height = 11};
  auto lines = render_top(view);
  CHECK(lines.size() == 11);
  CHECK(lines.back().starts_with("keys: q quit  s sort (lag)"));
  const auto big = std::ranges::find_if(lines, [](auto& l) { return l.contains("big.log"); });
  REQUIRE(big != lines.end());
  CHECK(words(*big)[0] == "5000");
  CHECK((big + 1)->contains("mid.log"));
  CHECK(contains(lines, "... and 2 more files"));
  CHECK_FALSE(contains(lines, "small.log"));

  view.height = 0;
  view.sort = FileSort::kPath;
  lines = render_top(view);
  const auto first = std::ranges::find_if(lines, [](auto& l) { return l.contains("/var/log/"); });
  REQUIRE(first != lines.end());
  CHECK(first->contains("/var/log/a.log"));
  CHECK((first + 3)->contains("small.log"));
  CHECK_FALSE(contains(lines, "more files"));

  view.sort = FileSort::kInput;
  lines = render_top(view);
  CHECK(std::ranges::find_if(lines, [](auto& l) {
          return l.contains("/var/log/");
        })->contains("big.log"));
  CHECK(next_sort(FileSort::kLag) == FileSort::kPath);
  CHECK(next_sort(FileSort::kPath) == FileSort::kInput);
  CHECK(next_sort(FileSort::kInput) == FileSort::kLag);
}

TEST_CASE("lines are cut at the width, never inside a UTF-8 character") {
  MetricsSnapshot now = snapshot_at(100, 90, 4000, 0);
  now.files = {{"app", "/var/log/\xc3\xa9t\xc3\xa9.log", 1}};
  const auto lines = render_top({.current = &now, .width = 42, .height = 24});
  for (const auto& line : lines) CHECK(line.size() <= 42);
  const auto file = std::ranges::find_if(lines, [](auto& l) { return l.contains("/var/"); });
  REQUIRE(file != lines.end());
  CHECK(*file == "1              app              /var/log/");
}

TEST_CASE("paused inputs are marked: by the memory rung, or by their pause counter rising") {
  MetricsSnapshot before = snapshot_at(100, 90, 4000, 0);
  MetricsSnapshot now = before;
  CHECK_FALSE(input_paused({.current = &now, .previous = &before}, "app"));
  now.inputs["app"].pauses = 1;
  CHECK(input_paused({.current = &now, .previous = &before}, "app"));
  CHECK(words(row_of(render_top({.current = &now, .previous = &before, .seconds_between = 1}),
                     "app -> loki"))[3] == "PAUSED");
  before.memory.rung = 2;
  CHECK(input_paused({.current = &before}, "app"));
}

TEST_CASE("the title carries the status and the rung's name") {
  MetricsSnapshot now = snapshot_at(100, 90, 4000, 0);
  now.memory.rung = 3;
  const auto lines =
      render_top({.current = &now, .source = "u", .status = "refresh paused", .height = 30});
  CHECK(lines[0].ends_with("rung 3 (spooling)  [refresh paused]"));
  now.pipelines.clear();
  now.files.clear();
  const auto empty = render_top({.current = &now});
  CHECK(contains(empty, "(no pipelines)"));
  CHECK(contains(empty, "(no open files)"));
}

}  // namespace
}  // namespace logship
