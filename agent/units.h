#pragma once
// Human units in config and on the command line: sizes ("64MiB", "256KiB", "1GB", "512")
// and durations ("5s", "250ms", "2m", "1h"). Pure functions.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace logship {

// Binary (KiB, MiB, GiB) and decimal (KB, MB, GB) suffixes, or plain bytes.
std::optional<uint64_t> parse_size(std::string_view text);
// ms, s, m, h; a number without a unit is rejected (ambiguous).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

std::string format_size(uint64_t bytes);
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace logship
