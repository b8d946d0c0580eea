#include "inputs/parse/json_parser.h"

#include <bit>
#include <bitset>
#include <cstdint>
#include <cstring>

namespace logship {
namespace {

// The index of the first '"' or '\\' in `s` at or after `pos`, or s.size(). Eight bytes at a
// time (SWAR): string scanning is most of the parse, and most strings have no escapes.
size_t find_quote_or_backslash(std::string_view s, size_t pos) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighBits = 0x8080808080808080ULL;
  for (; pos + 8 <= s.size(); pos += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + pos, 8);
    if constexpr (std::endian::native == std::endian::big) word = std::byteswap(word);
    const uint64_t quote = word ^ (kOnes * '"');
    const uint64_t backslash = word ^ (kOnes * '\\');
    // A byte's high bit is set where it is zero; a borrow can only mark bytes above the
    // first zero byte, so the lowest mark is exact.
    const uint64_t hits =
        (((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash)) & kHighBits;
    if (hits != 0) return pos + static_cast<size_t>(std::countr_zero(hits) / 8);
  }
  while (pos < s.size() && s[pos] != '"' && s[pos] != '\\') ++pos;
  return pos;
}

class JsonScanner {
 public:
  JsonScanner(std::string_view line, FieldCollector& out) : s_(line), out_(out) {}

  bool parse_object_line() {
    skip_ws();
    if (!eat('{')) return false;
    skip_ws();
    if (!eat('}')) {
      while (true) {
        TextRef name;
        if (!string_value(name)) return false;
        skip_ws();
        if (!eat(':')) return false;
        skip_ws();
        TextRef value;
        if (!value_text(value)) return false;
        out_.add(name, value);
        skip_ws();
        if (eat(',')) {
          skip_ws();
          continue;
        }
        if (eat('}')) break;
        return false;
      }
    }
    skip_ws();
    return pos_ == s_.size();
  }

 private:
  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }
  bool eat(char c) {
    if (at_end() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  void skip_ws() {
    while (!at_end() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\r' || s_[pos_] == '\n')) {
      ++pos_;
    }
  }

  // A value of a top-level key: decoded string, or the raw JSON text of anything else.
  bool value_text(TextRef& out) {
    const char c = peek();
    if (c == '"') return string_value(out);
    const size_t start = pos_;
    bool ok = false;
    if (c == '{' || c == '[') {
      ok = skip_nested();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      ok = number();
    } else {
      ok = literal("true") || literal("false") || literal("null");
    }
    if (!ok) return false;
    out = out_.in_line(start, pos_ - start);
    return true;
  }

  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  size_t digits() {
    const size_t start = pos_;
    while (!at_end() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    return pos_ - start;
  }

  bool number() {
    eat('-');
    if (peek() == '0') {
      ++pos_;
    } else if (digits() == 0) {
      return false;
    }
    if (eat('.') && digits() == 0) return false;
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (!eat('+')) eat('-');
      if (digits() == 0) return false;
    }
    return true;
  }

  // Skips a string (pos_ at the opening quote) without decoding it.
  bool skip_string() {
    ++pos_;
    while (!at_end()) {
      const char c = s_[pos_++];
      if (c == '"') return true;
      if (c == '\\') {
        if (at_end()) return false;
        ++pos_;
      }
    }
    return false;
  }

  // Skips a nested object or array, checking brackets pair up and strings close. The
  // contents are not validated further: they are shipped as text.
  bool skip_nested() {
    std::bitset<kMaxJsonDepth> is_object;
    int depth = 0;
    while (!at_end()) {
      const char c = s_[pos_];
      if (c == '"') {
        if (!skip_string()) return false;
        continue;
      }
      ++pos_;
      if (c == '{' || c == '[') {
        if (depth == kMaxJsonDepth) return false;
        is_object[depth++] = c == '{';
      } else if (c == '}' || c == ']') {
        if (depth == 0 || is_object[depth - 1] != (c == '}')) return false;
        if (--depth == 0) return true;
      }
    }
    return false;
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Reads the 4 hex digits after "\u"; -1 when malformed.
  int32_t hex4() {
    if (s_.size() - pos_ < 4) return -1;
    int32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = hex_value(s_[pos_ + i]);
      if (h < 0) return -1;
      value = value * 16 + h;
    }
    pos_ += 4;
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

  // Decodes one \uXXXX escape (pos_ after the 'u'), joining a surrogate pair.
  bool unicode_escape(std::string& out) {
    const int32_t first = hex4();
    if (first < 0) return false;
    uint32_t cp = static_cast<uint32_t>(first);
    if (cp >= 0xD800 && cp <= 0xDBFF && s_.substr(pos_, 2) == "\\u") {
      const size_t save = pos_;
      pos_ += 2;
      const int32_t second = hex4();
      if (second >= 0xDC00 && second <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<uint32_t>(second) - 0xDC00);
      } else {
        pos_ = save;  // not a low surrogate: decode it on its own next
        cp = 0xFFFD;
      }
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      cp = 0xFFFD;
    }
    append_utf8(out, cp);
    return true;
  }

  bool escape(std::string& out) {
    if (at_end()) return false;
    const char c = s_[pos_++];
    switch (c) {
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
        return unicode_escape(out);
      default:
        return false;
    }
  }

  // A string (pos_ at the opening quote): a ref into the line when it has no escapes,
  // else decoded into the scratch text.
  bool string_value(TextRef& out) {
    if (!eat('"')) return false;
    const size_t start = pos_;
    const char* base = s_.data();
    // Fast path: find the closing quote or the first backslash.
    pos_ = find_quote_or_backslash(s_, pos_);
    if (at_end()) return false;
    if (base[pos_] == '"') {
      out = out_.in_line(start, pos_ - start);
      ++pos_;
      return true;
    }
    const size_t scratch_start = out_.scratch_begin();
    std::string& scratch = out_.scratch();
    scratch.append(base + start, pos_ - start);
    while (!at_end()) {
      const char c = s_[pos_++];
      if (c == '"') {
        out = out_.scratch_end(scratch_start);
        return true;
      }
      if (c == '\\') {
        if (!escape(scratch)) return false;
      } else {
        scratch.push_back(c);
      }
    }
    return false;
  }

  std::string_view s_;
  size_t pos_ = 0;
  FieldCollector& out_;
};

}  // namespace

bool parse_json(std::string_view line, FieldCollector& out) {
  out.reset(line);
  return JsonScanner(line, out).parse_object_line();
}

}  // namespace logship
