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
  // Entries are encoded into one buffer of `capacity` bytes, reserved at the first add()
  // and kept across clear() (size it to batch_bytes plus a line): one copy of each line and
  // no regrowth. A request that outgrew it gives the excess back on clear().
  explicit PushRequestBuilder(LokiEncoding encoding, size_t capacity = 0)
      : encoding_(encoding), capacity_(capacity) {}

  // `stream_id` identifies the stream (small, dense ids: it indexes a table);
  // `labels` must outlive finish().
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
  // Empties the builder, keeping its buffers for the next request.
  void clear();

 private:
  // A stretch of encoded entries of one stream, consecutive in `encoded_`.
  struct Run {
    size_t begin = 0;
    size_t end = 0;
  };
  struct StreamPart {
    uint32_t stream_id = 0;
    const StreamLabels* labels = nullptr;
    std::vector<Run> runs;  // in order
  };
  StreamPart& part(uint32_t stream_id, const StreamLabels& labels);
  void encode_protobuf(std::string& body) const;
  void encode_json(std::string& body) const;

  LokiEncoding encoding_;
  size_t capacity_;
  // Every entry of the request in the order added; streams refer to it by runs, so a
  // stream's entries need not be contiguous (streams interleave within a file).
  std::string encoded_;
  // parts_[0, used_) are this request's streams; the rest keep their runs' capacity.
  std::vector<StreamPart> parts_;
  size_t used_ = 0;
  // stream id -> 1 + its index in parts_ (0: not in this request).
  std::vector<uint32_t> part_of_stream_;
  size_t last_part_ = SIZE_MAX;
  uint64_t entries_ = 0;
  uint64_t bytes_ = 0;
};

// Protobuf helpers, shared with the test receiver's decoder tests.
void append_varint(std::string& out, uint64_t value);
size_t varint_size(uint64_t value);

}  // namespace logship
