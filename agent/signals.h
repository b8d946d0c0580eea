#pragma once
// ShutdownSignals: turns SIGINT/SIGTERM into a stop request and SIGHUP into a reload
// request. The first SIGINT/SIGTERM asks the agent to stop reading and drain; a second
// one exits the process at once (checkpoints are written atomically, so they stay
// consistent). Construct it on the main thread before any other thread starts, so every
// thread inherits the blocked signal mask. SIGPIPE is ignored: a closed stdout shows up
// as EPIPE on write, reported as an error.

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>
#include <thread>

#include "agent/unique_fd.h"

namespace logship {

class ShutdownSignals {
 public:
  ShutdownSignals();
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  std::stop_token stop_token() const { return stop_.get_token(); }

  // Blocks until a SIGHUP arrives (true) or a stop is requested (false).
  bool wait_for_reload();

 private:
  void watch(std::stop_token done);

  std::stop_source stop_;
  UniqueFd signal_fd_;
  UniqueFd wake_fd_;
  std::mutex mutex_;
  std::condition_variable_any reload_cv_;
  uint64_t reloads_requested_ = 0;
  uint64_t reloads_taken_ = 0;
  std::jthread watcher_;
};

}  // namespace logship
