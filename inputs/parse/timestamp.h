#pragma once
// Timestamp parsing: RFC 3339 (fractions up to nanoseconds, Z or numeric offsets), Unix
// seconds/millis/nanos (seconds may carry a fraction), and a strftime-like pattern. All
// return nanoseconds since the Unix epoch (UTC), or nullopt when the text does not match
// exactly. Pure functions: no I/O, no locale, no allocation; safe on any bytes.
// Thread: any.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace logship {

enum class TimestampFormat { kRfc3339, kUnixSeconds, kUnixMillis, kUnixNanos, kPattern };

// How to read a record's time from one of its fields (`timestamp = {...}` in an input).
struct TimestampSpec {
  std::string field;  // empty: no extraction from fields
  TimestampFormat format = TimestampFormat::kRfc3339;
  // For kPattern: %Y %y %m %d %e %H %I %M %S %p %f (fraction, 1-9 digits) %z (Z, +hh,
  // +hhmm, +hh:mm) %b (Jan..Dec) %j %s %T (%H:%M:%S) %F (%Y-%m-%d) %%. A space matches one or
  // more spaces. Without a year in the pattern, the year of `reference_ns` is used.
  std::string pattern;
};

std::optional<int64_t> parse_rfc3339(std::string_view text);

// parse_rfc3339 for a run of times that mostly share their date, hour and minute (the
// lines of a log): while the first 16 characters (YYYY-MM-DDTHH:MM) repeat, only the
// seconds, the fraction and the zone are read. Same result as parse_rfc3339 for any text.
// Thread: one owner (a file's parser).
class Rfc3339Cache {
 public:
  std::optional<int64_t> parse(std::string_view text);

 private:
  static constexpr size_t kPrefix = 16;
  char prefix_[kPrefix] = {};
  int64_t prefix_seconds_ = 0;  // the prefix read as UTC, at second 0
  bool valid_ = false;
};
std::optional<int64_t> parse_unix(std::string_view text, TimestampFormat unit);
std::optional<int64_t> parse_time_pattern(std::string_view text, std::string_view pattern,
                                          int64_t reference_ns);
// Dispatches on spec.format.
std::optional<int64_t> parse_timestamp(std::string_view text, const TimestampSpec& spec,
                                       int64_t reference_ns);

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);

}  // namespace logship
