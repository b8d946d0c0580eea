#include "inputs/parse/json_parser.h"

#include <bit>
#include <bitset>
#include <cstdint>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace logship {
namespace {

bool is_json_whitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

#ifdef __SSE2__
// Bit i set where byte i of the 16 at `at` is '"' or '\\'.
unsigned quote_or_backslash_bits(const char* at) {
  const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(
      _mm_cmpeq_epi8(chunk, _mm_set1_epi8('"')), _mm_cmpeq_epi8(chunk, _mm_set1_epi8('\\')))));
}

// Bit i set where byte i of the 16 at `at` is not an ASCII digit. Signed compares: bytes
// >= 0x80 are negative, so below '0'.
unsigned non_digit_bits(const char* at) {
  const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(
      _mm_cmplt_epi8(chunk, _mm_set1_epi8('0')), _mm_cmpgt_epi8(chunk, _mm_set1_epi8('9')))));
}

// The first byte in [p, end) whose bit `bits_at` sets, or end; `line` is where the line
// starts. 16 bytes at a time; the last few of a line are looked at as the line's last 16
// bytes, those before p masked off, so that a value near the end (the last field of every
// line) costs one compare rather than a byte loop. Only lines under 16 bytes take the loop.
// Always inlined, as are its two users: the field loop calls them for every value.
template <typename Bits, typename IsHit>
[[gnu::always_inline]] inline const char* find_first(const char* p, const char* line,
                                                     const char* end, Bits bits_at, IsHit is_hit) {
  for (; end - p >= 16; p += 16) {
    if (const unsigned hits = bits_at(p); hits != 0) return p + std::countr_zero(hits);
  }
  if (p != end && end - line >= 16) {
    const char* const last16 = end - 16;
    const unsigned hits = bits_at(last16) >> (p - last16);
    return hits != 0 ? p + std::countr_zero(hits) : end;
  }
  while (p != end && !is_hit(*p)) ++p;
  return p;
}
#endif

// The first '"' or '\\' in [p, end), or end. String scanning is most of the parse and most
// strings have no escapes, so it compares 16 bytes at a time (SSE2, part of every x86-64)
// or, elsewhere, 8 at a time within a word (SWAR).
[[gnu::always_inline]] inline const char* find_quote_or_backslash(const char* p,
                                                                  [[maybe_unused]] const char* line,
                                                                  const char* end) {
#ifdef __SSE2__
  return find_first(p, line, end, quote_or_backslash_bits,
                    [](char c) { return c == '"' || c == '\\'; });
#else
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighBits = 0x8080808080808080ULL;
  for (; end - p >= 8; p += 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    if constexpr (std::endian::native == std::endian::big) word = std::byteswap(word);
    const uint64_t quote = word ^ (kOnes * '"');
    const uint64_t backslash = word ^ (kOnes * '\\');
    // A byte's high bit is set where it is zero; a borrow can only mark bytes above the
    // first zero byte, so the lowest mark is exact.
    const uint64_t hits =
        (((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash)) & kHighBits;
    if (hits != 0) return p + std::countr_zero(hits) / 8;
  }
  while (p != end && *p != '"' && *p != '\\') ++p;
  return p;
#endif
}

// The first byte in [p, end) that is not an ASCII digit, or end. Numbers (ids, counts,
// latencies) are the next most common values; a byte loop cost ~6 instructions a digit.
[[gnu::always_inline]] inline const char* skip_digits(const char* p,
                                                      [[maybe_unused]] const char* line,
                                                      const char* end) {
  auto is_non_digit = [](char c) { return static_cast<unsigned char>(c - '0') >= 10; };
#ifdef __SSE2__
  return find_first(p, line, end, non_digit_bits, is_non_digit);
#else
  while (p != end && !is_non_digit(*p)) ++p;
  return p;
#endif
}

// Scans one line. The cursor `p` is a local of the field loop, passed by reference only
// to helpers that inline, so it stays in a register: as a member it was stored and reloaded
// around every field. The rare paths (escapes, nested values) take it by value and return
// where they stopped, or nullptr when the line is malformed.
//
// The line must end in '}' (parse_json checks, after trimming whitespace). Every byte the
// field loop consumes before its end is some other token, so the cursor stays short of the
// end until that last '}', and the token and whitespace checks read *p without first
// comparing p with the end (those compares were a tenth of the parse). The scans and the
// rare paths stay bounded by end_; only a nested value can swallow the last '}', and then
// the line is not an object.
class JsonScanner {
 public:
  JsonScanner(std::string_view line, FieldCollector& out)
      : begin_(line.data()), end_(line.data() + line.size()), out_(out) {}

  bool parse_object_line() const {
    const char* p = begin_;
    if (!eat_token(p, '{')) return false;
    if (!eat_token(p, '}')) {
      while (true) {
        TextRef name;
        std::string_view name_text;
        if (!string_value(p, name, &name_text)) return false;
        if (!eat_token(p, ':')) return false;
        TextRef value;
        if (!value_text(p, value)) return false;
        // A decoded name lives in the scratch text, which decoding the value may have moved.
        if (name.in_scratch()) name_text = out_.text(name);
        out_.add(name, name_text, value);
        if (eat_token(p, ',')) continue;
        if (eat_token(p, '}')) break;
        return false;
      }
    }
    return p == end_;  // trailing whitespace is already trimmed
  }

 private:
  // p < end_ (see the class comment).
  static bool eat(const char*& p, char c) {
    if (*p != c) return false;
    ++p;
    return true;
  }

  // p < end_, and *(end_ - 1) is '}', which stops the loop.
  static void skip_ws(const char*& p) {
    while (is_json_whitespace(*p)) ++p;
  }

  // Eats `c` after optional whitespace. Most JSON logs have none between tokens, so `c`
  // itself is tried first.
  bool eat_token(const char*& p, char c) const {
    if (eat(p, c)) return true;
    skip_ws(p);
    return eat(p, c);
  }

  TextRef in_line(const char* begin, const char* end) const {
    return out_.in_line(static_cast<size_t>(begin - begin_), static_cast<size_t>(end - begin));
  }

  // A string (p at its opening quote, or whitespace before it): a ref into the line when it has no
  // escapes, else decoded into the scratch text. Small so that it inlines into the field loop.
  // `text`, when given, is set to the string's text too: add() needs a name's, and here it
  // costs nothing where decoding the ref again does. A decoded string's text is valid only
  // until the scratch text grows.
  bool string_value(const char*& p, TextRef& out, std::string_view* text = nullptr) const {
    if (!eat_token(p, '"')) return false;
    const char* const start = p;
    p = find_quote_or_backslash(p, begin_, end_);
    if (p == end_) return false;
    if (*p != '"') {
      p = escaped_string_value(start, p, out);
      if (p == nullptr) return false;
      if (text != nullptr) *text = out_.text(out);
      return true;
    }
    out = in_line(start, p);
    if (text != nullptr) *text = {start, static_cast<size_t>(p - start)};
    ++p;
    return true;
  }

  // A value of a top-level key: decoded string, or the raw JSON text of anything else.
  bool value_text(const char*& p, TextRef& out) const {
    // Values usually follow ':' directly; every JSON whitespace byte is <= ' '.
    if (static_cast<unsigned char>(*p) <= ' ') skip_ws(p);
    const char c = *p;
    if (c == '"') return string_value(p, out);
    const char* const start = p;
    bool ok = false;
    if (c == '{' || c == '[') {
      p = skip_nested(p);
      ok = p != nullptr && p != end_;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      ok = number(p);
    } else {
      ok = literal(p, "true") || literal(p, "false") || literal(p, "null");
    }
    if (!ok) return false;
    out = in_line(start, p);
    return true;
  }

  bool literal(const char*& p, std::string_view word) const {
    if (static_cast<size_t>(end_ - p) < word.size() ||
        std::memcmp(p, word.data(), word.size()) != 0) {
      return false;
    }
    p += word.size();
    return true;
  }

  // Skips digits; false when there are none.
  bool digits(const char*& p) const {
    const char* const start = p;
    p = skip_digits(p, begin_, end_);
    return p != start;
  }

  bool number(const char*& p) const {
    eat(p, '-');
    if (!eat(p, '0') && !digits(p)) return false;
    if (eat(p, '.') && !digits(p)) return false;
    if (eat(p, 'e') || eat(p, 'E')) {
      if (!eat(p, '+')) eat(p, '-');
      if (!digits(p)) return false;
    }
    return true;
  }

  // The position after the closing quote of a string whose contents start at `p`, without
  // decoding it; nullptr when it does not close.
  const char* skip_string(const char* p) const {
    while (true) {
      p = find_quote_or_backslash(p, begin_, end_);
      if (p == end_) return nullptr;
      if (*p == '"') return p + 1;
      if (end_ - p < 2) return nullptr;
      p += 2;  // the backslash and the byte it escapes
    }
  }

  // Skips a nested object or array (p at its opening bracket), checking brackets pair up
  // and strings close. The contents are not validated further: they are shipped as text.
  [[gnu::noinline]] const char* skip_nested(const char* p) const {
    std::bitset<kMaxJsonDepth> is_object;
    int depth = 0;
    while (p != end_) {
      const char c = *p++;
      if (c == '"') {
        p = skip_string(p);
        if (p == nullptr) return nullptr;
      } else if (c == '{' || c == '[') {
        if (depth == kMaxJsonDepth) return nullptr;
        is_object[depth++] = c == '{';
      } else if (c == '}' || c == ']') {
        if (depth == 0 || is_object[depth - 1] != (c == '}')) return nullptr;
        if (--depth == 0) return p;
      }
    }
    return nullptr;
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Reads the 4 hex digits after "\u"; -1 when malformed.
  int32_t hex4(const char*& p) const {
    if (end_ - p < 4) return -1;
    int32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = hex_value(p[i]);
      if (h < 0) return -1;
      value = value * 16 + h;
    }
    p += 4;
    return value;
  }

  static void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // Decodes one \uXXXX escape (p after the 'u'), joining a surrogate pair.
  bool unicode_escape(const char*& p, std::string& out) const {
    const int32_t first = hex4(p);
    if (first < 0) return false;
    uint32_t cp = static_cast<uint32_t>(first);
    if (cp >= 0xD800 && cp <= 0xDBFF && end_ - p >= 2 && p[0] == '\\' && p[1] == 'u') {
      const char* after_pair = p + 2;
      const int32_t second = hex4(after_pair);
      if (second >= 0xDC00 && second <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<uint32_t>(second) - 0xDC00);
        p = after_pair;
      } else {
        cp = 0xFFFD;  // not a low surrogate: decode that escape on its own next
      }
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      cp = 0xFFFD;
    }
    append_utf8(out, cp);
    return true;
  }

  bool escape(const char*& p, std::string& out) const {
    if (p == end_) return false;
    switch (*p++) {
      case '"':
        out.push_back('"');
        return true;
      case '\\':
        out.push_back('\\');
        return true;
      case '/':
        out.push_back('/');
        return true;
      case 'b':
        out.push_back('\b');
        return true;
      case 'f':
        out.push_back('\f');
        return true;
      case 'n':
        out.push_back('\n');
        return true;
      case 'r':
        out.push_back('\r');
        return true;
      case 't':
        out.push_back('\t');
        return true;
      case 'u':
        return unicode_escape(p, out);
      default:
        return false;
    }
  }

  // The rest of a string from its first backslash (p), decoded into the scratch text after
  // the plain bytes from `start`. Returns the position after the closing quote.
  [[gnu::noinline]] const char* escaped_string_value(const char* start, const char* p,
                                                     TextRef& out) const {
    const size_t scratch_start = out_.scratch_begin();
    std::string& scratch = out_.scratch();
    scratch.append(start, p);
    while (p != end_) {
      const char c = *p++;
      if (c == '"') {
        out = out_.scratch_end(scratch_start);
        return p;
      }
      if (c == '\\') {
        if (!escape(p, scratch)) return nullptr;
      } else {
        scratch.push_back(c);
      }
    }
    return nullptr;
  }

  const char* const begin_;
  const char* const end_;
  FieldCollector& out_;
};

}  // namespace

bool parse_json(std::string_view line, FieldCollector& out) {
  out.reset(line);
  if (line.empty() || line.back() != '}') {
    while (!line.empty() && is_json_whitespace(line.back())) line.remove_suffix(1);
    if (line.empty() || line.back() != '}') return false;
  }
  if (line.size() < 2) return false;
  return JsonScanner(line, out).parse_object_line();
}

}  // namespace logship
