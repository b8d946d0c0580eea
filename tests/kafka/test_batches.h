#pragma once
// Test helpers: batches built from lines (and fields), and an AckSink that records fates.
// Thread: test threads; RecordingSink may be settled from any thread.

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "agent/batch.h"

namespace logship::testing {

class RecordingSink final : public AckSink {
 public:
  void settle(uint64_t sequence, Fate fate) override {
    {
      std::lock_guard lock(mutex_);
      fates_[sequence] = fate;
    }
    changed_.notify_all();
  }
  std::map<uint64_t, Fate> fates() {
    std::lock_guard lock(mutex_);
    return fates_;
  }
  // Waits (bounded) until `count` sequences are settled.
  bool wait_for(size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return fates_.size() >= count; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<uint64_t, Fate> fates_;
};

struct LineSpec {
  std::string line;
  std::vector<std::pair<std::string, std::string>> fields;
};

inline std::shared_ptr<const Source> make_source(
    std::string path, std::vector<std::pair<std::string, std::string>> labels = {}) {
  return std::make_shared<const Source>(Source{"test", std::move(path), std::move(labels)});
}

// Records at consecutive offsets starting at `first_offset`, as if each line ended in '\n'.
inline Batch make_batch(std::shared_ptr<const Source> source, const std::vector<LineSpec>& lines,
                        std::shared_ptr<AckSink> sink = nullptr, uint64_t sequence = 0,
                        uint64_t first_offset = 0) {
  ByteBuffer bytes(64);
  std::vector<Record> records;
  std::vector<Field> fields;
  uint64_t offset = first_offset;
  for (const auto& spec : lines) {
    Record record{};
    record.line = bytes.append(spec.line);
    record.file_offset = offset;
    record.file_bytes = static_cast<uint32_t>(spec.line.size() + 1);
    record.timestamp_ns = 0;
    record.fields_begin = static_cast<uint32_t>(fields.size());
    for (const auto& [name, value] : spec.fields) {
      fields.push_back({bytes.append(name), bytes.append(value)});
    }
    record.fields_count = static_cast<uint32_t>(spec.fields.size());
    offset += record.file_bytes;
    records.push_back(record);
  }
  Batch batch(std::move(source), std::move(bytes), std::move(records), MemoryLease(),
              sink ? AckHandle(std::move(sink), sequence) : AckHandle());
  batch.mutable_fields() = std::move(fields);
  return batch;
}

}  // namespace logship::testing
