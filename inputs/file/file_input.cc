#include "inputs/file/file_input.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <map>

#include "agent/unique_fd.h"
#include "inputs/parse/kubernetes.h"

namespace logship {
namespace {

using Clock = std::chrono::steady_clock;

// Checkpoint entries of files not seen for this long are forgotten.
constexpr std::chrono::hours kForgetAfter{24};
// A rotated file stays open this long after its last byte, for late writes to its old fd.
constexpr std::chrono::milliseconds kRotatedGrace{1000};
// Between inotify events, files are still checked this often (poll mode: for appends).
constexpr std::chrono::milliseconds kPollInterval{250};

int64_t wall_clock_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

int64_t unix_seconds() { return wall_clock_ns() / 1'000'000'000; }

using InodeKey = std::pair<uint64_t, uint64_t>;

std::optional<InodeKey> inode_of(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return std::nullopt;
  return InodeKey{info.st_dev, info.st_ino};
}

InodeKey key_of(const FileIdentity& identity) { return {identity.device, identity.inode}; }

std::string directory_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

// Wakes a poll() when the input is asked to stop.
class StopWaker {
 public:
  explicit StopWaker(std::stop_token stop)
      : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), callback_(std::move(stop), [this] {
          const uint64_t one = 1;
          [[maybe_unused]] const auto written = ::write(fd_.get(), &one, sizeof one);
        }) {}
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
  std::stop_callback<std::function<void()>> callback_;
};

// Reads pending inotify events; true if any concerns a directory (a file came or went).
bool drain_events(int fd) {
  alignas(inotify_event) std::array<char, 16 * 1024> events{};
  bool directory_changed = false;
  ssize_t n = 0;
  while ((n = ::read(fd, events.data(), events.size())) > 0) {
    for (ssize_t pos = 0; pos < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(events.data() + pos);
      if (event->mask & (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF |
                         IN_MOVE_SELF | IN_Q_OVERFLOW)) {
        directory_changed = true;
      }
      pos += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
  return directory_changed;
}

}  // namespace

Result<void> FileInput::open_file(const std::string& path, bool at_start) {
  Source described{options_.name, path, options_.labels};
  if (options_.kubernetes_labels) {
    std::unique_ptr<char, void (*)(void*)> resolved(::realpath(path.c_str(), nullptr), ::free);
    if (auto k8s = kubernetes_labels(path, resolved ? resolved.get() : path)) {
      for (auto& label : k8s->to_labels()) described.labels.push_back(std::move(label));
    }
  }
  auto source = std::make_shared<const Source>(std::move(described));
  const auto inode = inode_of(path);
  if (!inode) return {};  // vanished between discovery and now
  std::lock_guard lock(mutex_);
  const auto saved = std::ranges::find_if(
      retained_, [&](const CheckpointEntry& e) { return key_of(e.identity) == *inode; });
  Result<std::unique_ptr<Tailer>> tailer;
  if (saved != retained_.end()) {
    bool resumed = false;
    tailer = Tailer::resume(source, saved->identity, saved->offset, saved->tail, options_.tailer,
                            resumed);
    retained_.erase(saved);
  } else {
    // start_at is for the very first start only. A file that appears while we run, or
    // while we were down (the scope has checkpoints), is new: all of it is shipped.
    const bool first_start = at_start && !resumed_scope_;
    const StartPosition start = first_start ? options_.start : StartPosition{};
    tailer = Tailer::open(source, start, options_.tailer);
  }
  if (!tailer) {
    // Unreadable (permissions, raced away): skip it, it is retried at the next scan.
    return tailer.error().code == ErrorCode::kIo ? Result<void>{} : std::unexpected(tailer.error());
  }
  if (inotify_fd_ >= 0) ::inotify_add_watch(inotify_fd_, path.c_str(), IN_MODIFY);
  files_.push_back(Tracked{std::move(*tailer)});
  return {};
}

Result<void> FileInput::scan(bool at_start) {
  const Discovered found = discover(options_.paths, options_.exclude);
  std::map<InodeKey, std::string> present;
  for (const auto& path : found.files) {
    if (auto inode = inode_of(path)) present.emplace(*inode, path);
  }
  {
    std::lock_guard lock(mutex_);
    for (auto& file : files_) {
      const auto it = present.find(key_of(file.tailer->identity()));
      if (it == present.end()) {
        if (!file.rotated) ++rotations_;
        file.rotated = true;
        continue;
      }
      if (it->second != file.tailer->source().path) file.tailer->set_path(it->second);
      file.rotated = false;
      present.erase(it);
    }
  }
  waiting_.clear();
  for (const auto& [inode, path] : present) {
    if (finished_.contains(inode)) continue;
    if (files_.size() >= options_.max_open_files) {
      waiting_.insert(inode);
      continue;
    }
    waiting_.erase(inode);
    if (auto opened = open_file(path, at_start); !opened) return opened;
  }
  watch_directories(found.directories);
  return {};
}

void FileInput::recover_rotated_while_down() {
  // A checkpointed file no glob names any more may have been renamed beside its old path
  // while we were down (app.log -> app.log.1): find it by inode, finish it, then close it.
  std::vector<CheckpointEntry> unmatched;
  {
    std::lock_guard lock(mutex_);
    unmatched = retained_;
  }
  for (const auto& entry : unmatched) {
    const Discovered siblings = discover({directory_of(entry.path) + "/*"}, {});
    for (const auto& path : siblings.files) {
      if (inode_of(path) != key_of(entry.identity)) continue;
      if (open_file(path, false) && !files_.empty() &&
          key_of(files_.back().tailer->identity()) == key_of(entry.identity)) {
        std::lock_guard lock(mutex_);
        files_.back().rotated = true;
      }
      break;
    }
  }
}

Result<void> FileInput::start_files() {
  if (auto scanned = scan(true); !scanned) return scanned;
  recover_rotated_while_down();
  if (files_.empty() && !options_.follow) {
    std::string message = "no file matches";
    for (const auto& pattern : options_.paths) message += " " + pattern;
    return make_error(ErrorCode::kIo, message);
  }
  return {};
}

Result<bool> FileInput::read_available(std::stop_token stop, const BatchSink& sink) {
  for (auto& file : files_) file.at_end = false;
  size_t remaining = files_.size();
  // Round-robin one chunk per file so one busy file cannot starve the others.
  while (remaining > 0) {
    for (auto& file : files_) {
      if (file.at_end) continue;
      Tailer& tailer = *file.tailer;
      auto lease = budget_->acquire(tailer.next_read_bytes(), stop);
      if (!lease) return false;
      auto outcome = tailer.read(std::move(*lease), wall_clock_ns());
      if (!outcome) return std::unexpected(outcome.error());
      if (outcome->end_of_file) {
        std::lock_guard lock(mutex_);
        if (!tailer.restart_if_truncated()) {
          file.at_end = true;
          --remaining;
        }
        continue;
      }
      last_data_ = Clock::now();
      if (outcome->batch && !sink(std::move(*outcome->batch), stop)) return false;
    }
  }
  return true;
}

bool FileInput::flush_partials(std::stop_token stop, const BatchSink& sink, bool only_rotated,
                               Clock::time_point idle_since) {
  if (last_data_ > idle_since) return true;
  for (auto& file : files_) {
    if (!file.tailer->has_partial() || (only_rotated && !file.rotated)) continue;
    auto lease = budget_->acquire(file.tailer->next_read_bytes(), stop);
    if (!lease) return false;
    auto batch = file.tailer->flush_partial(std::move(*lease), wall_clock_ns());
    if (batch && !sink(std::move(*batch), stop)) return false;
  }
  return true;
}

bool FileInput::flush_due_parsers(std::stop_token stop, const BatchSink& sink,
                                  std::optional<int64_t>& next_due_ns) {
  const int64_t now_ns = wall_clock_ns();
  next_due_ns.reset();
  for (auto& file : files_) {
    const auto due = file.tailer->parser_flush_due_ns();
    if (!due) continue;
    if (*due > now_ns) {
      next_due_ns = std::min(next_due_ns.value_or(*due), *due);
      continue;
    }
    auto lease = budget_->acquire(file.tailer->next_read_bytes(), stop);
    if (!lease) return false;
    auto batch = file.tailer->flush_parser(std::move(*lease));
    if (batch && !sink(std::move(*batch), stop)) return false;
  }
  return true;
}

void FileInput::close_finished_rotations(Clock::time_point idle_since) {
  if (last_data_ > idle_since) return;
  std::lock_guard lock(mutex_);
  std::erase_if(files_, [&](Tracked& file) {
    const Tailer& tailer = *file.tailer;
    if (!file.rotated || !file.at_end || tailer.has_partial() || tailer.unacknowledged() > 0) {
      return false;
    }
    const auto view = tailer.checkpoint_view();
    const uint64_t offset = view.tracker->committed_offset();
    const auto tail_length = static_cast<uint32_t>(std::min<uint64_t>(offset, kTailBytes));
    retained_.push_back(CheckpointEntry{
        .scope = options_.scope,
        .identity = view.identity,
        .offset = offset,
        .tail =
            fingerprint(view.fd->get(), offset - tail_length, tail_length).value_or(Fingerprint{}),
        .updated_unix_s = unix_seconds(),
        .path = view.path,
    });
    closed_counts_.bytes += tailer.bytes_read();
    closed_counts_.lines.lines += tailer.counts().lines;
    closed_counts_.lines.split_lines += tailer.counts().split_lines;
    closed_counts_.lines.truncated_lines += tailer.counts().truncated_lines;
    closed_truncations_ += tailer.truncations();
    ++closed_counts_.files;
    return true;
  });
}

void FileInput::watch_directories(const std::vector<std::string>& directories) {
  if (inotify_fd_ < 0) return;
  for (const auto& directory : directories) {
    if (watched_.contains(directory)) continue;
    constexpr uint32_t kDirectoryEvents =
        IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF;
    if (::inotify_add_watch(inotify_fd_, directory.c_str(), kDirectoryEvents) < 0) {
      // Watch limit reached (ENOSPC) or similar: the periodic rescan still finds files.
      continue;
    }
    watched_.insert(directory);
  }
}

Result<void> FileInput::follow(std::stop_token stop, const BatchSink& sink) {
  StopWaker waker(stop);
  auto next_scan = Clock::now() + options_.rescan_interval;
  bool rescan = false;
  while (!stop.stop_requested()) {
    auto read = read_available(stop, sink);
    if (!read) return std::unexpected(read.error());
    if (!*read) break;
    const auto now = Clock::now();
    if (rescan || now >= next_scan) {
      const size_t tracked = files_.size();
      if (auto scanned = scan(false); !scanned) return scanned;
      next_scan = now + options_.rescan_interval;
      rescan = false;
      // A new file usually holds bytes written before its watch was added, and no event
      // will announce them: read it now instead of at the next rescan.
      if (files_.size() != tracked) continue;
    }
    std::optional<int64_t> parser_due_ns;
    if (!flush_due_parsers(stop, sink, parser_due_ns) ||
        !flush_partials(stop, sink, false, now - options_.flush_partial_after) ||
        !flush_partials(stop, sink, true, now - kRotatedGrace)) {
      break;
    }
    close_finished_rotations(now - kRotatedGrace);
    const bool draining = std::ranges::any_of(
        files_, [](const Tracked& f) { return f.rotated || f.tailer->has_partial(); });
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_scan - now);
    if (inotify_fd_ < 0) wait = std::min(wait, kPollInterval);
    if (draining) wait = std::min(wait, std::chrono::milliseconds(kRotatedGrace / 4));
    if (parser_due_ns) {  // a quiet file's last multi-line record ships at flush_after
      const auto until_due = std::chrono::nanoseconds(*parser_due_ns - wall_clock_ns());
      wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(until_due));
    }
    std::array<pollfd, 2> fds{{{inotify_fd_, POLLIN, 0}, {waker.fd(), POLLIN, 0}}};
    const int ready =
        ::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(wait.count(), 1)));
    if (ready > 0 && (fds[0].revents & POLLIN)) rescan = drain_events(inotify_fd_);
  }
  return {};
}

Result<void> FileInput::run(std::stop_token stop, const BatchSink& sink) {
  UniqueFd inotify;
  if (options_.follow && options_.use_inotify) {
    inotify.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    inotify_fd_ = inotify.get();  // -1 if unavailable: polling it is
  }
  if (auto started = start_files(); !started) return started;
  if (options_.follow) {
    auto followed = follow(stop, sink);
    inotify_fd_ = -1;
    return followed;
  }
  return read_once(stop, sink);
}

// One-shot: every file to its end. With more files than max_open_files, in waves: files
// read to their end are closed once acknowledged (keeping their positions) to make room.
Result<void> FileInput::read_once(std::stop_token stop, const BatchSink& sink) {
  for (;;) {
    auto read = read_available(stop, sink);
    if (!read) return std::unexpected(read.error());
    if (!*read || !flush_partials(stop, sink, false, Clock::time_point::max())) return {};
    if (waiting_.empty() || !close_acknowledged(stop)) return {};
    if (auto scanned = scan(true); !scanned) return scanned;
  }
}

// Waits until at least one file read to its end is acknowledged, then closes every such file.
bool FileInput::close_acknowledged(std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  const auto acknowledged = [](const Tracked& f) { return f.tailer->unacknowledged() == 0; };
  while (std::ranges::none_of(files_, acknowledged)) {
    if (wake.wait_for(lock, stop, std::chrono::milliseconds(5), [] { return false; }) ||
        stop.stop_requested()) {
      return false;
    }
  }
  for (auto& file : files_) {
    if (!acknowledged(file)) continue;
    file.rotated = true;  // closed by close_finished_rotations, like a drained rotated file
    finished_.insert(key_of(file.tailer->identity()));
  }
  close_finished_rotations(Clock::time_point::max());
  return true;
}

uint64_t FileInput::unacknowledged() const {
  std::lock_guard lock(mutex_);
  uint64_t total = 0;
  for (const auto& file : files_) total += file.tailer->unacknowledged();
  return total;
}

FileInputCounts FileInput::counts() const {
  std::lock_guard lock(mutex_);
  FileInputCounts counts = closed_counts_;
  counts.files += files_.size();
  counts.rotations = rotations_;
  counts.truncations = closed_truncations_;
  counts.files_waiting = waiting_.size();
  for (const auto& file : files_) {
    const Tailer& tailer = *file.tailer;
    counts.bytes += tailer.bytes_read();
    counts.lines.lines += tailer.counts().lines;
    counts.lines.split_lines += tailer.counts().split_lines;
    counts.lines.truncated_lines += tailer.counts().truncated_lines;
    counts.truncations += tailer.truncations();
    const ParseStats& parse = tailer.parse_stats();
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

std::vector<CheckpointEntry> FileInput::checkpoint_entries() const {
  std::lock_guard lock(mutex_);
  const int64_t now = unix_seconds();
  const int64_t forget_before = now - std::chrono::seconds(kForgetAfter).count();
  std::vector<CheckpointEntry> entries;
  for (const auto& entry : retained_) {
    if (entry.updated_unix_s >= forget_before) entries.push_back(entry);
  }
  for (const auto& file : files_) {
    const auto view = file.tailer->checkpoint_view();
    const uint64_t offset = view.tracker->committed_offset();
    const std::pair<uint64_t, uint64_t> taken_at{offset, view.identity.head.hash};
    if (file.tail_taken_at != taken_at) {
      const auto tail_length = static_cast<uint32_t>(std::min<uint64_t>(offset, kTailBytes));
      const auto tail = fingerprint(view.fd->get(), offset - tail_length, tail_length);
      if (!tail) continue;  // truncated under us: the next snapshot will have it right
      file.tail = *tail;
      file.tail_taken_at = taken_at;
    }
    entries.push_back(CheckpointEntry{.scope = options_.scope,
                                      .identity = view.identity,
                                      .offset = offset,
                                      .tail = file.tail,
                                      .updated_unix_s = now,
                                      .path = view.path});
  }
  return entries;
}

std::vector<FileStatus> FileInput::file_status() const {
  std::lock_guard lock(mutex_);
  std::vector<FileStatus> status;
  status.reserve(files_.size());
  for (const auto& file : files_) {
    const auto view = file.tailer->checkpoint_view();
    struct stat info {};
    const uint64_t size =
        ::fstat(view.fd->get(), &info) == 0 ? static_cast<uint64_t>(info.st_size) : 0;
    status.push_back({.path = view.path,
                      .size = size,
                      .acknowledged = view.tracker->committed_offset(),
                      .dropped_batches = view.tracker->dropped()});
  }
  return status;
}

}  // namespace logship
