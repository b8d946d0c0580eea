#pragma once
// SystemdNotifier: the sd_notify(3) protocol without libsystemd (Debian ships no static
// archive of it): one datagram per state change to the AF_UNIX socket systemd names in
// $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace), so a Type=notify unit
// knows when the agent is ready, reloading or stopping, and its watchdog hears from it.
// Without $NOTIFY_SOCKET every call does nothing. Sending never blocks and never fails
// the agent: systemd not listening is systemd's problem, reported once by the caller.
// Owner: `logship run`. Thread: any; send() is safe to call concurrently.

#include <chrono>
#include <string>
#include <string_view>

#include "agent/result.h"
#include "agent/unique_fd.h"

namespace logship {

class SystemdNotifier {
 public:
  // Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID.
  static SystemdNotifier from_environment();

  bool enabled() const { return !socket_path_.empty(); }
  // Newline-separated assignments, e.g. "READY=1\nSTATUS=shipping".
  Result<void> send(std::string_view state) const;
  Result<void> ready() const { return send("READY=1"); }
  // With the monotonic time systemd asks for (Type=notify-reload checks it).
  Result<void> reloading() const;
  Result<void> stopping() const { return send("STOPPING=1"); }
  Result<void> watchdog() const { return send("WATCHDOG=1"); }
  // The unit's WatchdogSec= when it is meant for this process; zero: no watchdog.
  std::chrono::microseconds watchdog_timeout() const { return watchdog_timeout_; }

 private:
  std::string socket_path_;  // as in $NOTIFY_SOCKET; empty: not under systemd notify
  std::chrono::microseconds watchdog_timeout_{0};
  UniqueFd socket_;
};

}  // namespace logship
