#pragma once
// PushRequestBuilder: accumulates the entries of one Loki push request, grouped by
// stream, and encodes it as Loki's PushRequest protobuf compressed with snappy (block
// format, as Loki reads `application/x-protobuf`) or as the JSON push body. Entries of a
// stream keep the order they were added in. Lines are made valid UTF-8 (Loki refuses
// anything else). Pure: no I/O, no clock.
// Thread: one owner at a time (filled by the output's send() thread, finished by a lane).

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "outputs/loki/loki_config.h"

namespace logship {

// A stream's label set in both wire forms, computed once per stream.
struct StreamLabels {
  std::string text;  // {a="x", b="y"}
  std::string json;  // {"a":"x","b":"y"}
};

class PushRequestBuilder {
 public:
  explicit PushRequestBuilder(LokiEncoding encoding) : encoding_(encoding) {}

  // `stream_id` identifies the stream within this request; `labels` must outlive finish().
  void add(uint32_t stream_id, const StreamLabels& labels, int64_t timestamp_ns,
           std::string_view line);

  bool empty() const { return entries_ == 0; }
  uint64_t entries() const { return entries_; }
  // Uncompressed payload bytes so far (what `batch_bytes` is compared with).
  uint64_t bytes() const { return bytes_; }
  LokiEncoding encoding() const { return encoding_; }

  // Writes the request body (snappy(protobuf) or JSON) into `body`, replacing its content
  // but reusing its capacity.
  void encode(std::string& body) const;
  // Empties the builder, keeping up to `keep_bytes` of buffer capacity for the next
  // request (no reallocation in steady state; streams that moved on do not pin memory).
  void clear(size_t keep_bytes);

 private:
  struct StreamPart {
    const StreamLabels* labels = nullptr;
    std::string entries;  // encoded entries, in order
  };
  StreamPart& part(uint32_t stream_id, const StreamLabels& labels);
  void encode_protobuf(std::string& body) const;
  void encode_json(std::string& body) const;

  LokiEncoding encoding_;
  // parts_[0, used_) are this request's streams; the rest are spare buffers.
  std::vector<StreamPart> parts_;
  size_t used_ = 0;
  std::unordered_map<uint32_t, size_t> index_;
  uint32_t last_stream_ = 0;
  size_t last_part_ = SIZE_MAX;
  uint64_t entries_ = 0;
  uint64_t bytes_ = 0;
};

// Protobuf helpers, shared with the test receiver's decoder tests.
void append_varint(std::string& out, uint64_t value);
size_t varint_size(uint64_t value);

}  // namespace logship
