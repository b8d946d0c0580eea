#pragma once
// Logger: the agent's internal log, one line per event to stderr, as logfmt
// (`ts=... level=warn msg="output retrying" output=loki status=503`) or JSON. Repeats of
// one message (same level and msg, whatever the fields) within `repeat_interval` are
// counted, not written; the next one written carries `repeated=N`, and flush_repeats()
// writes the counts of messages that stopped recurring, with the fields all the counted
// occurrences shared. log_always() bypasses that limiter, for events an operator caused and
// must see answered each time (a reload). Under systemd (JOURNAL_STREAM
// names our stderr) lines carry no timestamp (journald adds its own) and start with
// the `<N>` syslog priority prefix journald parses into the entry's level.
// Owner: the agent (components report through their stats objects, not here).
// Thread: any; one mutex, and each line goes out in a single write(2).

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/result.h"

namespace logship {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
enum class LogFormat { kLogfmt, kJson };

Result<LogLevel> parse_log_level(std::string_view text);    // debug | info | warn | error
Result<LogFormat> parse_log_format(std::string_view text);  // logfmt | json
std::string_view log_level_name(LogLevel level);            // as parse_log_level spells it
std::string_view log_format_name(LogFormat format);

// Repeats of a message within this interval are counted, not written.
inline constexpr std::chrono::milliseconds kRepeatInterval{10000};

struct LogField {
  std::string_view key;
  std::string value;
  LogField(std::string_view k, std::string v) : key(k), value(std::move(v)) {}
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, std::integral auto v) : key(k), value(std::to_string(v)) {}
};

class Logger {
 public:
  using Clock = std::chrono::system_clock;
  struct Options {
    LogLevel level = LogLevel::kInfo;
    LogFormat format = LogFormat::kLogfmt;
    bool journal = false;  // see stderr_is_journal()
    std::chrono::milliseconds repeat_interval = kRepeatInterval;
    // Seams for tests: where lines go (default: stderr) and what time it is.
    std::function<void(std::string_view)> write;
    std::function<Clock::time_point()> now;
  };

  explicit Logger(Options options);

  void log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {});
  // Writes the line whatever was written before (the level filter still applies), and
  // leaves the repeat counts of log() alone.
  void log_always(LogLevel level, std::string_view msg, std::span<const LogField> fields);
  // Writes "repeated=N" lines for messages suppressed since they were last written.
  void flush_repeats();
  bool enabled(LogLevel level) const { return level >= options_.level; }

 private:
  struct Repeat {
    Clock::time_point last_written;
    uint64_t suppressed = 0;
    // Fields every suppressed occurrence had with the same value (output=loki, the same
    // error), written with the count; those that varied (a delay, an offset) are left out.
    std::vector<std::pair<std::string, std::string>> common;
  };
  void suppress(Repeat& repeat, std::initializer_list<LogField> fields);
  void write_line(LogLevel level, std::string_view msg, std::span<const LogField> fields,
                  uint64_t repeated, Clock::time_point now);

  Options options_;
  std::mutex mutex_;
  std::map<std::pair<LogLevel, std::string>, Repeat> repeats_;  // bounded: kMaxRepeatKeys
};

// True when stderr is the journald stream systemd connected (JOURNAL_STREAM=dev:inode).
bool stderr_is_journal();

}  // namespace logship
