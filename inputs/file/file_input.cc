#include "inputs/file/file_input.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
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
// A file written this shortly before our last checkpoint may still have been unknown to it.
constexpr std::chrono::seconds kUnseenRotationSlack{5};
// A rotated file stays open this long after its last byte, for late writes to its old fd.
constexpr std::chrono::milliseconds kRotatedGrace{1000};
// Between inotify events, files are still checked this often (poll mode: for appends).
constexpr std::chrono::milliseconds kPollInterval{250};
// A paused input looks up from waiting this often, to spool rotated files.
constexpr std::chrono::milliseconds kPausedSlice{250};
// After a failed spool write (disk full, unwritable data_dir) the file stays open; retry later.
constexpr std::chrono::seconds kSpoolRetry{10};
// While files wait for a slot, open files are checked this often for having gone idle (and
// for their acknowledgements, which arrive without an event).
constexpr std::chrono::milliseconds kWaitingRecheck{100};
// Rung 1: read chunks while the memory budget is above its high-water mark.
constexpr size_t kTightChunkBytes = 32 * 1024;

int64_t wall_clock_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

int64_t unix_seconds() { return wall_clock_ns() / 1'000'000'000; }

std::optional<InodeKey> inode_of(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return std::nullopt;
  return InodeKey{info.st_dev, info.st_ino};
}

ClosedFile state_of(const struct stat& info) {
  return {.size = static_cast<uint64_t>(info.st_size),
          .changed_ns =
              static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec};
}

std::optional<std::pair<InodeKey, ClosedFile>> stat_file(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return std::nullopt;
  return std::pair{InodeKey{info.st_dev, info.st_ino}, state_of(info)};
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

// When the file was created, where the filesystem records it (statx btime).
std::optional<int64_t> birth_time(int fd) {
  struct statx info {};
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &info) != 0 || !(info.stx_mask & STATX_BTIME)) {
    return std::nullopt;
  }
  return info.stx_btime.tv_sec;
}

bool looks_compressed(std::string_view path) {
  for (std::string_view extension : {".gz", ".bz2", ".xz", ".zst", ".lz4", ".zip", ".Z"}) {
    if (path.ends_with(extension)) return true;
  }
  return false;
}

}  // namespace

std::shared_ptr<const Source> FileInput::make_source(const std::string& path) const {
  Source described{options_.name, path, options_.labels};
  if (options_.kubernetes_labels) {
    std::unique_ptr<char, void (*)(void*)> resolved(::realpath(path.c_str(), nullptr), ::free);
    if (auto k8s = kubernetes_labels(path, resolved ? resolved.get() : path)) {
      for (auto& label : k8s->to_labels()) described.labels.push_back(std::move(label));
    }
  }
  return std::make_shared<const Source>(std::move(described));
}

Result<void> FileInput::open_file(const std::string& path, bool at_start,
                                  std::vector<PathProblem>* unreadable) {
  auto source = make_source(path);
  const auto inode = inode_of(path);
  if (!inode) return {};  // vanished between discovery and now
  std::unique_lock lock(mutex_);
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
    const Error& error = tailer.error();
    if (error.code != ErrorCode::kIo) return std::unexpected(error);
    if (unreadable && error.system_error != ENOENT) {
      unreadable->push_back(
          {path, error.system_error != 0 ? reason_of(error.system_error) : error.message});
    }
    return {};
  }
  if (watcher_) watcher_->watch_file(path);
  files_.push_back(Tracked{std::move(*tailer)});
  lock.unlock();
  // After a crash a file renamed away is found again only through its checkpoint entry,
  // and before the first entry a restart is a first start again (start_at, not resume):
  // the new position must not wait a whole checkpoint interval to be saved.
  report({.kind = FileInputEvent::Kind::kOpened, .path = path});
  return {};
}

std::map<InodeKey, FileInput::FoundFile> FileInput::mark_rotations(const Discovered& found) {
  std::map<InodeKey, FoundFile> present;
  for (const auto& path : found.files) {
    if (auto file = stat_file(path)) present.emplace(file->first, FoundFile{path, file->second});
  }
  std::lock_guard lock(mutex_);
  for (auto& file : files_) {
    if (file.replay_seq != 0 || file.spooled) continue;  // not a file any glob names
    const auto it = present.find(key_of(file.tailer->identity()));
    if (it == present.end()) {
      if (!file.rotated) {
        ++rotations_;
        file.rotated_at = Clock::now();
      }
      file.rotated = true;
      continue;
    }
    if (it->second.path != file.tailer->source().path) file.tailer->set_path(it->second.path);
    file.rotated = false;
    present.erase(it);
  }
  return present;
}

Result<void> FileInput::scan(bool at_start) {
  Discovered found = discover(options_.paths, options_.exclude);
  // Directories first: a file opened below needs no watch of its own if its directory has one.
  if (watcher_) watcher_->watch_directories(found.directories);
  note_watches();
  queue_found(mark_rotations(found), at_start);
  auto opened = open_waiting(&found.problems);
  note_unreadable(std::move(found.problems));
  return opened;
}

void FileInput::note_unreadable(std::vector<PathProblem> problems) {
  // A glob that matched once and matches nothing now is rotation or churn (app.log renamed,
  // a pod's directory removed), not a mistake to report.
  for (const auto& glob : options_.paths) {
    if (std::ranges::none_of(problems, [&](const PathProblem& p) { return p.path == glob; })) {
      matched_globs_.insert(glob);
    }
  }
  std::erase_if(problems, [&](const PathProblem& problem) {
    return problem.reason == kNoMatch && matched_globs_.contains(problem.path);
  });
  std::ranges::sort(problems);
  problems.erase(std::unique(problems.begin(), problems.end()), problems.end());
  for (const PathProblem& problem : problems) {
    if (std::ranges::binary_search(unreadable_, problem)) continue;
    report(
        {.kind = FileInputEvent::Kind::kUnreadable, .path = problem.path, .error = problem.reason});
  }
  std::lock_guard lock(mutex_);
  unreadable_ = std::move(problems);
}

void FileInput::queue_found(std::map<InodeKey, FoundFile> found, bool at_start) {
  waiting_.retain_if([&](WaitingFile& file) {
    const auto it = found.find(file.key);
    if (it == found.end()) return false;  // gone (or renamed out of the globs) while waiting
    file.path = it->second.path;
    return true;
  });
  std::lock_guard lock(mutex_);  // parked_ and retained_ are read by the checkpoint thread
  for (auto it = parked_.begin(); it != parked_.end();) {
    const auto seen = found.find(it->first);
    const bool changed =
        seen != found.end() && changed_since_closed(it->second.closed, seen->second.state);
    if (seen != found.end() && !changed) {
      it->second.entry.path = seen->second.path;
      found.erase(seen);
      ++it;
      continue;
    }
    // Changed: it resumes from its entry when its turn comes. Gone: the entry is kept like
    // a closed rotated file's, for a restart to find it beside its old path.
    if (changed) {
      waiting_.push({.key = it->first, .path = seen->second.path, .reopening = true});
      found.erase(seen);
    }
    it->second.entry.updated_unix_s = unix_seconds();
    retained_.push_back(std::move(it->second.entry));
    it = parked_.erase(it);
  }
  for (auto& [key, file] : found) {
    if (!finished_.contains(key)) {
      waiting_.push({.key = key, .path = std::move(file.path), .at_start = at_start});
    }
  }
}

void FileInput::queue_written(const std::set<std::string>& written) {
  if (parked_.empty()) return;
  std::lock_guard lock(mutex_);
  for (const auto& path : written) {
    const auto now = stat_file(path);
    if (!now) continue;
    const auto it = parked_.find(now->first);
    if (it == parked_.end() || !changed_since_closed(it->second.closed, now->second)) continue;
    retained_.push_back(std::move(it->second.entry));
    parked_.erase(it);
    waiting_.push({.key = now->first, .path = path, .reopening = true});
  }
}

void FileInput::handle_changes(const FileWatcher::Changes& changes) {
  // The events are used up now, and some may be writes to files a pass of read_available()
  // already found at their end: every file is read once more.
  if (changes.directories || !changes.written.empty()) {
    for (auto& file : files_) file.at_end = false;
  }
  if (changes.directories) rescan_pending_ = true;
  queue_written(changes.written);
  note_watches();
}

void FileInput::note_watches() {
  if (!watcher_) return;
  const uint64_t unwatched = watcher_->unwatched();
  if (unwatched > 0 && polled_directories_ == 0) {  // once, until every one is watched again
    report({.kind = FileInputEvent::Kind::kWatchLimit,
            .files = unwatched,
            .error = watcher_->unwatched_reason()});
  }
  polled_directories_ = unwatched;
  watch_overflows_ = watcher_->overflows();
}

Result<void> FileInput::open_waiting(std::vector<PathProblem>* unreadable) {
  while (files_.size() < options_.max_open_files) {
    auto next = waiting_.pop();
    if (!next) break;
    if (inode_of(next->path) != next->key) continue;  // replaced meanwhile: a scan finds it
    if (auto opened = open_file(next->path, next->at_start, unreadable); !opened) return opened;
  }
  note_waiting();
  return {};
}

void FileInput::note_waiting() {
  waiting_count_ = waiting_.size();
  const auto started = waiting_notice_.update(waiting_.first_waits());
  if (started && options_.follow) {
    report({.kind = FileInputEvent::Kind::kFilesWaiting, .files = *started});
  }
}

Result<bool> FileInput::take_turns() {
  const size_t open_before = files_.size();
  if (auto opened = open_waiting(); !opened) return std::unexpected(opened.error());
  if (files_.size() > open_before) return true;  // there were free slots
  if (waiting_.empty()) return false;
  const int64_t now_ns = wall_clock_ns();
  std::vector<OpenFileState> states;
  std::vector<ClosedFile> closed;
  std::vector<std::list<Tracked>::iterator> tracked;
  for (auto it = files_.begin(); it != files_.end(); ++it) {
    const Tailer& tailer = *it->tailer;
    const OpenFileState state{.at_end = it->at_end,
                              .draining = it->rotated || it->spooled || it->replay_seq != 0,
                              .has_partial = tailer.has_partial(),
                              .unacknowledged = tailer.unacknowledged(),
                              .changed_ns = now_ns};
    states.push_back(state);
    struct stat info {};
    ClosedFile now;
    // Only a file with nothing pending can be idle, and not one grown since its last read
    // (size past the acknowledged offset) whatever its modification time says.
    if (state.at_end && !state.draining && !state.has_partial && state.unacknowledged == 0 &&
        ::fstat(tailer.fd(), &info) == 0 &&
        (now = state_of(info)).size == tailer.committed_offset()) {
      states.back().changed_ns = last_change_ns(it->change, now, now_ns);
    }
    closed.push_back(now);
    tracked.push_back(it);
  }
  const auto picks = files_to_close(states, waiting_.size(), now_ns);
  if (picks.empty()) return false;
  std::vector<CheckpointEntry> entries;
  for (const size_t i : picks) entries.push_back(entry_of(*tracked[i]->tailer));
  {
    // One critical section: counts() never sees a file both closed and open.
    std::lock_guard lock(mutex_);
    for (size_t k = 0; k < picks.size(); ++k) {
      const auto file = tracked[picks[k]];
      count_closed(*file->tailer);
      parked_.insert_or_assign(key_of(file->tailer->identity()),
                               Parked{std::move(entries[k]), closed[picks[k]]});
      files_.erase(file);
    }
  }
  if (auto opened = open_waiting(); !opened) return std::unexpected(opened.error());
  return true;
}

CheckpointEntry FileInput::entry_of(const Tailer& tailer) const {
  const auto view = tailer.checkpoint_view();
  const uint64_t offset = view.tracker->committed_offset();
  const auto tail_length = static_cast<uint32_t>(std::min<uint64_t>(offset, kTailBytes));
  return CheckpointEntry{
      .scope = options_.scope,
      .identity = view.identity,
      .offset = offset,
      .tail =
          fingerprint(view.fd->get(), offset - tail_length, tail_length).value_or(Fingerprint{}),
      .updated_unix_s = unix_seconds(),
      .path = view.path,
  };
}

// Its counters outlive the tailer. Under mutex_.
void FileInput::count_closed(const Tailer& tailer) {
  closed_counts_.bytes += tailer.bytes_read();
  closed_counts_.lines.lines += tailer.counts().lines;
  closed_counts_.lines.split_lines += tailer.counts().split_lines;
  closed_counts_.lines.truncated_lines += tailer.counts().truncated_lines;
  closed_truncations_ += tailer.truncations();
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
      // The inode may have been reused by an unrelated file: adopt it only if its bytes are
      // the ones the checkpoint saw. A file still empty when last checkpointed has no bytes
      // to compare (its head is hashed as it is read), so it is adopted by inode alone.
      UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) break;
      const auto current = identify(fd.get());
      if (!current ||
          !matches_checkpoint(fd.get(), *current, entry.identity, entry.offset, entry.tail)) {
        break;
      }
      if (open_file(path, false) && !files_.empty() &&
          key_of(files_.back().tailer->identity()) == key_of(entry.identity)) {
        std::lock_guard lock(mutex_);
        files_.back().rotated = true;
        files_.back().rotated_at = Clock::now();
      }
      break;
    }
  }
}

void FileInput::recover_unseen_rotations() {
  // A live file without a checkpoint entry is new since the last run. Its predecessors may
  // have been created and renamed away (app.log -> app.log.1) before we ever checkpointed
  // them: while we were down, or killed just after they appeared. No entry names them and
  // no glob matches them, so look beside the new file for rotated names written since our
  // last checkpoint and read them whole. A file we checkpointed is in `resume` (and was
  // handled by recover_rotated_while_down); a copy (copytruncate) carries the head of a
  // checkpointed file and is skipped; older files were shipped, or predate our first start.
  if (!resumed_scope_) return;
  int64_t last_checkpoint = 0;
  for (const auto& entry : options_.resume) {
    last_checkpoint = std::max(last_checkpoint, entry.updated_unix_s);
  }
  // Whether `fd` starts with the bytes an entry saw at the head of its file.
  const auto has_head_of = [](int fd, const CheckpointEntry& entry) {
    if (entry.identity.head.length == 0) return false;
    const auto head = fingerprint(fd, 0, entry.identity.head.length);
    return head && *head == entry.identity.head;
  };
  // New: no entry saw this file. A head that differs on a checkpointed inode is either a
  // truncation (copytruncate: the copies beside it are old bytes, not new files) or a new
  // file on a reused inode: born after the entry was written. Without a birth time it is
  // taken for a truncation, so that copies are never shipped twice.
  const auto new_since_checkpoint = [&](const Tailer& tailer) {
    const int fd = tailer.checkpoint_view().fd->get();
    std::optional<int64_t> inode_seen_at;
    for (const auto& entry : options_.resume) {
      if (key_of(entry.identity) != key_of(tailer.identity())) continue;
      if (entry.identity.head.length == 0 || has_head_of(fd, entry)) return false;
      inode_seen_at = std::max(inode_seen_at.value_or(0), entry.updated_unix_s);
    }
    if (!inode_seen_at) return true;
    const auto born = birth_time(fd);
    return born && *born > *inode_seen_at;
  };
  std::vector<std::string> rotated_names;
  for (const auto& file : files_) {
    if (!new_since_checkpoint(*file.tailer)) continue;
    for (const char* separator : {".*", "-*", "_*"}) {
      rotated_names.push_back(file.tailer->source().path + separator);
    }
  }
  if (rotated_names.empty()) return;
  for (const auto& path : discover(rotated_names, options_.exclude).files) {
    struct stat status {};
    if (looks_compressed(path) || ::stat(path.c_str(), &status) != 0 ||
        status.st_mtim.tv_sec < last_checkpoint - kUnseenRotationSlack.count()) {
      continue;
    }
    const bool tracked = std::ranges::any_of(files_, [&](const Tracked& f) {
      return key_of(f.tailer->identity()) == InodeKey{status.st_dev, status.st_ino};
    });
    if (tracked) continue;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd || std::ranges::any_of(options_.resume, [&](const CheckpointEntry& e) {
          return has_head_of(fd.get(), e);
        })) {
      continue;
    }
    const size_t before = files_.size();
    if (!open_file(path, false) || files_.size() == before) continue;
    std::lock_guard lock(mutex_);
    files_.back().rotated = true;
    files_.back().rotated_at = Clock::now();
  }
}

Result<void> FileInput::start_files() {
  if (auto scanned = scan(true); !scanned) return scanned;
  recover_rotated_while_down();
  recover_unseen_rotations();
  if (files_.empty() && !options_.follow) {
    const bool only_unmatched = std::ranges::all_of(
        unreadable_, [](const PathProblem& problem) { return problem.reason == kNoMatch; });
    std::string message = only_unmatched ? "no file matches" : "no file can be read:";
    for (const auto& pattern : options_.paths) {
      if (only_unmatched) message += " " + pattern;
    }
    for (const auto& problem : unreadable_) {
      if (!only_unmatched) message += " " + problem.path + " (" + problem.reason + ")";
    }
    return make_error(ErrorCode::kIo, message);
  }
  return {};
}

std::optional<MemoryLease> FileInput::lease(size_t bytes, std::stop_token stop) {
  for (;;) {
    auto lease = budget_->acquire_until(bytes, stop, Clock::now() + kPausedSlice);
    if (lease || stop.stop_requested()) {
      paused_ = false;
      return lease;
    }
    while_paused();
  }
}

bool FileInput::hand_over(Batch&& batch, std::stop_token stop, const BatchSink& sink) {
  for (;;) {
    switch (sink(batch, stop, Clock::now() + kPausedSlice)) {
      case PushResult::kPushed:
        paused_ = false;
        return true;
      case PushResult::kClosed:
        return false;
      case PushResult::kFull:
        while_paused();
    }
  }
}

// A file that is created and renamed away while we are paused or busy catching up must
// still be opened and reach the checkpoints: after a crash, a rotated file is found again
// only if it was checkpointed. So the input looks for new files between passes and between
// slices of waiting, not only when it has caught up.
void FileInput::notice_new_files() {
  if (!options_.follow) return;
  if (watcher_) handle_changes(watcher_->drain());
  const auto now = Clock::now();
  if (!rescan_pending_ && now < next_scan_) return;
  if (auto scanned = scan(false); !scanned) {
    report({.kind = FileInputEvent::Kind::kScanFailed, .error = scanned.error().message});
  }
  next_scan_ = now + options_.rescan_interval;
  rescan_pending_ = false;
}

// Runs between slices of waiting for memory or queue room. It may add tracked files but
// not remove any: the caller may be in the middle of a loop over them.
void FileInput::while_paused() {
  mark_alive();
  if (!paused_.exchange(true)) {
    ++pauses_;
    report({.kind = FileInputEvent::Kind::kPaused});
  }
  notice_new_files();
  if (!spool_) return;
  const auto now = Clock::now();
  if (now < spool_retry_after_) return;
  for (auto& file : files_) {
    if (file.rotated && !file.spooled && file.replay_seq == 0 &&
        now - file.rotated_at >= kRotatedGrace) {
      spool_file(file);
    }
  }
}

void FileInput::spool_file(Tracked& file) {
  Tailer& tailer = *file.tailer;
  const auto view = tailer.checkpoint_view();
  // From the acknowledged offset, not from what was handed out: the file may be deleted,
  // and if the agent dies before the batches in flight are delivered, the spool is the
  // only copy left of them.
  const uint64_t from = view.tracker->committed_offset();
  const uint64_t dropped_before = spool_->stats().dropped_lines;
  auto end = spool_->add(view.fd->get(), from, tailer.handed_out_offset(), view.path);
  if (!end) {
    report({.kind = FileInputEvent::Kind::kSpoolFailed,
            .path = view.path,
            .error = end.error().message});
    spool_retry_after_ = Clock::now() + kSpoolRetry;
    return;
  }
  const auto tail_length = static_cast<uint32_t>(std::min<uint64_t>(*end, kTailBytes));
  const Fingerprint tail =
      fingerprint(view.fd->get(), *end - tail_length, tail_length).value_or(Fingerprint{});
  std::lock_guard lock(mutex_);
  tailer.refresh_head();
  file.spooled = Spooled{.end = *end, .tail = tail};
  tailer.detach();
  report({.kind = FileInputEvent::Kind::kSpooled,
          .path = view.path,
          .bytes = *end - from,
          .lines = spool_->stats().dropped_lines - dropped_before});
}

void FileInput::report(const FileInputEvent& event) const {
  if (options_.on_event) options_.on_event(event);
}

bool FileInput::start_replay() {
  if (std::ranges::any_of(files_, [](const Tracked& f) { return f.replay_seq != 0; })) return true;
  if (!spool_ || spool_->empty()) return false;
  const SpoolSegment segment = spool_->oldest();
  auto fd = spool_->open_replay(segment.seq);
  if (!fd) {
    report({.kind = FileInputEvent::Kind::kSpoolUnreadable,
            .path = segment.path,
            .lines = segment.lines,
            .error = fd.error().message});
    spool_->remove(segment.seq, /*shipped=*/false);
    return false;
  }
  auto identity = identify(fd->get());
  if (!identity) return false;
  // Not a file on any filesystem: device 0 keeps its checkpoint entry from ever matching
  // one, and the segment number finds it again after a restart.
  identity->device = 0;
  identity->inode = segment.seq;
  std::lock_guard lock(mutex_);
  uint64_t offset = 0;
  const auto saved = std::ranges::find_if(
      retained_, [&](const CheckpointEntry& e) { return key_of(e.identity) == key_of(*identity); });
  if (saved != retained_.end()) {
    offset = std::min(saved->offset, segment.raw_bytes);
    retained_.erase(saved);
  }
  offset = std::max(offset, segment.in_flight_bytes);
  auto tailer =
      Tailer::adopt(make_source(segment.path), std::move(*fd), *identity, offset, options_.tailer);
  if (!tailer) return false;
  Tracked replay{std::move(*tailer)};
  replay.rotated = true;  // closed (and the segment deleted) once read and acknowledged
  replay.replay_seq = segment.seq;
  files_.insert(files_.begin(), std::move(replay));
  return true;
}

Result<bool> FileInput::read_available(std::stop_token stop, const BatchSink& sink) {
  for (auto& file : files_) file.at_end = false;
  const bool tight = budget_->tight();
  if (tight && !tight_) report({.kind = FileInputEvent::Kind::kTight});
  tight_ = tight;
  const size_t chunk = tight ? kTightChunkBytes : options_.tailer.chunk_bytes;
  // Round-robin one chunk per file so one busy file cannot starve the others, until a pass
  // finds every file at its end (files opened meanwhile by a paused scan included).
  // Spooled bytes are older than anything in the files: while a segment replays, only it
  // is read. Files spooled while this pass waited for room (while_paused) are replayed from
  // the next round on, so no file is read past them once the output moves again.
  for (bool pending = true; pending;) {
    pending = false;
    const bool replaying = start_replay();
    const bool spool_was_empty = spool_ && spool_->empty();
    for (auto& file : files_) {
      if (file.at_end || (replaying && file.replay_seq == 0)) continue;
      pending = true;
      Tailer& tailer = *file.tailer;
      tailer.set_chunk_bytes(std::min(chunk, options_.tailer.chunk_bytes));
      auto lease = this->lease(tailer.next_read_bytes(), stop);
      if (!lease) return false;
      if (spool_was_empty && !spool_->empty()) break;  // spooled meanwhile: replay it first
      auto outcome = locked([&] { return tailer.read(std::move(*lease), wall_clock_ns()); });
      if (!outcome) return std::unexpected(outcome.error());
      if (outcome->end_of_file) {
        std::lock_guard lock(mutex_);
        if (!tailer.restart_if_truncated()) file.at_end = true;
        continue;
      }
      if (tailer.identity().head.length < kHeadBytes) {
        std::lock_guard lock(mutex_);  // checkpoints read the identity
        tailer.refresh_head();
      }
      last_data_ = Clock::now();
      if (outcome->batch && !hand_over(std::move(*outcome->batch), stop, sink)) return false;
    }
    if (pending) notice_new_files();
  }
  return true;
}

bool FileInput::flush_partials(std::stop_token stop, const BatchSink& sink, bool only_rotated,
                               Clock::time_point idle_since) {
  if (last_data_ > idle_since) return true;
  for (auto& file : files_) {
    if (!file.tailer->has_partial() || (only_rotated && !file.rotated)) continue;
    auto lease = this->lease(file.tailer->next_read_bytes(), stop);
    if (!lease) return false;
    auto batch =
        locked([&] { return file.tailer->flush_partial(std::move(*lease), wall_clock_ns()); });
    if (batch && !hand_over(std::move(*batch), stop, sink)) return false;
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
    auto lease = this->lease(file.tailer->next_read_bytes(), stop);
    if (!lease) return false;
    auto batch = locked([&] { return file.tailer->flush_parser(std::move(*lease)); });
    if (batch && !hand_over(std::move(*batch), stop, sink)) return false;
  }
  return true;
}

void FileInput::close_finished_rotations(Clock::time_point idle_since) {
  // Late writes may still reach a rotated file through its old fd; not a spooled or
  // replayed one.
  const bool idle = last_data_ <= idle_since;
  std::lock_guard lock(mutex_);
  std::erase_if(files_, [&](Tracked& file) {
    const Tailer& tailer = *file.tailer;
    if (!file.rotated || !file.at_end || tailer.has_partial() || tailer.unacknowledged() > 0) {
      return false;
    }
    if (!idle && !file.spooled && file.replay_seq == 0) return false;
    const auto view = tailer.checkpoint_view();
    if (file.replay_seq != 0) {
      spool_->remove(file.replay_seq, /*shipped=*/true);  // every byte is acknowledged
    } else if (file.spooled) {
      // What was not handed out lives in the spool: the file itself is done.
      retained_.push_back(CheckpointEntry{.scope = options_.scope,
                                          .identity = view.identity,
                                          .offset = file.spooled->end,
                                          .tail = file.spooled->tail,
                                          .updated_unix_s = unix_seconds(),
                                          .path = view.path});
    } else {
      retained_.push_back(entry_of(tailer));
    }
    count_closed(tailer);
    ++closed_counts_.files;
    return true;
  });
}

Result<void> FileInput::follow(std::stop_token stop, const BatchSink& sink) {
  StopWaker waker(stop);
  next_scan_ = Clock::now() + options_.rescan_interval;
  while (!stop.stop_requested()) {
    mark_alive();
    auto read = read_available(stop, sink);
    if (!read) return std::unexpected(read.error());
    if (!*read) break;
    const auto now = Clock::now();
    if (rescan_pending_ || now >= next_scan_) {
      const size_t tracked = files_.size();
      if (auto scanned = scan(false); !scanned) return scanned;
      next_scan_ = now + options_.rescan_interval;
      rescan_pending_ = false;
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
    auto turned = take_turns();
    if (!turned) return std::unexpected(turned.error());
    if (*turned) continue;  // read the files just opened
    const bool draining = std::ranges::any_of(
        files_, [](const Tracked& f) { return f.rotated || f.tailer->has_partial(); });
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_scan_ - now);
    // Without inotify, or where a directory got no watch, appends are found by polling.
    if (!watcher_ || polled_directories_ > 0) wait = std::min(wait, kPollInterval);
    if (!waiting_.empty()) wait = std::min(wait, kWaitingRecheck);
    if (draining) wait = std::min(wait, std::chrono::milliseconds(kRotatedGrace / 4));
    if (parser_due_ns) {  // a quiet file's last multi-line record ships at flush_after
      const auto until_due = std::chrono::nanoseconds(*parser_due_ns - wall_clock_ns());
      wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(until_due));
    }
    std::array<pollfd, 2> fds{
        {{watcher_ ? watcher_->fd() : -1, POLLIN, 0}, {waker.fd(), POLLIN, 0}}};
    const int ready =
        ::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(wait.count(), 1)));
    if (ready > 0 && (fds[0].revents & POLLIN)) {
      handle_changes(watcher_->drain());
      if (auto opened = open_waiting(); !opened) return opened;
    }
  }
  return {};
}

Result<void> FileInput::run(std::stop_token stop, const BatchSink& sink) {
  struct Returned {  // however it returns: a thread that has finished is not stuck
    FileInput& input;
    ~Returned() { input.alive_ticks_ = std::chrono::steady_clock::duration::max().count(); }
  } returned{*this};
  if (options_.follow && options_.use_inotify) watcher_ = FileWatcher::open();  // or poll
  if (options_.follow && !options_.spool_dir.empty() && options_.spool_max_bytes > 0) {
    auto spool = Spool::open(options_.spool_dir, options_.spool_max_bytes, options_.tailer.ledger);
    if (!spool) return std::unexpected(spool.error());
    std::lock_guard lock(mutex_);
    spool_ = std::move(*spool);
  }
  if (auto started = start_files(); !started) return started;
  if (options_.follow) {
    auto followed = follow(stop, sink);
    watcher_.reset();
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
  counts.files += files_.size() + parked_.size();
  counts.rotations = rotations_;
  counts.truncations = closed_truncations_;
  counts.files_waiting = waiting_count_;
  counts.unreadable_paths = unreadable_.size();
  counts.polled_directories = polled_directories_;
  counts.watch_overflows = watch_overflows_;
  if (spool_) counts.spool = spool_->stats();
  counts.pauses = pauses_;
  counts.paused = paused_;
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
  for (const auto& [key, parked] : parked_) {  // live files, seen at the last scan
    entries.push_back(parked.entry);
    entries.back().updated_unix_s = now;
  }
  for (const auto& file : files_) {
    const auto view = file.tailer->checkpoint_view();
    const uint64_t offset = view.tracker->committed_offset();
    if (file.spooled) {  // its fd is closed; the spool holds all it had unacknowledged
      entries.push_back(CheckpointEntry{.scope = options_.scope,
                                        .identity = view.identity,
                                        .offset = file.spooled->end,
                                        .tail = file.spooled->tail,
                                        .updated_unix_s = now,
                                        .path = view.path});
      continue;
    }
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
