#pragma once
// FileWatcher: inotify for the file input. One watch per directory the globs can match in
// reports files created, renamed, deleted and written there; a file is watched on its own
// only where its directory's watch cannot see its writes (a symlink, whose target lives
// elsewhere, or a directory that could not be watched). The poll fallback needs no watcher.
// Thread: owned and called by the file input's thread only. Not thread-safe.

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "agent/unique_fd.h"

namespace logship {

class FileWatcher {
 public:
  // Null when inotify is unavailable: the caller polls.
  static std::unique_ptr<FileWatcher> open();

  int fd() const { return fd_.get(); }
  // Watches each directory not watched yet. One that cannot be watched (the watch limit,
  // fs.inotify.max_user_watches) is left to polling: see unwatched().
  void watch_directories(const std::vector<std::string>& directories);
  // Of the directories last passed to watch_directories, how many have no watch, and the
  // reason the last one failed ("No space left on device": the watch limit).
  size_t unwatched() const { return unwatched_; }
  const std::string& unwatched_reason() const { return unwatched_reason_; }
  // Times the kernel's event queue overflowed (fs.inotify.max_queued_events): events were
  // lost, so Changes::directories asked for a full rescan.
  uint64_t overflows() const { return overflows_; }
  // Watches `path` itself unless its directory's watch already reports its writes.
  void watch_file(const std::string& path);

  struct Changes {
    bool directories = false;       // a file came or went (or events were lost)
    std::set<std::string> written;  // paths of files written to
  };
  // Reads every pending event without blocking.
  Changes drain();

 private:
  explicit FileWatcher(UniqueFd fd) : fd_(std::move(fd)) {}

  UniqueFd fd_;
  std::set<std::string> directories_;
  std::map<int, std::string> paths_;  // watch descriptor -> directory or file watched
  size_t unwatched_ = 0;
  std::string unwatched_reason_;
  uint64_t overflows_ = 0;
};

}  // namespace logship
