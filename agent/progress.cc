#include "agent/progress.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <mutex>

namespace logship {
namespace {

using Clock = std::chrono::steady_clock;

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

int terminal_width(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

std::string format_duration(double seconds) {
  const auto s = static_cast<uint64_t>(std::min(seconds, 359999.0));
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s / 60 % 60),
                  static_cast<unsigned long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%llu:%02llu", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  }
  return buf;
}

}  // namespace

std::string format_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < std::size(kUnits)) {
    bytes /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, kUnits[unit]);
  return buf;
}

std::string render_progress(ProgressCounts counts, double bytes_per_second, int width) {
  const uint64_t total = std::max(counts.total, counts.done);
  const double fraction = total == 0 ? 1.0 : static_cast<double>(counts.done) / total;
  char percent[8];
  std::snprintf(percent, sizeof percent, "%3d%%", static_cast<int>(fraction * 100));
  std::string tail =
      std::string(" ") + percent + "  " + format_bytes(counts.done) + " / " + format_bytes(total);
  if (bytes_per_second > 0) {
    tail += "  " + format_bytes(bytes_per_second) + "/s";
    if (counts.done < total)
      tail += "  ETA " + format_duration((total - counts.done) / bytes_per_second);
  }
  const int bar = std::min(40, width - 1 - static_cast<int>(tail.size()) - 2);
  if (bar < 5) return tail.substr(1, static_cast<size_t>(std::max(0, width - 1)));
  const int filled = static_cast<int>(fraction * bar);
  std::string line = "[";
  line.append(static_cast<size_t>(filled), '=');
  if (filled < bar) line += '>';
  line.append(static_cast<size_t>(std::max(0, bar - filled - 1)), ' ');
  return line + "]" + tail;
}

void RateWindow::add(Clock::time_point at, uint64_t done) {
  samples_.emplace_back(at, done);
  while (samples_.size() > 2 && at - samples_[1].first >= span_) samples_.pop_front();
}

double RateWindow::bytes_per_second() const {
  if (samples_.size() < 2) return 0;
  const auto& [t0, d0] = samples_.front();
  const auto& [t1, d1] = samples_.back();
  const double seconds = std::chrono::duration<double>(t1 - t0).count();
  return seconds > 0 && d1 >= d0 ? static_cast<double>(d1 - d0) / seconds : 0;
}

bool progress_wanted(std::string_view mode, int line_fd, int records_fd, bool records_written) {
  if (mode != "auto") return mode == "always";
  if (::isatty(line_fd) != 1) return false;
  if (!records_written || ::isatty(records_fd) != 1) return true;
  struct stat line {};
  struct stat records {};
  return ::fstat(line_fd, &line) != 0 || ::fstat(records_fd, &records) != 0 ||
         line.st_rdev != records.st_rdev;
}

std::unique_ptr<ProgressReporter> ProgressReporter::start(
    int fd, std::function<ProgressCounts()> read_counts) {
  return std::unique_ptr<ProgressReporter>(new ProgressReporter(fd, std::move(read_counts)));
}

ProgressReporter::ProgressReporter(int fd, std::function<ProgressCounts()> read_counts)
    : fd_(fd),
      read_counts_(std::move(read_counts)),
      thread_([this](std::stop_token stop) { run(std::move(stop)); }) {}

ProgressReporter::~ProgressReporter() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

void ProgressReporter::run(std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  RateWindow rate(std::chrono::seconds(3));
  std::unique_lock lock(mutex);
  while (!stop.stop_requested()) {
    const ProgressCounts counts = read_counts_();
    rate.add(Clock::now(), counts.done);
    // "\r" back to the start, the line, then erase whatever a longer old line left.
    write_all(fd_, "\r" + render_progress(counts, rate.bytes_per_second(), terminal_width(fd_)) +
                       "\x1b[K");
    wake.wait_for(lock, stop, kRedrawInterval, [] { return false; });
  }
  write_all(fd_, "\r\x1b[K");
}

}  // namespace logship
