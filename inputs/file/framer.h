#pragma once
// Framer: splits bytes read from one file into line records. Lines end at '\n'; a '\r'
// before it is stripped. A line longer than max_line_bytes is split into pieces of that
// size (counted), or truncated to it with the rest skipped (counted) — per config. What
// is left after the last complete line is an incomplete line: the caller carries it and
// presents it again, at the front of the next buffer, with the bytes that follow.
// Pure: no I/O. One Framer per file (truncation state spans buffers). Not thread-safe.

#include <cstdint>
#include <string_view>
#include <vector>

#include "agent/batch.h"
#include "agent/config.h"

namespace logship {

struct FramerCounts {
  uint64_t lines = 0;            // lines of the file; a split or truncated line counts once
  uint64_t split_lines = 0;      // lines that were cut into several records
  uint64_t truncated_lines = 0;  // lines whose tail was skipped
};

class Framer {
 public:
  Framer(uint64_t max_line_bytes, LongLines long_lines)
      : max_line_bytes_(max_line_bytes), long_lines_(long_lines) {}

  // Appends a record per complete line (or piece) of `buffer`, whose first byte is at
  // `file_offset` in the file and at `buffer_begin` in the batch buffer. Returns how many
  // bytes of `buffer` were consumed; the rest is the incomplete line to carry.
  size_t frame(std::string_view buffer, uint32_t buffer_begin, uint64_t file_offset,
               int64_t timestamp_ns, std::vector<Record>& out);

  // Emits a carried incomplete line as a record (end of file, rotation, idle timeout).
  void flush(std::string_view remainder, uint32_t buffer_begin, uint64_t file_offset,
             int64_t timestamp_ns, std::vector<Record>& out);

  const FramerCounts& counts() const { return counts_; }

 private:
  const uint64_t max_line_bytes_;
  const LongLines long_lines_;
  bool skipping_rest_of_line_ = false;  // truncate mode: inside an over-long line's tail
  bool continuing_split_line_ = false;  // split mode: the next piece belongs to a split line
  FramerCounts counts_;
};

}  // namespace logship
