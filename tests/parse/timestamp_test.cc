#include "inputs/parse/timestamp.h"

#include <doctest/doctest.h>

namespace logship {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
// 2023-11-14T22:13:20Z
constexpr int64_t kT = 1'700'000'000LL * kSecond;

TEST_CASE("RFC 3339 with Z, fractions and offsets") {
  CHECK(parse_rfc3339("2023-11-14T22:13:20Z") == kT);
  CHECK(parse_rfc3339("2023-11-14T22:13:20.5Z") == kT + kSecond / 2);
  CHECK(parse_rfc3339("2023-11-14T22:13:20.123456789Z") == kT + 123'456'789);
  CHECK(parse_rfc3339("2023-11-14T22:13:20.1234567891234Z") == kT + 123'456'789);
  CHECK(parse_rfc3339("2023-11-15T00:13:20+02:00") == kT);
  CHECK(parse_rfc3339("2023-11-14T17:13:20-0500") == kT);
  CHECK(parse_rfc3339("2023-11-14 22:13:20z") == kT);
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z") == 0);
}

TEST_CASE("RFC 3339 rejects anything not exactly a timestamp") {
  CHECK_FALSE(parse_rfc3339(""));
  CHECK_FALSE(parse_rfc3339("2023-11-14T22:13:20"));
  CHECK_FALSE(parse_rfc3339("2023-11-14T22:13:20Zjunk"));
  CHECK_FALSE(parse_rfc3339("2023-13-14T22:13:20Z"));
  CHECK_FALSE(parse_rfc3339("2023-11-14T25:13:20Z"));
  CHECK_FALSE(parse_rfc3339("2023-11-14T22:13:20.Z"));
  CHECK_FALSE(parse_rfc3339("9999-11-14T22:13:20Z"));  // beyond int64 nanoseconds
}

TEST_CASE("the RFC 3339 cache gives parse_rfc3339's result for every text, in any order") {
  const char* texts[] = {
      "2023-11-14T22:13:20Z",
      "2023-11-14T22:13:20.5Z",
      "2023-11-14T22:13:20.123456789Z",
      "2023-11-14T22:13:20,25+01:00",
      "2023-11-14T22:13:20-0530",
      "2023-11-14T22:13:20.Z",
      "2023-11-14T22:13:20Zjunk",
      "2023-11-14T22:13:20+24:00",
      "2023-11-14T22:13:20",
      "2023-11-14T22:13:21.000000001Z",
      "2023-11-14T22:13:20.999999999z",
      "2023-11-14 22:13:20Z",
      "1969-12-31T23:59:59.5Z",
      "1969-12-31T23:59:59.5+00:30",
      "2261-12-31T23:59:59Z",
      "2261-12-31T23:59:59-23:59",
      "2023-13-14T22:13:20Z",
      "2023-11-14T22:13:20.5Z",
      "2023-11-14T22:13:59.5Z",
      "2023-11-14T22:13:60Z",
      "2023-11-14T22:13:61Z",
      "2023-11-14T22:13:5Z",
      "2023-11-14T22:13:xxZ",
      "2023-11-14T22:13",
      "2023-11-14T22:13Z",
      "2023-11-14T22:14:00.1Z",
  };
  Rfc3339Cache cache;
  for (int round = 0; round < 2; ++round) {
    for (const char* text : texts) {
      CAPTURE(text);
      CHECK(cache.parse(text) == parse_rfc3339(text));
    }
  }
}

TEST_CASE("Unix seconds, millis and nanos") {
  CHECK(parse_unix("1700000000", TimestampFormat::kUnixSeconds) == kT);
  CHECK(parse_unix("1700000000.25", TimestampFormat::kUnixSeconds) == kT + kSecond / 4);
  CHECK(parse_unix("1700000000123", TimestampFormat::kUnixMillis) == kT + 123'000'000);
  CHECK(parse_unix("1700000000000000001", TimestampFormat::kUnixNanos) == kT + 1);
  CHECK_FALSE(parse_unix("17e9", TimestampFormat::kUnixSeconds));
  CHECK_FALSE(parse_unix("99999999999999999999999", TimestampFormat::kUnixNanos));
  CHECK_FALSE(parse_unix("9999999999999999999", TimestampFormat::kUnixSeconds));
}

TEST_CASE("strftime-like patterns") {
  CHECK(parse_time_pattern("2023/11/14 22:13:20", "%Y/%m/%d %H:%M:%S", 0) == kT);
  CHECK(parse_time_pattern("14/Nov/2023:22:13:20 +0000", "%d/%b/%Y:%T %z", 0) == kT);
  CHECK(parse_time_pattern("2023-11-14 22:13:20,250", "%F %T,%f", 0) == kT + kSecond / 4);
  CHECK(parse_time_pattern("11/14/23 10:13:20 PM", "%m/%d/%y %I:%M:%S %p", 0) == kT);
  CHECK(parse_time_pattern("1700000000", "%s", 0) == kT);
  // syslog has no year: it comes from the reference time.
  CHECK(parse_time_pattern("Nov 14 22:13:20", "%b %e %T", kT + 86400 * kSecond) == kT);
  CHECK(parse_time_pattern("Nov  4 22:13:20", "%b %e %T", kT) == kT - 10 * 86400 * kSecond);
  CHECK_FALSE(parse_time_pattern("2023/11/14", "%Y/%m/%d %H", 0));
  CHECK_FALSE(parse_time_pattern("2023/11/14x", "%Y/%m/%d", 0));
}

TEST_CASE("parse_timestamp dispatches on the configured format") {
  TimestampSpec spec;
  spec.format = TimestampFormat::kUnixMillis;
  CHECK(parse_timestamp("1700000000000", spec, 0) == kT);
  spec.format = TimestampFormat::kPattern;
  spec.pattern = "%Y%m%d%H%M%S";
  CHECK(parse_timestamp("20231114221320", spec, 0) == kT);
}

}  // namespace
}  // namespace logship
