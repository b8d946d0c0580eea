#pragma once
// FileParser: the parsing stage of one file, called by the file input per batch. It turns
// the batch's framed lines into records: container unwrapping and partial joins, multiline
// joins (RecordAssembler), fields (json | logfmt | regex), the timestamp (a configured
// field, else the CRI/Docker time, else the read time) and processing (drop/keep, rename,
// remove). A line that fails to parse is kept raw with parse_failed set and counted.
// Because joins hold lines across batches, register each batch with the offset tracker
// only up to ack_end(chunk_end) — held bytes are acknowledged with the batch that ships
// them. Create once per input with create(); copy it for each file (copies share
// compiled patterns). Thread: a copy belongs to its file, on the input thread.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/batch.h"
#include "agent/config.h"
#include "agent/result.h"
#include "inputs/parse/field_collector.h"
#include "inputs/parse/parse_config.h"
#include "inputs/parse/processing.h"
#include "inputs/parse/record_assembler.h"

namespace logship {

// A batch's contents before the Batch (and its ack handle) is built, or of a built one.
struct BatchParts {
  ByteBuffer& bytes;
  std::vector<Record>& records;
  std::vector<Field>& fields;

  static BatchParts of(Batch& batch) {
    return {batch.mutable_bytes(), batch.mutable_records(), batch.mutable_fields()};
  }
};

class FileParser final : private RecordSink {
 public:
  static Result<FileParser> create(ParserKind kind, uint64_t max_line_bytes,
                                   const ParseConfig& config);

  // True when parse() would leave every batch as framed (parser none, no multiline, no
  // processing): the caller may skip it.
  bool passthrough() const { return passthrough_; }

  // Replaces the framed lines in `parts.records` with parsed records; appends field text
  // to `parts.bytes` and fields to `parts.fields`.
  void parse(BatchParts parts, ParseStats& stats);
  // Ships what is held into `parts` (end of file, rotation, or flush_due_ns() passed).
  void flush(BatchParts parts, ParseStats& stats);

  // The offset a batch read up to `chunk_end` may be acknowledged to.
  uint64_t ack_end(uint64_t chunk_end) const { return assembler_.held_from().value_or(chunk_end); }
  bool holding() const { return assembler_.held_from().has_value(); }
  // Wall-clock time (ns) after which held lines are to be flushed; nullopt if none held.
  std::optional<int64_t> flush_due_ns() const;

 private:
  FileParser(ParserKind kind, const ParseConfig& config, RecordAssembler assembler,
             std::optional<Regex> regex, Processing processing);

  void emit(const AssembledRecord& record) override;
  bool parse_fields(std::string_view text);
  void extract_timestamp(Record& out, int64_t read_time_ns);
  Slice to_extra(std::string_view text);
  // The `stream` field of a container record, its name and value appended to the batch
  // once per batch rather than once per record.
  Field stream_field(std::string_view value);
  void begin(BatchParts& parts, ParseStats& stats);
  void finish();

  ParserKind kind_;
  TimestampSpec timestamp_;
  std::chrono::milliseconds flush_after_;
  bool passthrough_;
  // CRI/Docker with nothing that reads fields (no processing, no timestamp field): the
  // `stream` field skips the collector and comes from stream_field().
  bool cache_stream_;
  RecordAssembler assembler_;
  std::optional<Regex> regex_;
  Processing processing_;
  FieldCollector fields_;

  // Per call of parse()/flush(): where records go, and text to append at the end (so
  // the buffer never moves while lines are read from it).
  BatchParts* parts_ = nullptr;
  ParseStats* stats_ = nullptr;
  size_t first_record_ = 0;
  size_t first_field_ = 0;
  std::string extra_;
  std::optional<Slice> stream_name_;                          // in extra_, this batch
  std::vector<std::pair<std::string, Slice>> stream_values_;  // likewise, a few values
  std::vector<Record> framed_;
  size_t fields_per_line_ = 1;  // of the last batch, to size the next one's fields
};

}  // namespace logship
