#include <emmintrin.h>

#include <bit>

#include "outputs/encoding/json_scan.h"

namespace logship {

size_t json_clean_prefix_sse2(std::string_view text) {
  const char* data = text.data();
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i del = _mm_set1_epi8(0x7f);
  size_t i = 0;
  for (; i + 16 <= text.size(); i += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
    // Signed: bytes >= 0x80 are negative, so one compare finds them and controls alike.
    const __m128i attention =
        _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(bytes, space), _mm_cmpeq_epi8(bytes, quote)),
                     _mm_or_si128(_mm_cmpeq_epi8(bytes, backslash), _mm_cmpeq_epi8(bytes, del)));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(attention));
    if (mask != 0) return i + static_cast<size_t>(std::countr_zero(mask));
  }
  return i + json_clean_prefix_portable(text.substr(i));
}

size_t json_clean_prefix(std::string_view text) { return json_clean_prefix_sse2(text); }

}  // namespace logship
