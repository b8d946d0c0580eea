#pragma once
// Open-file policy: which files the file input keeps open when more match its globs than
// max_open_files allows. Files that cannot be opened wait in a queue, oldest first; an open
// file that is read to its end, fully acknowledged, holds no partial line and has not grown
// for kIdleBeforeClose is closed to make room for one (its position stays in the
// checkpoints, and it queues again when it grows). Files draining after rotation are never
// closed by this rule. Pure: no I/O, no clock; the caller passes the time.
// Thread: owned and called by the file input's thread only. Not thread-safe.

#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace logship {

// (device, inode).
using InodeKey = std::pair<uint64_t, uint64_t>;

// Long enough that a file written in bursts (a log line every second or so) stays open
// between them, short enough that files beyond the limit get their turn quickly.
constexpr std::chrono::seconds kIdleBeforeClose{2};

struct WaitingFile {
  InodeKey key;
  std::string path;
  bool at_start = false;   // found by the first scan: start_at applies to it
  bool reopening = false;  // closed while idle and changed since: taking turns, not news
};

// Files waiting for an open slot, first come first served; each file waits at most once.
class WaitingQueue {
 public:
  // Adds a file at the back; false if it already waits.
  bool push(WaitingFile file);
  // The file that has waited longest.
  std::optional<WaitingFile> pop();
  // Forgets every waiting file `keep` refuses (gone, say); `keep` may update its path.
  template <typename Keep>
  void retain_if(Keep&& keep) {
    for (auto it = order_.begin(); it != order_.end();) {
      if (keep(*it)) {
        ++it;
        continue;
      }
      index_.erase(it->key);
      if (!it->reopening) --first_waits_;
      it = order_.erase(it);
    }
  }
  bool contains(const InodeKey& key) const { return index_.contains(key); }
  size_t size() const { return order_.size(); }
  // Waiting files that were never open: those the operator hears about.
  size_t first_waits() const { return first_waits_; }
  bool empty() const { return order_.empty(); }

 private:
  std::list<WaitingFile> order_;
  std::map<InodeKey, std::list<WaitingFile>::iterator> index_;
  size_t first_waits_ = 0;
};

// What the policy needs to know of one open file.
struct OpenFileState {
  bool at_end = false;       // the last read found nothing more
  bool draining = false;     // rotated away, spooled or a spool replay: closed by other rules
  bool has_partial = false;  // holds an incomplete line or parser state
  uint64_t unacknowledged = 0;
  int64_t changed_ns = 0;  // last modification (wall clock)
};

// Indices (into `files`) of the open files to close so that waiting files can be opened: at
// most `waiting`, idle ones only, the longest idle first.
std::vector<size_t> files_to_close(std::span<const OpenFileState> files, size_t waiting,
                                   int64_t now_ns);

// A closed idle file is opened again once it has changed since it was closed.
struct ClosedFile {
  uint64_t size = 0;
  int64_t changed_ns = 0;
};
inline bool changed_since_closed(const ClosedFile& closed, const ClosedFile& now) {
  return now.size != closed.size || now.changed_ns != closed.changed_ns;
}

// When an open file last changed, as far as can be told: its modification time, or if
// that is later (a writer's clock ahead, over NFS) the first time it was seen as it is now,
// so that no mtime keeps a file from ever going idle.
struct ChangeWatch {
  std::optional<ClosedFile> seen;
  int64_t seen_since_ns = 0;
};
int64_t last_change_ns(ChangeWatch& watch, const ClosedFile& now, int64_t now_ns);

// Says once when files start waiting (first waits), and again only after none waited.
class WaitingNotice {
 public:
  // The number waiting when it went from none to some; nullopt otherwise.
  std::optional<size_t> update(size_t waiting);

 private:
  bool waiting_ = false;
};

}  // namespace logship
