#include "inputs/file/checkpoint_store.h"

#include <xxhash.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "agent/atomic_file.h"

namespace logship {
namespace {

constexpr std::string_view kHeader = "# logship checkpoints v1\n";
constexpr size_t kFields = 11;

std::string escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    const char next = text[++i];
    out += next == 't' ? '\t' : next == 'n' ? '\n' : next;
  }
  return out;
}

std::vector<std::string_view> split(std::string_view line, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == separator) {
      parts.push_back(line.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

template <typename Number>
bool parse_number(std::string_view text, Number& out, int base = 10) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string hex(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

Result<CheckpointEntry> parse_entry(std::string_view line, size_t line_number) {
  const auto fields = split(line, '\t');
  CheckpointEntry entry;
  const bool ok =
      fields.size() == kFields && fields[0] == "v1" &&
      parse_number(fields[2], entry.identity.device) &&
      parse_number(fields[3], entry.identity.inode) &&
      parse_number(fields[4], entry.identity.head.length) &&
      parse_number(fields[5], entry.identity.head.hash, 16) &&
      parse_number(fields[6], entry.offset) && parse_number(fields[7], entry.tail.length) &&
      parse_number(fields[8], entry.tail.hash, 16) && parse_number(fields[9], entry.updated_unix_s);
  if (!ok) {
    return make_error(ErrorCode::kIo,
                      "line " + std::to_string(line_number) + " is not a v1 checkpoint entry");
  }
  entry.scope = unescape(fields[1]);
  entry.path = unescape(fields[10]);
  return entry;
}

}  // namespace

std::string serialize_checkpoints(std::span<const CheckpointEntry> entries) {
  std::ostringstream out;
  out << kHeader;
  for (const auto& e : entries) {
    out << "v1\t" << escape(e.scope) << '\t' << e.identity.device << '\t' << e.identity.inode
        << '\t' << e.identity.head.length << '\t' << hex(e.identity.head.hash) << '\t' << e.offset
        << '\t' << e.tail.length << '\t' << hex(e.tail.hash) << '\t' << e.updated_unix_s << '\t'
        << escape(e.path) << '\n';
  }
  std::string body = out.str();
  body += "end\t" + std::to_string(entries.size()) + "\t" +
          hex(XXH64(body.data(), body.size(), 0)) + "\n";
  return body;
}

Result<std::vector<CheckpointEntry>> parse_checkpoints(std::string_view text) {
  if (!text.starts_with(kHeader)) return make_error(ErrorCode::kIo, "missing the v1 header");
  if (!text.ends_with('\n')) return make_error(ErrorCode::kIo, "truncated (no final newline)");
  const size_t trailer_start = text.rfind('\n', text.size() - 2) + 1;
  const std::string_view body = text.substr(0, trailer_start);
  const auto trailer = split(text.substr(trailer_start, text.size() - trailer_start - 1), '\t');
  size_t count = 0;
  uint64_t hash = 0;
  if (trailer.size() != 3 || trailer[0] != "end" || !parse_number(trailer[1], count) ||
      !parse_number(trailer[2], hash, 16)) {
    return make_error(ErrorCode::kIo, "truncated (no end line)");
  }
  if (XXH64(body.data(), body.size(), 0) != hash) {
    return make_error(ErrorCode::kIo, "corrupt (checksum mismatch)");
  }
  std::vector<CheckpointEntry> entries;
  const auto lines = split(body.substr(kHeader.size()), '\n');
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    auto entry = parse_entry(lines[i], i + 2);
    if (!entry) return std::unexpected(entry.error());
    entries.push_back(std::move(*entry));
  }
  if (entries.size() != count) return make_error(ErrorCode::kIo, "entry count mismatch");
  return entries;
}

Result<std::vector<CheckpointEntry>> CheckpointStore::load() const {
  std::ifstream file(path_, std::ios::binary);
  if (!file) {
    if (errno == ENOENT) return std::vector<CheckpointEntry>{};
    return make_error(ErrorCode::kIo, errno_message("open", path_));
  }
  std::stringstream content;
  content << file.rdbuf();
  auto entries = parse_checkpoints(content.str());
  if (!entries) return make_error(ErrorCode::kIo, path_ + ": " + entries.error().message);
  return entries;
}

Result<void> CheckpointStore::save(std::span<const CheckpointEntry> entries) const {
  return write_file_atomically(path_, serialize_checkpoints(entries));
}

}  // namespace logship
