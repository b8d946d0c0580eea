#include "agent/logger.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace logship {
namespace {

constexpr size_t kMaxRepeatKeys = 1024;

}  // namespace

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

std::string_view log_format_name(LogFormat format) {
  return format == LogFormat::kJson ? "json" : "logfmt";
}

namespace {

// sd-daemon(3) priority prefixes: journald reads them as the entry's level.
std::string_view journal_prefix(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "<7>";
    case LogLevel::kInfo:
      return "<6>";
    case LogLevel::kWarn:
      return "<4>";
    case LogLevel::kError:
      return "<3>";
  }
  return "<6>";
}

std::string timestamp(Logger::Clock::time_point now) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count() % 1000));
  return buf;
}

// Length of the valid UTF-8 sequence at `i`, or 0 if the bytes there are not one.
size_t utf8_length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const size_t n = c < 0x80           ? 1
                   : (c >> 5) == 0x6  ? 2
                   : (c >> 4) == 0xE  ? 3
                   : (c >> 3) == 0x1E ? 4
                                      : 0;
  if (n == 0 || i + n > s.size() || (n == 2 && c < 0xC2)) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return n;
}

// Escapes for a double-quoted string (JSON rules, which logfmt readers accept too);
// invalid UTF-8 becomes U+FFFD so a JSON line always parses.
void append_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == '"' || c == '\\') {
      out.append({'\\', c});
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
      out += buf;
    } else if (const size_t n = utf8_length(s, i); n == 0) {
      out += "\uFFFD";
    } else {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    ++i;
  }
  out += '"';
}

void append_logfmt_value(std::string& out, std::string_view value) {
  const bool plain =
      !value.empty() && value.find_first_of(" =\"\\") == std::string_view::npos &&
      std::ranges::all_of(value, [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7F;
      });
  if (plain) {
    out.append(value);
  } else {
    append_quoted(out, value);
  }
}

void append_field(std::string& out, LogFormat format, std::string_view key, std::string_view value,
                  bool first) {
  if (format == LogFormat::kJson) {
    out += first ? "{" : ",";
    append_quoted(out, key);
    out += ':';
    append_quoted(out, value);
  } else {
    if (!first) out += ' ';
    out.append(key).append("=");
    append_logfmt_value(out, value);
  }
}

void write_stderr(std::string_view line) {
  while (!line.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere left to report it
    line.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

Result<LogLevel> parse_log_level(std::string_view text) {
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (text == log_level_name(level)) return level;
  }
  return make_error(ErrorCode::kInvalidConfig,
                    "log level '" + std::string(text) + "': expected debug, info, warn or error");
}

Result<LogFormat> parse_log_format(std::string_view text) {
  if (text == "logfmt") return LogFormat::kLogfmt;
  if (text == "json") return LogFormat::kJson;
  return make_error(ErrorCode::kInvalidConfig,
                    "log format '" + std::string(text) + "': expected logfmt or json");
}

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

Logger::Logger(Options options) : options_(std::move(options)) {
  if (!options_.write) options_.write = write_stderr;
  if (!options_.now) options_.now = [] { return Clock::now(); };
}

void Logger::log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) {
  if (!enabled(level)) return;
  std::lock_guard lock(mutex_);
  const Clock::time_point now = options_.now();
  auto key = std::make_pair(level, std::string(msg));
  auto it = repeats_.find(key);
  if (it != repeats_.end() && now - it->second.last_written < options_.repeat_interval) {
    suppress(it->second, fields);
    return;
  }
  if (it == repeats_.end()) {
    if (repeats_.size() >= kMaxRepeatKeys) repeats_.clear();  // forget, never grow
    it = repeats_.emplace(std::move(key), Repeat{}).first;
  }
  write_line(level, msg, std::span<const LogField>(fields.begin(), fields.size()),
             std::exchange(it->second.suppressed, 0), now);
  it->second.common.clear();
  it->second.last_written = now;
}

void Logger::log_always(LogLevel level, std::string_view msg, std::span<const LogField> fields) {
  if (!enabled(level)) return;
  std::lock_guard lock(mutex_);
  write_line(level, msg, fields, 0, options_.now());
}

void Logger::flush_repeats() {
  std::lock_guard lock(mutex_);
  const Clock::time_point now = options_.now();
  for (auto& [key, repeat] : repeats_) {
    if (repeat.suppressed == 0) continue;
    std::vector<LogField> common;
    common.reserve(repeat.common.size());
    for (const auto& [k, v] : repeat.common) common.emplace_back(k, std::string_view(v));
    write_line(key.first, key.second, common, std::exchange(repeat.suppressed, 0), now);
    repeat.common.clear();
    repeat.last_written = now;
  }
}

void Logger::suppress(Repeat& repeat, std::initializer_list<LogField> fields) {
  if (repeat.suppressed++ == 0) {
    for (const LogField& f : fields) repeat.common.emplace_back(f.key, f.value);
    return;
  }
  std::erase_if(repeat.common, [&](const std::pair<std::string, std::string>& kept) {
    return std::ranges::none_of(
        fields, [&](const LogField& f) { return f.key == kept.first && f.value == kept.second; });
  });
}

void Logger::write_line(LogLevel level, std::string_view msg, std::span<const LogField> fields,
                        uint64_t repeated, Clock::time_point now) {
  std::string line;
  if (options_.journal) line += journal_prefix(level);
  bool first = true;
  auto field = [&](std::string_view k, std::string_view v) {
    append_field(line, options_.format, k, v, first);
    first = false;
  };
  if (!options_.journal) field("ts", timestamp(now));
  field("level", log_level_name(level));
  field("msg", msg);
  for (const LogField& f : fields) field(f.key, f.value);
  if (repeated > 0) field("repeated", std::to_string(repeated));
  if (options_.format == LogFormat::kJson) line += '}';
  line += '\n';
  options_.write(line);
}

}  // namespace logship
