#pragma once
// Progress: the one-shot `logship tail` progress line on stderr (--progress decides when):
//   [=========>          ]  47%  1.2 GiB / 2.6 GiB  85.3 MiB/s  ETA 0:17
// render_progress() is pure; ProgressReporter redraws it in place ("\r", erase to end of
// line) from its own std::jthread every kRedrawInterval, reading the counts through a
// callback, and erases it when destroyed so the summary line prints clean.
// Owner: the tail command. Thread: the callback runs on the reporter's thread and must be
// thread-safe (atomics).

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace logship {

struct ProgressCounts {
  uint64_t done = 0;   // bytes read (and acknowledged) so far
  uint64_t total = 0;  // bytes to read: the files' sizes at start
};

// "1.2 GiB", "512 B".
std::string format_bytes(double bytes);
// The line, at most `width` columns; the rate in bytes/s (0: unknown, no rate or ETA).
std::string render_progress(ProgressCounts counts, double bytes_per_second, int width);

// The rate over a sliding window of samples, so a stall shows promptly.
class RateWindow {
 public:
  explicit RateWindow(std::chrono::milliseconds span) : span_(span) {}
  void add(std::chrono::steady_clock::time_point at, uint64_t done);
  double bytes_per_second() const;

 private:
  std::chrono::milliseconds span_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, uint64_t>> samples_;
};

// Whether to draw on `line_fd` for --progress `mode` (auto, always, never). auto: when
// `line_fd` is a terminal, unless the records are written to that same terminal
// (`records_fd`), where the redrawn line would cut into them.
bool progress_wanted(std::string_view mode, int line_fd, int records_fd, bool records_written);

class ProgressReporter {
 public:
  static constexpr std::chrono::milliseconds kRedrawInterval{200};

  // A reporter drawing on `fd` (the caller decides whether it is wanted there).
  static std::unique_ptr<ProgressReporter> start(int fd,
                                                 std::function<ProgressCounts()> read_counts);
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

 private:
  ProgressReporter(int fd, std::function<ProgressCounts()> read_counts);
  void run(std::stop_token stop);

  int fd_;
  std::function<ProgressCounts()> read_counts_;
  std::jthread thread_;  // last: joined before the members it uses go
};

}  // namespace logship
