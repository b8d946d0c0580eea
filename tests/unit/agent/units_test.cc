#include "agent/units.h"

#include <doctest/doctest.h>

using namespace std::chrono_literals;

TEST_CASE("sizes parse with binary and decimal suffixes") {
  CHECK(logship::parse_size("64MiB") == 64ull << 20);
  CHECK(logship::parse_size("256KiB") == 256ull << 10);
  CHECK(logship::parse_size("1GB") == 1'000'000'000ull);
  CHECK(logship::parse_size("512") == 512u);
  CHECK_FALSE(logship::parse_size("64 MiBs"));
  CHECK_FALSE(logship::parse_size("lots"));
  CHECK_FALSE(logship::parse_size("99999999999999GiB"));
}

TEST_CASE("durations need a unit") {
  CHECK(logship::parse_duration("250ms") == 250ms);
  CHECK(logship::parse_duration("5s") == 5s);
  CHECK(logship::parse_duration("2m") == 2min);
  CHECK(logship::parse_duration("1h") == 1h);
  CHECK_FALSE(logship::parse_duration("5"));
  CHECK_FALSE(logship::parse_duration("5 seconds"));
}

TEST_CASE("sizes and durations print back in their largest exact unit") {
  CHECK(logship::format_size(64ull << 20) == "64MiB");
  CHECK(logship::format_size(1000) == "1000B");
  CHECK(logship::format_duration(1500ms) == "1500ms");
  CHECK(logship::format_duration(10s) == "10s");
}
