#pragma once
// Batch: the unit that travels from an input to an output. It owns one byte buffer (the
// chunk read from a file, plus any parsed field text appended after it); records and
// fields refer into that buffer by offset, so there is no allocation per record. It also
// owns its memory lease (returned on destruction) and its ack handle (reports kDropped if
// the batch is destroyed unsettled). Move-only; handed from thread to thread, never shared.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/ack.h"
#include "agent/memory_budget.h"

namespace logship {

// Where a batch came from; shared by all batches of one file (immutable once built).
struct Source {
  std::string input_name;
  std::string path;
  std::vector<std::pair<std::string, std::string>> labels;
};

// A span inside the batch's buffer.
struct Slice {
  uint32_t begin = 0;
  uint32_t size = 0;
};

struct Field {
  Slice name;
  Slice value;
};

struct Record {
  Slice line;            // without the line terminator
  uint64_t file_offset;  // where the line starts in its file
  uint32_t file_bytes;   // bytes the record covers in the file (line, \r, \n)
  // Lines of the file this record accounts for in the ledger: 1 for a line, N for a
  // multi-line record of N lines, 1 on the first piece of a line split at max_line_bytes
  // and 0 on the pieces after it.
  uint32_t lines = 1;
  int64_t timestamp_ns;  // parsed from the line, else the time it was read
  uint32_t fields_begin = 0;
  uint32_t fields_count = 0;
  bool parse_failed = false;

  uint64_t end_offset() const { return file_offset + file_bytes; }
};

// A growable byte buffer without zero-filling (a read fills it).
class ByteBuffer {
 public:
  ByteBuffer() = default;
  explicit ByteBuffer(size_t capacity);

  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  void resize_within_capacity(size_t size) { size_ = size; }
  // Appends and returns where the bytes landed; grows geometrically when needed.
  Slice append(std::string_view bytes);

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

class Batch {
 public:
  Batch(std::shared_ptr<const Source> source, ByteBuffer bytes, std::vector<Record> records,
        MemoryLease lease, AckHandle ack)
      : source_(std::move(source)),
        bytes_(std::move(bytes)),
        records_(std::move(records)),
        lease_(std::move(lease)),
        ack_(std::move(ack)) {}
  Batch(Batch&&) noexcept = default;
  Batch& operator=(Batch&&) noexcept = default;

  const Source& source() const { return *source_; }
  std::span<const Record> records() const { return records_; }
  std::span<const Field> fields(const Record& record) const {
    return std::span<const Field>(fields_).subspan(record.fields_begin, record.fields_count);
  }
  std::string_view text(Slice slice) const { return {bytes_.data() + slice.begin, slice.size}; }
  std::string_view line(const Record& record) const { return text(record.line); }

  // Bytes this batch holds: its buffer and its record and field tables. Charged to the
  // memory budget (Tailer) and counted against queue capacity.
  uint64_t byte_size() const {
    return bytes_.capacity() + records_.capacity() * sizeof(Record) +
           fields_.capacity() * sizeof(Field);
  }

  // Parsers append field text and fields through these (input thread, before queueing).
  ByteBuffer& mutable_bytes() { return bytes_; }
  std::vector<Record>& mutable_records() { return records_; }
  std::vector<Field>& mutable_fields() { return fields_; }

  void settle(Fate fate, std::string_view reason = kRejectedOther) { ack_.settle(fate, reason); }
  // Some lines refused for good (counted by reason), the rest delivered (AckHandle).
  void settle_partly(std::span<const Rejection> rejected) { ack_.settle_partly(rejected); }
  // The file lines this batch accounts for (its records' `lines`).
  uint64_t lines() const { return ack_.lines(); }
  // Charges more of the memory budget to this batch's lease (see MemoryLease::grow).
  void charge(uint64_t bytes) { lease_.grow(bytes); }

 private:
  std::shared_ptr<const Source> source_;
  ByteBuffer bytes_;
  std::vector<Record> records_;
  std::vector<Field> fields_;
  MemoryLease lease_;
  AckHandle ack_;
};

}  // namespace logship
