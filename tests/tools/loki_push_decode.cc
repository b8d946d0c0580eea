#include "tests/tools/loki_push_decode.h"

#include <rapidjson/document.h>
#include <snappy.h>

#include <algorithm>
#include <charconv>

namespace loki_test {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }
  bool varint(uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      const auto byte = static_cast<uint8_t>(data_[pos_++]);
      out |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  bool bytes(std::string_view& out) {
    uint64_t size;
    if (!varint(size) || size > data_.size() - pos_) return false;
    out = data_.substr(pos_, size);
    pos_ += size;
    return true;
  }
  // Skips a field of the given wire type.
  bool skip(uint64_t wire_type) {
    uint64_t ignored;
    std::string_view ignored_bytes;
    switch (wire_type) {
      case 0:
        return varint(ignored);
      case 1:
        pos_ += 8;
        return pos_ <= data_.size();
      case 2:
        return bytes(ignored_bytes);
      case 5:
        pos_ += 4;
        return pos_ <= data_.size();
      default:
        return false;
    }
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

bool decode_timestamp(std::string_view data, int64_t& out) {
  Reader reader(data);
  int64_t seconds = 0, nanos = 0;
  while (!reader.done()) {
    uint64_t key, value;
    if (!reader.varint(key)) return false;
    if ((key & 7) != 0) {
      if (!reader.skip(key & 7)) return false;
      continue;
    }
    if (!reader.varint(value)) return false;
    if ((key >> 3) == 1) seconds = static_cast<int64_t>(value);
    if ((key >> 3) == 2) nanos = static_cast<int32_t>(value);
  }
  out = seconds * 1'000'000'000 + nanos;
  return true;
}

bool decode_entry(std::string_view data, PushEntry& out) {
  Reader reader(data);
  while (!reader.done()) {
    uint64_t key;
    if (!reader.varint(key)) return false;
    std::string_view field;
    if ((key & 7) == 2 && (key >> 3) <= 2) {
      if (!reader.bytes(field)) return false;
      if ((key >> 3) == 1 && !decode_timestamp(field, out.timestamp_ns)) return false;
      if ((key >> 3) == 2) out.line = field;
    } else if (!reader.skip(key & 7)) {
      return false;
    }
  }
  return true;
}

bool decode_stream(std::string_view data, PushStream& out) {
  Reader reader(data);
  while (!reader.done()) {
    uint64_t key;
    if (!reader.varint(key)) return false;
    std::string_view field;
    if ((key & 7) == 2 && (key >> 3) <= 2) {
      if (!reader.bytes(field)) return false;
      if ((key >> 3) == 1) out.labels = std::string(field);
      if ((key >> 3) == 2 && !decode_entry(field, out.entries.emplace_back())) return false;
    } else if (!reader.skip(key & 7)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string decode_push_protobuf(std::string_view body, std::string& scratch,
                                 std::vector<PushStream>& out) {
  if (!snappy::Uncompress(body.data(), body.size(), &scratch)) {
    return "decompressing snappy: invalid data";
  }
  Reader reader(scratch);
  while (!reader.done()) {
    uint64_t key;
    if (!reader.varint(key)) return "malformed protobuf";
    std::string_view field;
    if (key == 0x0a) {
      if (!reader.bytes(field) || !decode_stream(field, out.emplace_back())) {
        return "malformed protobuf stream";
      }
    } else if (!reader.skip(key & 7)) {
      return "malformed protobuf";
    }
  }
  return {};
}

std::string decode_push_json(std::string& body, std::vector<PushStream>& out) {
  rapidjson::Document document;
  body.push_back('\0');
  document.ParseInsitu(body.data());
  if (document.HasParseError() || !document.IsObject()) return "invalid JSON";
  auto streams = document.FindMember("streams");
  if (streams == document.MemberEnd() || !streams->value.IsArray()) return "no streams array";
  for (auto& stream : streams->value.GetArray()) {
    if (!stream.IsObject()) return "stream is not an object";
    auto labels = stream.FindMember("stream");
    auto values = stream.FindMember("values");
    if (labels == stream.MemberEnd() || !labels->value.IsObject() || values == stream.MemberEnd() ||
        !values->value.IsArray()) {
      return "stream needs \"stream\" and \"values\"";
    }
    PushStream& decoded = out.emplace_back();
    Labels pairs;
    for (auto& label : labels->value.GetObject()) {
      if (!label.value.IsString()) return "label value is not a string";
      pairs.emplace_back(std::string(label.name.GetString(), label.name.GetStringLength()),
                         std::string(label.value.GetString(), label.value.GetStringLength()));
    }
    decoded.labels = format_labels(std::move(pairs));
    for (auto& value : values->value.GetArray()) {
      if (!value.IsArray() || value.Size() < 2 || !value[0].IsString() || !value[1].IsString()) {
        return "value is not [\"<ns>\", \"<line>\"]";
      }
      PushEntry& entry = decoded.entries.emplace_back();
      std::string_view ts(value[0].GetString(), value[0].GetStringLength());
      if (std::from_chars(ts.data(), ts.data() + ts.size(), entry.timestamp_ns).ec != std::errc()) {
        return "timestamp is not a number of nanoseconds";
      }
      entry.line = std::string_view(value[1].GetString(), value[1].GetStringLength());
    }
  }
  return {};
}

std::string parse_label_set(std::string_view text, Labels& out) {
  auto fail = [&](std::string why) {
    return "parse error in labels " + std::string(text) + ": " + why;
  };
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return fail("not {...}");
  std::string_view rest = text.substr(1, text.size() - 2);
  while (!rest.empty()) {
    size_t i = 0;
    auto name_char = [](char c, bool first) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
             (!first && c >= '0' && c <= '9');
    };
    while (i < rest.size() && name_char(rest[i], i == 0)) ++i;
    if (i == 0) return fail("invalid label name");
    std::string name(rest.substr(0, i));
    if (i + 1 >= rest.size() || rest[i] != '=' || rest[i + 1] != '"') return fail("expected =\"");
    i += 2;
    std::string value;
    for (;; ++i) {
      if (i >= rest.size()) return fail("unterminated value");
      const char c = rest[i];
      if (c == '"') break;
      if (c == '\n') return fail("newline in value");
      if (c != '\\') {
        value += c;
        continue;
      }
      if (++i >= rest.size()) return fail("unterminated escape");
      switch (rest[i]) {
        case 'n':
          value += '\n';
          break;
        case 'r':
          value += '\r';
          break;
        case 't':
          value += '\t';
          break;
        case '\\':
          value += '\\';
          break;
        case '"':
          value += '"';
          break;
        case 'x': {
          if (i + 2 >= rest.size()) return fail("bad \\x escape");
          unsigned byte = 0;
          std::from_chars(rest.data() + i + 1, rest.data() + i + 3, byte, 16);
          value += static_cast<char>(byte);
          i += 2;
          break;
        }
        case 'u': {  // Go string literals accept \uXXXX too
          unsigned code = 0;
          const auto parsed = std::from_chars(rest.data() + i + 1,
                                              rest.data() + std::min(i + 5, rest.size()), code, 16);
          if (i + 4 >= rest.size() || parsed.ptr != rest.data() + i + 5) {
            return fail("bad \\u escape");
          }
          if (code < 0x80) {
            value += static_cast<char>(code);
          } else if (code < 0x800) {
            value += static_cast<char>(0xC0 | (code >> 6));
            value += static_cast<char>(0x80 | (code & 0x3F));
          } else {
            value += static_cast<char>(0xE0 | (code >> 12));
            value += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            value += static_cast<char>(0x80 | (code & 0x3F));
          }
          i += 4;
          break;
        }
        default:
          return fail("unknown escape");
      }
    }
    if (!valid_utf8(value)) return fail("label value is not valid UTF-8");
    for (const auto& existing : out) {
      if (existing.first == name) return fail("duplicate label name " + name);
    }
    out.emplace_back(std::move(name), std::move(value));
    rest.remove_prefix(i + 1);
    if (rest.starts_with(",")) rest.remove_prefix(1);
    while (rest.starts_with(" ")) rest.remove_prefix(1);
  }
  if (out.empty()) return "error at least one label pair is required per stream";
  return {};
}

std::string format_labels(Labels labels) {
  std::ranges::sort(labels);
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) out += ", ";
    out += name + "=\"";
    for (char c : value) {
      if (c == '\\' || c == '"') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

bool valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    unsigned char low = 0x80, high = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) low = 0xA0;
      if (c == 0xED) high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (i + length > n || p[i + 1] < low || p[i + 1] > high) return false;
    for (size_t k = 2; k < length; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

}  // namespace loki_test
