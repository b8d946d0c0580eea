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
  // Buffers grow as entries come and are kept across clear() for the next request, except
  // one that grew past `keep_bytes` (size it to batch_bytes plus a line): that one is given
  // back, so one huge request does not pin its memory.
  explicit PushRequestBuilder(LokiEncoding encoding, size_t keep_bytes = 0)
      : encoding_(encoding), keep_bytes_(keep_bytes) {}

  // `stream_id` identifies the stream (small, dense ids: it indexes a table);
  // `labels` must outlive encode(). For protobuf the line is borrowed, not copied (it
  // lives in its batch, which the request holds and the budget already counts): it must
  // outlive encode() too, unless it had to be made valid UTF-8.
  void add(uint32_t stream_id, const StreamLabels& labels, int64_t timestamp_ns,
           std::string_view line);

  bool empty() const { return entries_.empty(); }
  uint64_t entries() const { return entries_.size(); }
  // Uncompressed payload bytes so far (what `batch_bytes` is compared with).
  uint64_t bytes() const { return bytes_; }
  LokiEncoding encoding() const { return encoding_; }
  // Bytes of memory the builder's buffers hold (capacity, not content): what an owner
  // charges to the memory budget.
  uint64_t buffer_bytes() const { return buffer_bytes_; }

  // Writes the request body (snappy(protobuf) or JSON) into `body`, replacing its content
  // but reusing its capacity; `body` grows only to the size it needs.
  void encode(std::string& body) const { encode(body, 0, static_cast<uint32_t>(entries())); }
  // The same for the entries numbered [first, end) in the order added (a part of the
  // request, to find which entries Loki refuses).
  void encode(std::string& body, uint32_t first, uint32_t end) const;
  // Empties the builder, keeping its buffers for the next request.
  void clear();

 private:
  // One entry: its own bytes in `owned_` (the protobuf entry head, or the whole JSON
  // entry, or a head plus the line made valid UTF-8), then the borrowed line, if any.
  // Owned bytes are appended in entry order, so an entry's end where the next one begins.
  struct Entry {
    const char* borrowed = nullptr;
    uint32_t borrowed_size = 0;
    uint32_t owned_begin = 0;
  };
  // Consecutive entries of one stream (streams interleave within a file).
  struct Run {
    uint32_t first_entry = 0;
    uint32_t end_entry = 0;
  };
  struct StreamPart {
    uint32_t stream_id = 0;
    const StreamLabels* labels = nullptr;
    std::vector<Run> runs;  // in order
    size_t bytes = 0;       // of its entries
  };
  class GatherSource;
  StreamPart& part(uint32_t stream_id, const StreamLabels& labels);
  // Bytes of a stream's entries numbered [first, end).
  size_t bytes_within(const StreamPart& part, uint32_t first, uint32_t end) const;
  void encode_protobuf(std::string& body, uint32_t first, uint32_t end) const;
  void encode_json(std::string& body, uint32_t first, uint32_t end) const;
  size_t owned_end(uint32_t entry) const {
    return entry + 1 < entries_.size() ? entries_[entry + 1].owned_begin : owned_.size();
  }

  LokiEncoding encoding_;
  size_t keep_bytes_;
  std::string owned_;
  std::vector<Entry> entries_;  // in the order added; streams refer to them by runs
  // parts_[0, used_) are this request's streams; the rest keep their runs' capacity.
  std::vector<StreamPart> parts_;
  size_t used_ = 0;
  // stream id -> 1 + its index in parts_ (0: not in this request).
  std::vector<uint32_t> part_of_stream_;
  size_t last_part_ = SIZE_MAX;
  uint64_t bytes_ = 0;
  uint64_t buffer_bytes_ = 0;
};

// Protobuf helpers, shared with the test receiver's decoder tests.
void append_varint(std::string& out, uint64_t value);
size_t varint_size(uint64_t value);

}  // namespace logship
