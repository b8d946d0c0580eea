#include "outputs/encoding/json_scan.h"

#include <bit>
#include <cstdint>
#include <cstring>

namespace logship {
namespace {

constexpr uint64_t kOnes = 0x0101010101010101;
constexpr uint64_t kHigh = 0x8080808080808080;

// High bit of each byte of `word` below `n` (exact for the lowest such byte, which is all
// the caller uses: a borrow only ever propagates upwards from a true hit).
constexpr uint64_t bytes_below(uint64_t word, uint8_t n) {
  return (word - kOnes * n) & ~word & kHigh;
}

constexpr uint64_t bytes_equal(uint64_t word, uint8_t byte) {
  return bytes_below(word ^ (kOnes * byte), 1);
}

bool needs_escape(unsigned char c) { return c < 0x20 || c >= 0x7f || c == '"' || c == '\\'; }

}  // namespace

size_t json_clean_prefix_portable(std::string_view text) {
  const char* data = text.data();
  size_t i = 0;
  if constexpr (std::endian::native == std::endian::little) {
    for (; i + 8 <= text.size(); i += 8) {
      uint64_t word = 0;
      std::memcpy(&word, data + i, 8);
      const uint64_t attention = (word & kHigh) | bytes_below(word, 0x20) | bytes_equal(word, '"') |
                                 bytes_equal(word, '\\') | bytes_equal(word, 0x7f);
      if (attention != 0) return i + static_cast<size_t>(std::countr_zero(attention)) / 8;
    }
  }
  while (i < text.size() && !needs_escape(static_cast<unsigned char>(data[i]))) ++i;
  return i;
}

}  // namespace logship
