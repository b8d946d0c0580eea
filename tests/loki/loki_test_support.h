#pragma once
// Helpers for the Loki output tests: batches built from lines (and parsed fields) with an
// ack sink that records each batch's fate.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "agent/batch.h"

namespace logship::loki_testing {

class RecordingSink final : public AckSink {
 public:
  void settle(uint64_t sequence, Fate fate) override {
    std::lock_guard lock(mutex_);
    fates_[sequence] = fate;
  }
  std::map<uint64_t, Fate> fates() const {
    std::lock_guard lock(mutex_);
    return fates_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<uint64_t, Fate> fates_;
};

struct TestLine {
  std::string text;
  int64_t timestamp_ns = 1'700'000'000'000'000'000;
  std::vector<std::pair<std::string, std::string>> fields;
};

// Each line is one record of one file line; with a ledger, the batch counts its lines read.
inline Batch make_batch(std::shared_ptr<const Source> source, const std::vector<TestLine>& lines,
                        std::shared_ptr<AckSink> sink = nullptr, uint64_t sequence = 0,
                        std::shared_ptr<Ledger> ledger = nullptr) {
  ByteBuffer bytes(64);
  std::vector<Record> records;
  std::vector<Field> fields;
  uint64_t offset = 0;
  for (const TestLine& line : lines) {
    Record record{};
    record.line = bytes.append(line.text);
    record.file_offset = offset;
    record.file_bytes = static_cast<uint32_t>(line.text.size() + 1);
    record.timestamp_ns = line.timestamp_ns;
    record.fields_begin = static_cast<uint32_t>(fields.size());
    for (const auto& [name, value] : line.fields) {
      const Slice name_slice = bytes.append(name);
      fields.push_back({name_slice, bytes.append(value)});
    }
    record.fields_count = static_cast<uint32_t>(line.fields.size());
    offset += record.file_bytes;
    records.push_back(record);
  }
  if (ledger) ledger->read(records.size(), 0);
  Batch batch(std::move(source), std::move(bytes), std::move(records), MemoryLease(),
              sink ? AckHandle(sink, sequence, std::move(ledger), lines.size()) : AckHandle());
  batch.mutable_fields() = std::move(fields);
  return batch;
}

inline std::shared_ptr<const Source> make_source(
    std::vector<std::pair<std::string, std::string>> labels, std::string path = "/var/log/a.log") {
  return std::make_shared<const Source>(Source{"app", std::move(path), std::move(labels)});
}

}  // namespace logship::loki_testing
