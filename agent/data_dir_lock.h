#pragma once
// DataDirLock: one agent per data_dir. acquire() creates the directory (and its parents),
// takes an exclusive flock on `data_dir/lock` and writes the holder's pid inside, so a
// second agent on the same directory is refused with a message naming the first. The
// kernel drops the lock with the last fd, on any exit (kill -9 included), so a restart
// never finds a stale lock; the file stays, its content is only a hint for the message.
// Owner: the command (`run`, `tail --data-dir`, `offsets reset`) for as long as anything
// may write under data_dir. Thread: any; not shared.

#include <string>
#include <utility>

#include "agent/result.h"
#include "agent/unique_fd.h"

namespace logship {

class DataDirLock {
 public:
  // Errors are kInvalidConfig, "data_dir DIR: ..." with the system's reason: the
  // directory cannot be created or written, or another process holds it (its pid named).
  static Result<DataDirLock> acquire(const std::string& dir);

  const std::string& dir() const { return dir_; }

 private:
  DataDirLock(std::string dir, UniqueFd fd) : dir_(std::move(dir)), fd_(std::move(fd)) {}

  std::string dir_;
  UniqueFd fd_;  // holds the flock; closing it releases the directory
};

// What acquire() would find wrong with `dir` short of the lock, without creating anything:
// "DIR: cannot create: REASON" or "DIR: not writable: REASON". `check` reports it at the
// data_dir key; acquire() gives the same words.
Result<void> check_data_dir(const std::string& dir);

}  // namespace logship
