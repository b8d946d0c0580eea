#pragma once
// ShutdownSignals: turns SIGINT/SIGTERM into a stop request. The first signal asks the
// agent to stop reading and drain; a second one exits the process at once (checkpoints
// are written atomically, so they stay consistent). Construct it on the main thread
// before any other thread starts, so every thread inherits the blocked signal mask.
// SIGPIPE is ignored: a closed stdout shows up as EPIPE on write, reported as an error.

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

 private:
  void watch(std::stop_token done);

  std::stop_source stop_;
  UniqueFd signal_fd_;
  UniqueFd wake_fd_;
  std::jthread watcher_;
};

}  // namespace logship
