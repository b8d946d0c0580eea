#include "inputs/parse/timestamp.h"

#include <array>
#include <cstring>
#include <limits>

namespace logship {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
// Keep results within int64 nanoseconds (years ~1678..2261).
constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / kNanosPerSecond - 1;

// A cursor over the text being parsed; every read is bounds-checked.
struct Cursor {
  std::string_view text;
  size_t pos = 0;

  bool done() const { return pos >= text.size(); }
  char peek() const { return done() ? '\0' : text[pos]; }
  bool eat(char c) {
    if (peek() != c || done()) return false;
    ++pos;
    return true;
  }
  // Reads between min and max decimal digits.
  std::optional<int64_t> digits(size_t min, size_t max) {
    int64_t value = 0;
    size_t count = 0;
    while (count < max && !done() && text[pos] >= '0' && text[pos] <= '9') {
      if (value > (std::numeric_limits<int64_t>::max() - 9) / 10) return std::nullopt;
      value = value * 10 + (text[pos] - '0');
      ++pos;
      ++count;
    }
    if (count < min) return std::nullopt;
    return value;
  }
  // Reads a fraction's digits (after the '.'), returning nanoseconds; extra digits beyond
  // nine are accepted and ignored.
  std::optional<int64_t> fraction_nanos() {
    int64_t nanos = 0;
    size_t count = 0;
    while (!done() && text[pos] >= '0' && text[pos] <= '9') {
      if (count < 9) nanos = nanos * 10 + (text[pos] - '0');
      ++pos;
      ++count;
    }
    if (count == 0) return std::nullopt;
    for (size_t i = count; i < 9; ++i) nanos *= 10;
    return nanos;
  }
  // Z, +hh, +hhmm, +hh:mm (or '-'); returns the offset in seconds east of UTC.
  std::optional<int64_t> zone_offset() {
    if (eat('Z') || eat('z')) return 0;
    const char sign = peek();
    if (sign != '+' && sign != '-') return std::nullopt;
    ++pos;
    const auto hours = digits(2, 2);
    if (!hours || *hours > 23) return std::nullopt;
    int64_t minutes = 0;
    if (eat(':')) {
      const auto m = digits(2, 2);
      if (!m) return std::nullopt;
      minutes = *m;
    } else if (auto m = digits(2, 2)) {
      minutes = *m;
    }
    if (minutes > 59) return std::nullopt;
    const int64_t offset = *hours * 3600 + minutes * 60;
    return sign == '-' ? -offset : offset;
  }
};

struct CivilTime {
  std::optional<int64_t> year;
  int64_t month = 1, day = 1, hour = 0, minute = 0, second = 0, nanos = 0;
  int64_t offset_seconds = 0;
  int64_t day_of_year = 0;  // 1-based when set by %j
  bool pm = false, has_ampm = false;
  std::optional<int64_t> epoch_seconds;
};

std::optional<int64_t> to_nanos(const CivilTime& t, int64_t reference_ns) {
  int64_t seconds = 0;
  if (t.epoch_seconds) {
    seconds = *t.epoch_seconds;
  } else {
    int64_t year = t.year.value_or(0);
    if (!t.year) {
      // The year of the reference time (a syslog-style pattern has none).
      const int64_t ref_days = reference_ns / kNanosPerSecond / 86400;
      year = 1970 + ref_days / 366;
      while (days_from_civil(year + 1, 1, 1) <= ref_days && year < 2400) ++year;
    }
    if (year < 1678 || year > 2261) return std::nullopt;
    if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31) return std::nullopt;
    int64_t hour = t.hour;
    if (t.has_ampm) {
      if (hour < 1 || hour > 12) return std::nullopt;
      hour = hour % 12 + (t.pm ? 12 : 0);
    }
    if (hour > 23 || t.minute > 59 || t.second > 60) return std::nullopt;
    int64_t days = t.day_of_year > 0 ? days_from_civil(year, 1, 1) + t.day_of_year - 1
                                     : days_from_civil(year, static_cast<unsigned>(t.month),
                                                       static_cast<unsigned>(t.day));
    seconds = days * 86400 + hour * 3600 + t.minute * 60 + t.second - t.offset_seconds;
  }
  if (seconds > kMaxSeconds || seconds < -kMaxSeconds) return std::nullopt;
  return seconds * kNanosPerSecond + t.nanos;
}

constexpr std::array<std::string_view, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                      "jul", "aug", "sep", "oct", "nov", "dec"};

std::optional<int64_t> month_abbrev(Cursor& c) {
  if (c.text.size() - c.pos < 3) return std::nullopt;
  char lower[3];
  for (int i = 0; i < 3; ++i) lower[i] = static_cast<char>(c.text[c.pos + i] | 0x20);
  for (size_t m = 0; m < kMonths.size(); ++m) {
    if (std::string_view(lower, 3) == kMonths[m]) {
      c.pos += 3;
      return static_cast<int64_t>(m + 1);
    }
  }
  return std::nullopt;
}

// Applies one directive; false when the text does not match it.
bool apply_directive(char directive, Cursor& c, CivilTime& t) {
  auto set = [](std::optional<int64_t> v, int64_t& out) {
    if (!v) return false;
    out = *v;
    return true;
  };
  switch (directive) {
    case 'Y': {
      auto y = c.digits(4, 4);
      if (!y) return false;
      t.year = *y;
      return true;
    }
    case 'y': {
      auto y = c.digits(2, 2);
      if (!y) return false;
      t.year = *y + (*y < 69 ? 2000 : 1900);
      return true;
    }
    case 'm':
      return set(c.digits(1, 2), t.month);
    case 'd':
      return set(c.digits(1, 2), t.day);
    case 'e':
      c.eat(' ');
      return set(c.digits(1, 2), t.day);
    case 'H':
      return set(c.digits(1, 2), t.hour);
    case 'I':
      t.has_ampm = true;
      return set(c.digits(1, 2), t.hour);
    case 'M':
      return set(c.digits(1, 2), t.minute);
    case 'S':
      return set(c.digits(1, 2), t.second);
    case 'j':
      return set(c.digits(1, 3), t.day_of_year);
    case 'f':
      return set(c.fraction_nanos(), t.nanos);
    case 'z':
      return set(c.zone_offset(), t.offset_seconds);
    case 'b':
    case 'h':
      return set(month_abbrev(c), t.month);
    case 'p': {
      if (c.text.size() - c.pos < 2) return false;
      const char a = static_cast<char>(c.text[c.pos] | 0x20);
      const char m = static_cast<char>(c.text[c.pos + 1] | 0x20);
      if ((a != 'a' && a != 'p') || m != 'm') return false;
      t.pm = a == 'p';
      t.has_ampm = true;
      c.pos += 2;
      return true;
    }
    case 's': {
      const bool negative = c.eat('-');
      auto s = c.digits(1, 12);
      if (!s) return false;
      t.epoch_seconds = negative ? -*s : *s;
      return true;
    }
    case 'T':
      return apply_directive('H', c, t) && c.eat(':') && apply_directive('M', c, t) && c.eat(':') &&
             apply_directive('S', c, t);
    case 'F':
      return apply_directive('Y', c, t) && c.eat('-') && apply_directive('m', c, t) && c.eat('-') &&
             apply_directive('d', c, t);
    case '%':
      return c.eat('%');
    default:
      return false;
  }
}

}  // namespace

int64_t days_from_civil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::optional<int64_t> parse_rfc3339(std::string_view text) {
  Cursor c{text};
  CivilTime t;
  auto year = c.digits(4, 4);
  if (!year || !c.eat('-')) return std::nullopt;
  t.year = *year;
  auto month = c.digits(2, 2);
  if (!month || !c.eat('-')) return std::nullopt;
  auto day = c.digits(2, 2);
  if (!day) return std::nullopt;
  if (!c.eat('T') && !c.eat('t') && !c.eat(' ')) return std::nullopt;
  auto hour = c.digits(2, 2);
  if (!hour || !c.eat(':')) return std::nullopt;
  auto minute = c.digits(2, 2);
  if (!minute || !c.eat(':')) return std::nullopt;
  auto second = c.digits(2, 2);
  if (!second) return std::nullopt;
  t.month = *month, t.day = *day, t.hour = *hour, t.minute = *minute, t.second = *second;
  if (c.eat('.') || c.eat(',')) {
    auto nanos = c.fraction_nanos();
    if (!nanos) return std::nullopt;
    t.nanos = *nanos;
  }
  auto offset = c.zone_offset();
  if (!offset || !c.done()) return std::nullopt;
  t.offset_seconds = *offset;
  return to_nanos(t, 0);
}

std::optional<int64_t> Rfc3339Cache::parse(std::string_view text) {
  if (valid_ && text.size() > kPrefix && std::memcmp(text.data(), prefix_, kPrefix) == 0) {
    // The tail of parse_rfc3339, from its seconds, on the cached date, hour and minute.
    Cursor c{text, kPrefix};
    if (!c.eat(':')) return std::nullopt;
    const auto second = c.digits(2, 2);
    if (!second || *second > 60) return std::nullopt;
    int64_t nanos = 0;
    if (c.eat('.') || c.eat(',')) {
      auto fraction = c.fraction_nanos();
      if (!fraction) return std::nullopt;
      nanos = *fraction;
    }
    auto offset = c.zone_offset();
    if (!offset || !c.done()) return std::nullopt;
    const int64_t seconds = prefix_seconds_ + *second - *offset;
    if (seconds > kMaxSeconds || seconds < -kMaxSeconds) return std::nullopt;
    return seconds * kNanosPerSecond + nanos;
  }
  const auto parsed = parse_rfc3339(text);
  if (parsed && text.size() > kPrefix) {
    char utc[kPrefix + 4];
    std::memcpy(utc, text.data(), kPrefix);
    std::memcpy(utc + kPrefix, ":00Z", 4);
    if (const auto base = parse_rfc3339({utc, sizeof utc})) {
      std::memcpy(prefix_, text.data(), kPrefix);
      prefix_seconds_ = *base / kNanosPerSecond;
      valid_ = true;
    }
  }
  return parsed;
}

std::optional<int64_t> parse_unix(std::string_view text, TimestampFormat unit) {
  Cursor c{text};
  const bool negative = c.eat('-');
  auto whole = c.digits(1, 19);
  if (!whole) return std::nullopt;
  int64_t nanos = 0;
  if (unit == TimestampFormat::kUnixSeconds && c.eat('.')) {
    auto fraction = c.fraction_nanos();
    if (!fraction) return std::nullopt;
    nanos = *fraction;
  }
  if (!c.done()) return std::nullopt;
  int64_t value = 0;
  switch (unit) {
    case TimestampFormat::kUnixSeconds:
      if (*whole > kMaxSeconds) return std::nullopt;
      value = *whole * kNanosPerSecond + nanos;
      break;
    case TimestampFormat::kUnixMillis:
      if (*whole > kMaxSeconds * 1000) return std::nullopt;
      value = *whole * 1'000'000;
      break;
    case TimestampFormat::kUnixNanos:
      value = *whole;
      break;
    default:
      return std::nullopt;
  }
  return negative ? -value : value;
}

std::optional<int64_t> parse_time_pattern(std::string_view text, std::string_view pattern,
                                          int64_t reference_ns) {
  Cursor c{text};
  CivilTime t;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char p = pattern[i];
    if (p == '%' && i + 1 < pattern.size()) {
      if (!apply_directive(pattern[++i], c, t)) return std::nullopt;
    } else if (p == ' ') {
      if (!c.eat(' ')) return std::nullopt;
      while (c.eat(' ')) {
      }
    } else if (!c.eat(p)) {
      return std::nullopt;
    }
  }
  if (!c.done()) return std::nullopt;
  return to_nanos(t, reference_ns);
}

std::optional<int64_t> parse_timestamp(std::string_view text, const TimestampSpec& spec,
                                       int64_t reference_ns) {
  switch (spec.format) {
    case TimestampFormat::kRfc3339:
      return parse_rfc3339(text);
    case TimestampFormat::kPattern:
      return parse_time_pattern(text, spec.pattern, reference_ns);
    default:
      return parse_unix(text, spec.format);
  }
}

}  // namespace logship
