#pragma once
// FileInput: the `file` input. Discovers files by glob (inotify on their directories, with
// a periodic rescan as fallback or as the only mode), tails each by identity, and hands
// batches to the pipeline, charging each read to the memory budget first (when it is
// spent, reading waits: the files on disk are the buffer).
// Rotation: a file whose path no longer names it (renamed or deleted) is read to its end,
// kept open until every batch of it is acknowledged, then closed; a file found again under
// a new name keeps its position. Truncation restarts a file from 0. Files seen in
// checkpoints resume where their acknowledged prefix ends, including files rotated away
// while the agent was down (found beside their old path by inode and fingerprint).
// Degradation (DESIGN.md): while memory is tight files are read in smaller chunks; when the
// budget or the queue has no room the input pauses, and while paused a rotated-away file
// still unshipped is copied into the spool (spool.h) and closed, so a blocked output does
// not pin deleted files on disk. Spooled bytes are shipped before any other file's when
// the output moves again.
// Open files (open_file_policy.h): at most max_open_files; further files wait in a queue,
// oldest first. While files wait, an open file that is idle (read to its end, acknowledged,
// no partial line, unchanged for kIdleBeforeClose) is closed, its position kept as a
// checkpoint entry, to open the next waiting file; it waits again when it changes (a write
// event from its directory's watch, or the rescan) and resumes from that entry.
// One-shot (follow = false): reads every file to its end, ships held partial lines, returns.
// Thread: run() on the input's own thread; checkpoint_entries() and file_status() from any
// thread; counts() and unacknowledged() after run() returns.

#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "agent/memory_budget.h"
#include "inputs/file/checkpoint_store.h"
#include "inputs/file/discovery.h"
#include "inputs/file/file_watcher.h"
#include "inputs/file/framer.h"
#include "inputs/file/open_file_policy.h"
#include "inputs/file/spool.h"
#include "inputs/file/tailer.h"
#include "inputs/input.h"

namespace logship {

// What the input reports for the agent's log (it does not log itself).
struct FileInputEvent {
  enum class Kind {
    kSpooled,          // a rotated file went to the spool and was closed (bytes, lines dropped)
    kSpoolFailed,      // could not spool a file; it stays open (error)
    kSpoolUnreadable,  // a segment could not be replayed; its lines are lost (lines, error)
    kScanFailed,       // finding files while paused failed (error)
    kTight,            // memory above its high-water mark: reading in smaller chunks
    kPaused,           // no memory or queue room: reading stopped until there is
    kOpened,           // a file is tracked now (path): its position should be saved soon
    kUnreadable,       // a path or glob names nothing readable (path, error: the reason)
    kFilesWaiting,     // files started waiting for a slot under max_open_files (files)
    kWatchLimit,       // directories got no inotify watch and are polled (files, error)
  } kind;
  std::string path;
  uint64_t bytes = 0;
  uint64_t lines = 0;
  uint64_t files = 0;
  std::string error;
};

struct FileInputOptions {
  std::string name;
  std::string scope;               // checkpoint scope: which pipeline reads these files
  std::vector<std::string> paths;  // globs
  std::vector<std::string> exclude;
  StartPosition start;  // for files present at start and not in the checkpoints
  TailerOptions tailer;
  bool follow = false;
  std::chrono::milliseconds flush_partial_after{5000};
  std::chrono::milliseconds rescan_interval{5000};
  bool use_inotify = true;
  size_t max_open_files = 1024;
  std::vector<std::pair<std::string, std::string>> labels;
  bool kubernetes_labels = false;       // namespace, pod, pod_uid, container from the path
  std::vector<CheckpointEntry> resume;  // saved entries of this scope
  std::string spool_dir;                // empty: no spool (rotated files stay open)
  uint64_t spool_max_bytes = 0;
  std::function<void(const FileInputEvent&)> on_event;  // from the input's thread
};

struct FileInputCounts {
  uint64_t files = 0;
  uint64_t bytes = 0;
  FramerCounts lines;
  ParseStats parse;
  uint64_t rotations = 0;
  uint64_t truncations = 0;
  uint64_t files_waiting = 0;       // found but not opened: max_open_files reached
  uint64_t unreadable_paths = 0;    // paths and globs that name nothing readable now
  uint64_t polled_directories = 0;  // no inotify watch (the watch limit): polled instead
  uint64_t watch_overflows = 0;     // inotify queue overflows, each answered by a full rescan
  uint64_t pauses = 0;              // times reading stopped for want of memory or queue room
  bool paused = false;              // stopped now
  SpoolStats spool;
};

// One open file as the metrics see it; its lag is size - acknowledged.
struct FileStatus {
  std::string path;
  uint64_t size = 0;          // of the open file, now
  uint64_t acknowledged = 0;  // end of the contiguous acknowledged prefix
  uint64_t dropped_batches = 0;
};

class FileInput final : public Input {
 public:
  FileInput(FileInputOptions options, MemoryBudget& budget)
      : options_(std::move(options)),
        budget_(&budget),
        resumed_scope_(!options_.resume.empty()),
        retained_(options_.resume) {}

  Result<void> run(std::stop_token stop, const BatchSink& sink) override;
  uint64_t unacknowledged() const override;
  FileInputCounts counts() const;
  // Every file's acknowledged position, for the checkpoint writer. Thread-safe.
  std::vector<CheckpointEntry> checkpoint_entries() const;
  // Every open file's status, for metrics. Thread-safe.
  std::vector<FileStatus> file_status() const;
  // When the input's thread last went round its loop (or waited a slice for room): a
  // thread stuck in a system call stops moving it. time_point::max() once run() returned.
  // Thread-safe.
  std::chrono::steady_clock::time_point last_alive() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(alive_ticks_.load(std::memory_order_relaxed)));
  }

 private:
  struct Spooled {
    uint64_t end = 0;  // the file's size when spooled
    Fingerprint tail;  // at `end`
  };
  struct Tracked {
    std::unique_ptr<Tailer> tailer;
    bool at_end = false;
    bool rotated = false;  // its path no longer names it: drain, then close
    std::chrono::steady_clock::time_point rotated_at;
    std::optional<Spooled> spooled;  // its unread bytes went to the spool; fd closed
    uint64_t replay_seq = 0;         // nonzero: this is spool segment `replay_seq` replaying
    ChangeWatch change;              // while files wait: when it last changed
    // The tail fingerprint last checkpointed and what it was taken at (offset, head hash):
    // an idle file is not read again every checkpoint interval. Under mutex_.
    mutable std::pair<uint64_t, uint64_t> tail_taken_at{~uint64_t{0}, 0};
    mutable Fingerprint tail;
  };
  struct FoundFile {
    std::string path;
    ClosedFile state;  // size and modification time when found
  };
  // A file closed while idle to make room: its position and how it looked when closed.
  struct Parked {
    CheckpointEntry entry;
    ClosedFile closed;
  };

  Result<void> start_files();
  std::shared_ptr<const Source> make_source(const std::string& path) const;
  Result<void> scan(bool at_start);
  // Flags tracked files whose path no longer names them; returns the untracked files found.
  std::map<InodeKey, FoundFile> mark_rotations(const Discovered& found);
  // Queues the files found that are neither open nor parked and unchanged.
  void queue_found(std::map<InodeKey, FoundFile> found, bool at_start);
  // Queues the parked files among `written` that changed since they were closed.
  void queue_written(const std::set<std::string>& written);
  void handle_changes(const FileWatcher::Changes& changes);
  // Opens waiting files, oldest first, while fewer than max_open_files are open; an
  // unreadable one is added to `unreadable`.
  Result<void> open_waiting(std::vector<PathProblem>* unreadable = nullptr);
  // While files wait, closes idle files and opens waiting ones; true if any was opened.
  Result<bool> take_turns();
  // The checkpoint entry of a closed file at its acknowledged offset.
  CheckpointEntry entry_of(const Tailer& tailer) const;
  void count_closed(const Tailer& tailer);
  void note_waiting();
  // The paused input's blocking points: they wait in slices and do while_paused() between.
  std::optional<MemoryLease> lease(size_t bytes, std::stop_token stop);
  bool hand_over(Batch&& batch, std::stop_token stop, const BatchSink& sink);
  void while_paused();
  void notice_new_files();
  void recover_unseen_rotations();
  void spool_file(Tracked& file);
  // Starts replaying the oldest spooled segment unless one is; true while one replays.
  bool start_replay();
  void report(const FileInputEvent& event) const;
  // Runs a call that advances a tailer's counters under mutex_: counts() reads them from
  // the metrics thread. Held for one chunk at most; nothing inside waits.
  template <typename Call>
  auto locked(Call&& call) {
    std::lock_guard lock(mutex_);
    return call();
  }
  // An unreadable file is skipped (retried at the next scan) and, when `unreadable` is
  // given, added to it with the reason.
  Result<void> open_file(const std::string& path, bool at_start,
                         std::vector<PathProblem>* unreadable = nullptr);
  // Reports each problem that is new or whose reason changed; keeps the gauge's set.
  void note_unreadable(std::vector<PathProblem> problems);
  void recover_rotated_while_down();
  void close_finished_rotations(std::chrono::steady_clock::time_point idle_since);
  Result<bool> read_available(std::stop_token stop, const BatchSink& sink);
  bool flush_partials(std::stop_token stop, const BatchSink& sink, bool only_rotated,
                      std::chrono::steady_clock::time_point idle_since);
  // Ships what parsers have held past multiline.flush_after; `next_due_ns` gets the
  // earliest time one is due next (nullopt: none held).
  bool flush_due_parsers(std::stop_token stop, const BatchSink& sink,
                         std::optional<int64_t>& next_due_ns);
  Result<void> follow(std::stop_token stop, const BatchSink& sink);
  Result<void> read_once(std::stop_token stop, const BatchSink& sink);
  bool close_acknowledged(std::stop_token stop);

  FileInputOptions options_;
  MemoryBudget* budget_;
  bool resumed_scope_;  // checkpoints existed: this is a restart, not a first start
  std::unique_ptr<FileWatcher> watcher_;  // following with inotify; null when polling
  // A list: a paused input opens files found meanwhile (so a file created and rotated away
  // during the pause is held by its fd) while a caller up the stack loops over the list.
  // Structure changes under mutex_ (the checkpoint thread reads it).
  std::list<Tracked> files_;
  std::vector<CheckpointEntry> retained_;  // closed or not-yet-found files (under mutex_)
  WaitingQueue waiting_;
  WaitingNotice waiting_notice_;
  std::atomic<size_t> waiting_count_ = 0;             // waiting_.size() for counts()
  std::map<InodeKey, Parked> parked_;                 // closed while idle (under mutex_)
  std::set<std::pair<uint64_t, uint64_t>> finished_;  // one-shot: read, acked and closed
  std::vector<PathProblem> unreadable_;               // sorted, at the last scan (under mutex_)
  std::set<std::string> matched_globs_;               // globs that matched at some scan
  uint64_t rotations_ = 0;
  uint64_t closed_truncations_ = 0;
  FileInputCounts closed_counts_;
  std::chrono::steady_clock::time_point last_data_;
  std::chrono::steady_clock::time_point next_scan_;
  bool rescan_pending_ = false;   // a directory event was seen: scan at the next chance
  std::unique_ptr<Spool> spool_;  // set once in run() under mutex_
  std::chrono::steady_clock::time_point spool_retry_after_;
  void mark_alive() {
    alive_ticks_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                       std::memory_order_relaxed);
  }
  std::atomic<std::chrono::steady_clock::rep> alive_ticks_{
      std::chrono::steady_clock::now().time_since_epoch().count()};
  // Copied from watcher_ (the input thread's) for counts() on the metrics thread.
  std::atomic<uint64_t> polled_directories_ = 0;
  std::atomic<uint64_t> watch_overflows_ = 0;
  void note_watches();
  std::atomic<uint64_t> pauses_ = 0;
  std::atomic<bool> paused_ = false;
  bool tight_ = false;
  mutable std::mutex mutex_;
};

}  // namespace logship
