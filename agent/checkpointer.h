#pragma once
// Checkpointer: writes every file input's acknowledged positions to the checkpoint file
// every `interval` (when something changed), at once when asked (save_soon: a file was
// opened), and once more on shutdown. Entries of scopes no pipeline owns in this run
// (another `tail --data-dir` user, a removed input) are carried over unchanged until they
// age out.
// Thread: its own thread for periodic and asked-for saves; stop_and_save() from the owner
// after the pipelines stop. The inputs must outlive it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "inputs/file/checkpoint_store.h"
#include "inputs/file/file_input.h"

namespace logship {

class Checkpointer {
 public:
  Checkpointer(CheckpointStore store, std::chrono::milliseconds interval,
               std::vector<const FileInput*> inputs, std::vector<CheckpointEntry> carried);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  void start();
  // Wakes the periodic thread to save now rather than at the end of its interval; calls
  // while a save is in progress coalesce into one more save.
  void save_soon();
  // The inputs to snapshot and the entries to carry as they are; waits for a save in
  // progress, so an input removed here may be destroyed right after.
  void set_sources(std::vector<const FileInput*> inputs, std::vector<CheckpointEntry> carried);
  // Stops the periodic thread and writes the final positions.
  Result<void> stop_and_save();
  // Saves that failed (disk full, data_dir unwritable); the last good file stays. Any thread.
  uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }

 private:
  Result<void> save_if_changed();

  CheckpointStore store_;
  std::chrono::milliseconds interval_;
  std::vector<const FileInput*> inputs_;
  std::vector<CheckpointEntry> carried_;
  std::string last_written_;
  bool failing_ = false;
  std::atomic<uint64_t> write_errors_ = 0;
  std::mutex save_mutex_;
  std::mutex wake_mutex_;
  std::condition_variable_any wake_;
  bool save_requested_ = false;  // guarded by wake_mutex_
  std::jthread thread_;
};

// Loads the checkpoint file; a corrupt one is logged and treated as empty,
// so the agent starts (from each input's policy for unseen files) instead of failing.
std::vector<CheckpointEntry> load_checkpoints_or_warn(const CheckpointStore& store);

// The entries of `scope`, removed from `entries`.
std::vector<CheckpointEntry> take_scope(std::vector<CheckpointEntry>& entries,
                                        const std::string& scope);

}  // namespace logship
