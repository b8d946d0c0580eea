#pragma once
// Watchdog: answers systemd's watchdog (WatchdogSec=) with WATCHDOG=1 every half of its
// timeout, from its own thread, while no pipeline is stuck. Once `stuck` names one (an
// input thread that has not gone round its loop: a hung read, a deadlock) the pings stop,
// logged once, and systemd restarts the agent; they resume if it recovers first.
// Owner: `logship run`, which keeps the notifier alive longer. Thread: its own; `stuck`
// is called from it and must be thread-safe.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "agent/systemd_notify.h"

namespace logship {

class Watchdog {
 public:
  using StuckPipelines = std::function<std::vector<std::string>()>;

  // Null when the unit asks for no watchdog.
  static std::unique_ptr<Watchdog> start(const SystemdNotifier& notifier, StuckPipelines stuck);
  ~Watchdog() = default;  // the thread stops and is joined first: it is the last member
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  Watchdog(const SystemdNotifier& notifier, StuckPipelines stuck);
  void run(std::stop_token stop);

  const SystemdNotifier& notifier_;
  StuckPipelines stuck_;
  std::jthread thread_;
};

}  // namespace logship
