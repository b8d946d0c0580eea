#include "agent/units.h"

#include <array>
#include <charconv>
#include <utility>

namespace logship {
namespace {

// Splits "64MiB" into 64 and "MiB"; nullopt when there is no leading number.
std::optional<std::pair<uint64_t, std::string_view>> split_number(std::string_view text) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  std::string_view unit = text.substr(static_cast<size_t>(end - text.data()));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  return std::pair{value, unit};
}

}  // namespace

std::optional<uint64_t> parse_size(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, uint64_t>, 8> kUnits{{
      {"", 1},
      {"B", 1},
      {"KiB", 1ull << 10},
      {"MiB", 1ull << 20},
      {"GiB", 1ull << 30},
      {"KB", 1000},
      {"MB", 1000 * 1000},
      {"GB", 1000 * 1000 * 1000},
  }};
  const auto parts = split_number(text);
  if (!parts) return std::nullopt;
  for (const auto& [unit, multiplier] : kUnits) {
    if (parts->second != unit) continue;
    if (parts->first > UINT64_MAX / multiplier) return std::nullopt;
    return parts->first * multiplier;
  }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, int64_t>, 4> kUnits{{
      {"ms", 1},
      {"s", 1000},
      {"m", 60 * 1000},
      {"h", 3600 * 1000},
  }};
  const auto parts = split_number(text);
  if (!parts) return std::nullopt;
  for (const auto& [unit, multiplier] : kUnits) {
    if (parts->second != unit) continue;
    if (parts->first > static_cast<uint64_t>(INT64_MAX / multiplier)) return std::nullopt;
    return std::chrono::milliseconds(static_cast<int64_t>(parts->first) * multiplier);
  }
  return std::nullopt;
}

std::string format_size(uint64_t bytes) {
  static constexpr std::array<std::pair<std::string_view, uint64_t>, 3> kUnits{{
      {"GiB", 1ull << 30},
      {"MiB", 1ull << 20},
      {"KiB", 1ull << 10},
  }};
  for (const auto& [unit, multiplier] : kUnits) {
    if (bytes >= multiplier && bytes % multiplier == 0) {
      return std::to_string(bytes / multiplier) + std::string(unit);
    }
  }
  return std::to_string(bytes) + "B";
}

std::string format_duration(std::chrono::milliseconds duration) {
  const int64_t ms = duration.count();
  if (ms != 0 && ms % (3600 * 1000) == 0) return std::to_string(ms / (3600 * 1000)) + "h";
  if (ms != 0 && ms % (60 * 1000) == 0) return std::to_string(ms / (60 * 1000)) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace logship
