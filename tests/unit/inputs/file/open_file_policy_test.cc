#include "inputs/file/open_file_policy.h"

#include <doctest/doctest.h>

#include <vector>

namespace {

using logship::OpenFileState;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kNow = 100 * kSecond;

// Read to its end, acknowledged, no partial line, unchanged for `idle_s` seconds.
OpenFileState idle_for(int64_t idle_s) {
  return {.at_end = true,
          .draining = false,
          .has_partial = false,
          .unacknowledged = 0,
          .changed_ns = kNow - idle_s * kSecond};
}

}  // namespace

TEST_CASE("waiting files are opened first come first served, each once") {
  logship::WaitingQueue queue;
  CHECK(queue.push({.key = {1, 3}, .path = "c"}));
  CHECK(queue.push({.key = {1, 1}, .path = "a"}));
  CHECK_FALSE(queue.push({.key = {1, 3}, .path = "c again"}));
  CHECK(queue.size() == 2);
  CHECK(queue.pop()->path == "c");
  CHECK(queue.pop()->path == "a");
  CHECK_FALSE(queue.pop());
  CHECK(queue.empty());
}

TEST_CASE("a waiting file that is gone leaves the queue and one renamed keeps its turn") {
  logship::WaitingQueue queue;
  queue.push({.key = {1, 1}, .path = "a"});
  queue.push({.key = {1, 2}, .path = "b"});
  queue.push({.key = {1, 3}, .path = "c"});
  queue.retain_if([](logship::WaitingFile& file) {
    if (file.key.second == 1) file.path = "a.renamed";
    return file.key.second != 2;
  });
  CHECK_FALSE(queue.contains({1, 2}));
  CHECK(queue.pop()->path == "a.renamed");
  CHECK(queue.pop()->path == "c");
  CHECK(queue.push({.key = {1, 2}, .path = "b"}));  // may wait again when it returns
}

TEST_CASE("no file is closed while none waits") {
  const std::vector<OpenFileState> files{idle_for(60), idle_for(60)};
  CHECK(logship::files_to_close(files, 0, kNow).empty());
}

TEST_CASE("only idle files are closed, the longest idle first, one per waiting file") {
  std::vector<OpenFileState> files{idle_for(5), idle_for(60), idle_for(1), idle_for(30)};
  CHECK(logship::files_to_close(files, 2, kNow) == std::vector<size_t>{1, 3});
  CHECK(logship::files_to_close(files, 10, kNow) == std::vector<size_t>{1, 3, 0});
}

TEST_CASE("a file is idle only once its quiet time reaches kIdleBeforeClose") {
  const int64_t idle_ns = std::chrono::nanoseconds(logship::kIdleBeforeClose).count();
  std::vector<OpenFileState> files{idle_for(0), idle_for(0)};
  files[0].changed_ns = kNow - idle_ns;
  files[1].changed_ns = kNow - idle_ns + 1;
  CHECK(logship::files_to_close(files, 2, kNow) == std::vector<size_t>{0});
}

TEST_CASE("files not read to their end, unacknowledged, partial or draining stay open") {
  std::vector<OpenFileState> files(4, idle_for(60));
  files[0].at_end = false;
  files[1].unacknowledged = 1;
  files[2].has_partial = true;
  files[3].draining = true;
  CHECK(logship::files_to_close(files, 4, kNow).empty());
}

TEST_CASE("a closed file is opened again once its size or modification time changed") {
  const logship::ClosedFile closed{.size = 100, .changed_ns = 7};
  CHECK_FALSE(logship::changed_since_closed(closed, {.size = 100, .changed_ns = 7}));
  CHECK(logship::changed_since_closed(closed, {.size = 120, .changed_ns = 9}));
  CHECK(logship::changed_since_closed(closed, {.size = 100, .changed_ns = 9}));
  CHECK(logship::changed_since_closed(closed, {.size = 10, .changed_ns = 7}));
}

TEST_CASE("files starting to wait are said once, and again after the queue emptied") {
  logship::WaitingNotice notice;
  CHECK_FALSE(notice.update(0));
  CHECK(notice.update(40) == 40);
  CHECK_FALSE(notice.update(41));
  CHECK_FALSE(notice.update(3));
  CHECK_FALSE(notice.update(0));
  CHECK(notice.update(2) == 2);
}

TEST_CASE("only files never opened count as first waits, not idle files taking turns") {
  logship::WaitingQueue queue;
  queue.push({.key = {1, 1}, .path = "new"});
  queue.push({.key = {1, 2}, .path = "grown", .reopening = true});
  queue.push({.key = {1, 3}, .path = "gone"});
  CHECK(queue.first_waits() == 2);
  queue.retain_if([](const logship::WaitingFile& file) { return file.path != "gone"; });
  CHECK(queue.first_waits() == 1);
  queue.pop();
  CHECK(queue.first_waits() == 0);
  CHECK(queue.size() == 1);
}

TEST_CASE("a file's last change is its mtime unless that lies ahead of what was seen") {
  logship::ChangeWatch watch;
  CHECK(logship::last_change_ns(watch, {.size = 10, .changed_ns = 40 * kSecond}, kNow) ==
        40 * kSecond);
  // An mtime in the future (a writer's clock ahead): quiet from when it was first seen so.
  logship::ChangeWatch ahead;
  const logship::ClosedFile future{.size = 10, .changed_ns = kNow + 3600 * kSecond};
  CHECK(logship::last_change_ns(ahead, future, kNow) == kNow);
  CHECK(logship::last_change_ns(ahead, future, kNow + 5 * kSecond) == kNow);
  const logship::ClosedFile grown{.size = 20, .changed_ns = kNow + 3600 * kSecond};
  CHECK(logship::last_change_ns(ahead, grown, kNow + 6 * kSecond) == kNow + 6 * kSecond);
}
