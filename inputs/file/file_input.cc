#include "inputs/file/file_input.h"

#include <fnmatch.h>
#include <glob.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <ctime>

#include "agent/unique_fd.h"

namespace logship {
namespace {

int64_t wall_clock_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

bool excluded(const std::string& path, const std::vector<std::string>& exclude) {
  const std::string_view base = std::string_view(path).substr(path.rfind('/') + 1);
  return std::ranges::any_of(exclude, [&](const std::string& pattern) {
    return ::fnmatch(pattern.c_str(), path.c_str(), 0) == 0 ||
           ::fnmatch(pattern.c_str(), std::string(base).c_str(), 0) == 0;
  });
}

// Wakes a poll() when the input is asked to stop.
class StopWaker {
 public:
  explicit StopWaker(std::stop_token stop)
      : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
        callback_(std::move(stop), [this] {
          const uint64_t one = 1;
          [[maybe_unused]] const auto written = ::write(fd_.get(), &one, sizeof one);
        }) {}
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
  std::stop_callback<std::function<void()>> callback_;
};

void drain_events(int fd) {
  alignas(inotify_event) std::array<char, 16 * 1024> events{};
  while (::read(fd, events.data(), events.size()) > 0) {
  }
}

}  // namespace

std::vector<std::string> expand_globs(const std::vector<std::string>& globs,
                                      const std::vector<std::string>& exclude) {
  std::vector<std::string> paths;
  for (const auto& pattern : globs) {
    glob_t matches{};
    if (::glob(pattern.c_str(), GLOB_BRACE | GLOB_TILDE, nullptr, &matches) == 0) {
      for (size_t i = 0; i < matches.gl_pathc; ++i) {
        std::string path = matches.gl_pathv[i];
        struct stat info {};
        if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
        if (!excluded(path, exclude)) paths.push_back(std::move(path));
      }
    }
    ::globfree(&matches);
  }
  std::ranges::sort(paths);
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return paths;
}

Result<void> FileInput::open_files() {
  const auto paths = expand_globs(options_.paths, options_.exclude);
  if (paths.empty() && !options_.follow) {
    std::string message = "no file matches";
    for (const auto& pattern : options_.paths) message += " " + pattern;
    return make_error(ErrorCode::kIo, message);
  }
  for (const auto& path : paths) {
    auto source = std::make_shared<const Source>(Source{options_.name, path, options_.labels});
    auto tailer = Tailer::open(std::move(source), options_.start, options_.tailer);
    if (!tailer) return std::unexpected(tailer.error());
    tailers_.push_back(std::move(*tailer));
  }
  return {};
}

Result<bool> FileInput::read_available(std::stop_token stop, const BatchSink& sink) {
  std::vector<bool> at_end(tailers_.size(), false);
  size_t remaining = tailers_.size();
  // Round-robin one chunk per file so one busy file cannot starve the others.
  while (remaining > 0) {
    for (size_t i = 0; i < tailers_.size(); ++i) {
      if (at_end[i]) continue;
      Tailer& tailer = *tailers_[i];
      auto lease = budget_->acquire(tailer.next_read_bytes(), stop);
      if (!lease) return false;
      auto outcome = tailer.read(std::move(*lease), wall_clock_ns());
      if (!outcome) return std::unexpected(outcome.error());
      if (outcome->end_of_file) {
        at_end[i] = true;
        --remaining;
        continue;
      }
      last_data_ = std::chrono::steady_clock::now();
      if (outcome->batch && !sink(std::move(*outcome->batch), stop)) return false;
    }
  }
  return true;
}

bool FileInput::flush_partials(std::stop_token stop, const BatchSink& sink,
                               std::chrono::steady_clock::time_point idle_since) {
  if (last_data_ > idle_since) return true;
  for (auto& tailer : tailers_) {
    if (!tailer->has_partial()) continue;
    auto lease = budget_->acquire(tailer->next_read_bytes(), stop);
    if (!lease) return false;
    auto batch = tailer->flush_partial(std::move(*lease), wall_clock_ns());
    if (batch && !sink(std::move(*batch), stop)) return false;
  }
  return true;
}

Result<void> FileInput::run(std::stop_token stop, const BatchSink& sink) {
  if (auto opened = open_files(); !opened) return opened;
  if (!options_.follow) {
    auto read = read_available(stop, sink);
    if (!read) return std::unexpected(read.error());
    if (*read) flush_partials(stop, sink, std::chrono::steady_clock::time_point::max());
    return {};
  }

  UniqueFd inotify(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!inotify) return make_error(ErrorCode::kIo, errno_message("inotify_init1", options_.name));
  for (const auto& tailer : tailers_) {
    ::inotify_add_watch(inotify.get(), tailer->source().path.c_str(),
                        IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB);
  }
  StopWaker waker(stop);
  // Without events we still look every second: a safety net for missed notifications.
  constexpr auto kSafetyPoll = std::chrono::seconds(1);
  while (!stop.stop_requested()) {
    auto read = read_available(stop, sink);
    if (!read) return std::unexpected(read.error());
    if (!*read) break;
    const auto now = std::chrono::steady_clock::now();
    if (!flush_partials(stop, sink, now - options_.flush_partial_after)) break;
    const bool partial_pending =
        std::ranges::any_of(tailers_, [](const auto& t) { return t->has_partial(); });
    const auto wait = partial_pending
                          ? std::min<std::chrono::milliseconds>(options_.flush_partial_after,
                                                                kSafetyPoll)
                          : std::chrono::milliseconds(kSafetyPoll);
    std::array<pollfd, 2> fds{{{inotify.get(), POLLIN, 0}, {waker.fd(), POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), static_cast<int>(wait.count())) > 0 &&
        (fds[0].revents & POLLIN)) {
      drain_events(inotify.get());
    }
  }
  return {};
}

uint64_t FileInput::unacknowledged() const {
  uint64_t total = 0;
  for (const auto& tailer : tailers_) total += tailer->unacknowledged();
  return total;
}

FileInputCounts FileInput::counts() const {
  FileInputCounts counts;
  counts.files = tailers_.size();
  for (const auto& tailer : tailers_) {
    counts.bytes += tailer->bytes_read();
    counts.lines.lines += tailer->counts().lines;
    counts.lines.split_lines += tailer->counts().split_lines;
    counts.lines.truncated_lines += tailer->counts().truncated_lines;
    const ParseStats& parse = tailer->parse_stats();
    counts.parse.records += parse.records;
    counts.parse.parse_failed += parse.parse_failed;
    counts.parse.timestamp_failed += parse.timestamp_failed;
    counts.parse.partials_joined += parse.partials_joined;
    counts.parse.multiline_joined += parse.multiline_joined;
    counts.parse.limit_splits += parse.limit_splits;
    counts.parse.timeout_flushes += parse.timeout_flushes;
    counts.parse.dropped += parse.dropped;
  }
  return counts;
}

}  // namespace logship
