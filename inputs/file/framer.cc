#include "inputs/file/framer.h"

#include <cstring>
#include <utility>

namespace logship {

size_t Framer::frame(std::string_view buffer, uint32_t buffer_begin, uint64_t file_offset,
                     int64_t timestamp_ns, std::vector<Record>& out) {
  const char* data = buffer.data();
  const size_t size = buffer.size();
  size_t pos = 0;
  // A line is counted on its first record: the pieces after it of a split line count 0.
  auto emit = [&](size_t begin, size_t content_end, size_t consumed_end) {
    const uint32_t lines = continuing_split_line_ ? 0 : 1;
    counts_.lines += lines;
    out.push_back(Record{
        .line = {static_cast<uint32_t>(buffer_begin + begin),
                 static_cast<uint32_t>(content_end - begin)},
        .file_offset = file_offset + begin,
        .file_bytes = static_cast<uint32_t>(consumed_end - begin),
        .lines = lines,
        .timestamp_ns = timestamp_ns,
    });
  };
  // Cuts max_line_bytes off an over-long line starting at `pos`, per the policy.
  auto cut_long_line = [&] {
    emit(pos, pos + max_line_bytes_, pos + max_line_bytes_);
    pos += max_line_bytes_;
    if (long_lines_ == LongLines::kTruncate) {
      ++counts_.truncated_lines;
      skipping_rest_of_line_ = true;
    } else if (!continuing_split_line_) {
      ++counts_.split_lines;
      continuing_split_line_ = true;
    }
  };

  while (pos < size) {
    const auto* newline = static_cast<const char*>(std::memchr(data + pos, '\n', size - pos));
    if (skipping_rest_of_line_) {
      if (newline == nullptr) return size;
      pos = static_cast<size_t>(newline - data) + 1;
      skipping_rest_of_line_ = false;
      continue;
    }
    if (newline == nullptr) {
      const size_t remaining = size - pos;
      // A line of exactly max_line_bytes waiting for its "\n" after a '\r' is not long.
      const bool cr_pending = remaining == max_line_bytes_ + 1 && data[size - 1] == '\r';
      if (remaining > max_line_bytes_ && !cr_pending) {
        cut_long_line();
        continue;
      }
      return pos;
    }
    const size_t line_end = static_cast<size_t>(newline - data);
    size_t content_end = line_end;
    if (content_end > pos && data[content_end - 1] == '\r') --content_end;
    if (content_end - pos > max_line_bytes_) {
      cut_long_line();
      continue;
    }
    emit(pos, content_end, line_end + 1);
    continuing_split_line_ = false;
    pos = line_end + 1;
  }
  return pos;
}

void Framer::flush(std::string_view remainder, uint32_t buffer_begin, uint64_t file_offset,
                   int64_t timestamp_ns, std::vector<Record>& out) {
  const uint32_t lines = std::exchange(continuing_split_line_, false) ? 0 : 1;
  if (remainder.empty()) return;
  out.push_back(Record{
      .line = {buffer_begin, static_cast<uint32_t>(remainder.size())},
      .file_offset = file_offset,
      .file_bytes = static_cast<uint32_t>(remainder.size()),
      .lines = lines,
      .timestamp_ns = timestamp_ns,
  });
  counts_.lines += lines;
}

}  // namespace logship
