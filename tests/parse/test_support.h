#pragma once
// Helpers for the parse tests: read collected fields as plain strings.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/batch.h"
#include "inputs/parse/field_collector.h"

namespace logship::testing {

inline std::map<std::string, std::string> field_map(const FieldCollector& fields) {
  std::map<std::string, std::string> out;
  for (const CollectedField& f : fields.fields()) {
    out[std::string(fields.text(f.name))] = std::string(fields.text(f.value));
  }
  return out;
}

// A batch's parts as the file input frames them: lines joined by '\n' in one buffer, one
// record per line, offsets continuing from `file_offset`.
struct FramedBatch {
  ByteBuffer bytes;
  std::vector<Record> records;
  std::vector<Field> fields;
  uint64_t end_offset = 0;

  std::string_view text(Slice s) const { return {bytes.data() + s.begin, s.size}; }
  std::string_view line(size_t i) const { return text(records.at(i).line); }
  std::map<std::string, std::string> fields_of(size_t i) const {
    std::map<std::string, std::string> out;
    const Record& r = records.at(i);
    for (uint32_t f = r.fields_begin; f < r.fields_begin + r.fields_count; ++f) {
      out[std::string(text(fields[f].name))] = std::string(text(fields[f].value));
    }
    return out;
  }
};

inline FramedBatch frame_lines(const std::vector<std::string>& lines, uint64_t file_offset,
                               int64_t read_time_ns = 0) {
  FramedBatch batch;
  uint64_t offset = file_offset;
  for (const std::string& line : lines) {
    const Slice slice = batch.bytes.append(line);
    batch.bytes.append("\n");
    Record record{};
    record.line = slice;
    record.file_offset = offset;
    record.file_bytes = static_cast<uint32_t>(line.size() + 1);
    record.timestamp_ns = read_time_ns;
    batch.records.push_back(record);
    offset += line.size() + 1;
  }
  batch.end_offset = offset;
  return batch;
}

}  // namespace logship::testing
