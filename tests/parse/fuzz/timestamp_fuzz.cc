// libFuzzer target: timestamp parsing. The input is "pattern\ntext" for the strftime-like
// parser; the whole input also goes to the RFC 3339 and Unix parsers.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "inputs/parse/timestamp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  logship::parse_rfc3339(input);
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
