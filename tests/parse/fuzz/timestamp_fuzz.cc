// libFuzzer target: timestamp parsing. The input is "pattern\ntext" for the strftime-like
// parser; the whole input also goes to the RFC 3339 and Unix parsers, and each of its lines
// in turn to an Rfc3339Cache, which must agree with parse_rfc3339 on every one.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "inputs/parse/timestamp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  logship::parse_rfc3339(input);
  logship::Rfc3339Cache cache;
  for (size_t begin = 0; begin <= input.size();) {
    const size_t end = std::min(input.find('\n', begin), input.size());
    const std::string_view line = input.substr(begin, end - begin);
    if (cache.parse(line) != logship::parse_rfc3339(line)) std::abort();
    begin = end + 1;
  }
  for (auto unit : {logship::TimestampFormat::kUnixSeconds, logship::TimestampFormat::kUnixMillis,
                    logship::TimestampFormat::kUnixNanos}) {
    logship::parse_unix(input, unit);
  }
  const size_t newline = input.find('\n');
  if (newline != std::string_view::npos) {
    logship::parse_time_pattern(input.substr(newline + 1), input.substr(0, newline),
                                1'700'000'000'000'000'000);
  }
  return 0;
}
