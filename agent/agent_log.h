#pragma once
// The agent's process-wide log: the one Logger every part of agent/ writes its diagnostics
// to (STYLE.md: no globals except the log sink). Components below agent/ never reach it:
// they report through their events and stats, and agent/ turns those into log lines.
// configure_agent_log() runs once per command, on the main thread, before any other
// thread starts (from `[agent] log_level/log_format` or tail's flags); until then the log
// writes info and up as logfmt. The journald mode follows stderr_is_journal().
// RepeatFlusher writes the `repeated=N` counts of rate-limited messages once per repeat
// interval and on destruction, so a message that stopped recurring still gets its count.
// Thread: agent_log() from any thread; configure_agent_log() as above.

#include <chrono>
#include <thread>

#include "agent/logger.h"

namespace logship {

Logger& agent_log();
void configure_agent_log(LogLevel level, LogFormat format);

class RepeatFlusher {
 public:
  explicit RepeatFlusher(std::chrono::milliseconds interval = kRepeatInterval);
  ~RepeatFlusher();
  RepeatFlusher(const RepeatFlusher&) = delete;
  RepeatFlusher& operator=(const RepeatFlusher&) = delete;

 private:
  std::jthread thread_;
};

}  // namespace logship
