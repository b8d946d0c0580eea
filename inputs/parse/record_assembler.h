#pragma once
// RecordAssembler: turns one file's framed lines into whole records. It unwraps container
// lines (CRI, Docker json-file), joins their partial pieces per stream (up to
// max_line_bytes), then joins multi-line records (MultilineRule, max_lines, max_bytes).
// Whatever is unfinished at the end of a batch is held, copied, across batches; held_from()
// says where the held bytes begin so the batch is acknowledged only up to there, and a
// joined record covers the file from its first piece to the end of its last.
// Thread: one per file, on the input thread. Pure: no I/O, time comes in as arguments.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/batch.h"
#include "inputs/parse/field_collector.h"
#include "inputs/parse/multiline.h"
#include "inputs/parse/timestamp.h"

namespace logship {

enum class LineFormat { kPlain, kCri, kDocker };

struct ParseStats {
  uint64_t records = 0;           // records produced
  uint64_t parse_failed = 0;      // shipped raw, marked parse_failed
  uint64_t timestamp_failed = 0;  // kept the read time
  uint64_t partials_joined = 0;   // container pieces joined into a longer line
  uint64_t multiline_joined = 0;  // lines joined into a previous line's record
  uint64_t limit_splits = 0;      // records cut at max_line_bytes, max_lines or max_bytes
  uint64_t timeout_flushes = 0;   // held records shipped by flush()
  uint64_t dropped = 0;           // removed by drop_if / keep_if
  uint64_t dropped_lines = 0;     // the file lines of those records (the ledger's filtered)
};

// A finished record, borrowed for the duration of RecordSink::emit.
struct AssembledRecord {
  std::string_view text;
  std::optional<Slice> in_buffer;  // set when text is exactly this slice of the batch buffer
  uint64_t file_offset = 0;
  uint64_t end_offset = 0;
  int64_t read_time_ns = 0;
  std::optional<int64_t> container_time_ns;
  std::string_view stream;
  bool decode_failed = false;  // not a valid container line: shipped raw
  uint32_t lines = 1;          // file lines it accounts for (Record::lines summed)
};

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void emit(const AssembledRecord& record) = 0;
};

class RecordAssembler {
 public:
  RecordAssembler(LineFormat format, uint64_t max_line_bytes, MultilineConfig multiline,
                  MultilineRule rule);

  // One framed line; `buffer` is the whole batch buffer the record's slice points into.
  void push(std::string_view buffer, const Record& line, RecordSink& sink, ParseStats& stats);
  // End of a batch: held text that still borrows the batch buffer is copied.
  void end_batch(std::string_view buffer);
  // Emits everything held (idle timeout, end of file, rotation).
  void flush(RecordSink& sink, ParseStats& stats);

  // First file offset of the held bytes; nullopt when nothing is held.
  std::optional<uint64_t> held_from() const;
  // Read time of the newest held line, to time the flush; nullopt when nothing is held.
  std::optional<int64_t> held_since() const;

 private:
  // A record or line being joined: a slice of the current buffer until a second piece
  // arrives or the batch ends, then owned text.
  struct Pending {
    bool active = false;
    std::optional<Slice> slice;
    std::string text;
    std::string stream;
    uint64_t file_offset = 0;
    uint64_t end_offset = 0;
    int64_t read_time_ns = 0;  // of the first piece
    int64_t last_read_ns = 0;  // of the newest piece
    std::optional<int64_t> container_time_ns;
    uint32_t lines = 0;         // joined lines, for max_lines
    uint32_t source_lines = 0;  // file lines (Record::lines summed), for the ledger
    size_t size() const { return slice ? slice->size : text.size(); }
  };
  struct Piece {
    std::string_view text;
    std::optional<Slice> slice;
    std::string_view stream;
    std::optional<int64_t> container_time_ns;
    bool partial = false;
  };

  std::optional<Piece> decode(std::string_view buffer, const Record& line);
  void join_partial(std::string_view buffer, const Piece& piece, const Record& line,
                    RecordSink& sink, ParseStats& stats);
  void add_line(std::string_view buffer, Pending&& line, RecordSink& sink, ParseStats& stats);
  void emit(std::string_view buffer, Pending& pending, RecordSink& sink);
  static void start(Pending& pending, const Piece& piece, const Record& line);
  static void append(std::string_view buffer, Pending& pending, std::string_view separator,
                     std::string_view text);

  LineFormat format_;
  uint64_t max_line_bytes_;
  MultilineConfig multiline_;
  MultilineRule rule_;
  FieldCollector docker_scratch_;
  Rfc3339Cache cri_times_;
  Pending partials_[2];  // per stream: stdout, stderr (or anything else)
  Pending record_;       // the multi-line record in progress
};

}  // namespace logship
