#include "outputs/encoding/json_record.h"

#include <array>
#include <cstdio>
#include <ctime>

#include "outputs/encoding/json_scan.h"

namespace logship {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the valid UTF-8 sequence starting at text[i], or 0 if it is invalid.
size_t utf8_sequence_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t length = 0;
  unsigned char min_second = 0x80;
  unsigned char max_second = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) min_second = 0xA0;  // overlong
    if (lead == 0xED) max_second = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) min_second = 0x90;  // overlong
    if (lead == 0xF4) max_second = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < min_second || byte(i + 1) > max_second) return 0;
  for (size_t k = 2; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return length;
}

// Calls on_ascii(byte) for ASCII, on_sequence(view) for valid multi-byte sequences and
// on_invalid() once per invalid byte.
template <typename Ascii, typename Sequence, typename Invalid>
void walk_utf8(std::string_view text, Ascii on_ascii, Sequence on_sequence, Invalid on_invalid) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      on_ascii(text[i]);
      ++i;
      continue;
    }
    const size_t length = utf8_sequence_length(text, i);
    if (length == 0) {
      on_invalid();
      ++i;
    } else {
      on_sequence(text.substr(i, length));
      i += length;
    }
  }
}

// One ASCII byte that json_clean_prefix() stopped at: a quote, a backslash or a control.
void append_escaped_ascii(std::string& out, char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default: {
      std::array<char, 8> escape{};
      std::snprintf(escape.data(), escape.size(), "\\u%04x", static_cast<unsigned char>(c));
      out += escape.data();
    }
  }
}

}  // namespace

void append_valid_utf8(std::string& out, std::string_view text) {
  walk_utf8(
      text, [&](char c) { out += c; }, [&](std::string_view s) { out += s; },
      [&] { out += kReplacement; });
}

void append_json_string(std::string& out, std::string_view text) {
  out.reserve(out.size() + text.size() + 2);
  out += '"';
  for (size_t i = 0; i < text.size();) {
    const size_t clean = json_clean_prefix(text.substr(i));
    out.append(text.data() + i, clean);
    i += clean;
    if (i == text.size()) break;
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t length = utf8_sequence_length(text, i);
      if (length == 0) {
        out += kReplacement;
        ++i;
      } else {
        out.append(text.data() + i, length);
        i += length;
      }
      continue;
    }
    append_escaped_ascii(out, static_cast<char>(c));
    ++i;
  }
  out += '"';
}

void append_rfc3339_ns(std::string& out, int64_t timestamp_ns) {
  const time_t seconds = static_cast<time_t>(timestamp_ns / 1'000'000'000);
  const auto nanos = static_cast<long>(timestamp_ns % 1'000'000'000);
  tm utc{};
  ::gmtime_r(&seconds, &utc);
  std::array<char, 48> text{};
  const int n = std::snprintf(text.data(), text.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ",
                              utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                              utc.tm_min, utc.tm_sec, nanos);
  out.append(text.data(), static_cast<size_t>(n));
}

void append_json_record(std::string& out, const Batch& batch, const Record& record) {
  out += "{\"ts\":\"";
  append_rfc3339_ns(out, record.timestamp_ns);
  out += "\",\"line\":";
  append_json_string(out, batch.line(record));
  out += ",\"fields\":{";
  bool first = true;
  for (const Field& field : batch.fields(record)) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, batch.text(field.name));
    out += ':';
    append_json_string(out, batch.text(field.value));
  }
  out += "},\"labels\":{";
  first = true;
  for (const auto& [name, value] : batch.source().labels) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, name);
    out += ':';
    append_json_string(out, value);
  }
  out += "},\"file\":";
  append_json_string(out, batch.source().path);
  out += ",\"offset\":";
  out += std::to_string(record.file_offset);
  if (record.parse_failed) out += ",\"parse_error\":true";
  out += '}';
}

}  // namespace logship
