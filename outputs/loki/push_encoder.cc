#include "outputs/loki/push_encoder.h"

#include <snappy-sinksource.h>
#include <snappy.h>

#include <algorithm>

#include "outputs/encoding/json_record.h"
#include "outputs/loki/labels.h"

namespace logship {
namespace {

// Field keys (field_number << 3 | wire_type) of Loki's push.proto:
//   PushRequest  { repeated StreamAdapter streams = 1; }
//   StreamAdapter{ string labels = 1; repeated EntryAdapter entries = 2; }
//   EntryAdapter { Timestamp timestamp = 1; string line = 2; }
//   Timestamp    { int64 seconds = 1; int32 nanos = 2; }
constexpr char kLengthDelimited1 = 0x0a;
constexpr char kLengthDelimited2 = 0x12;
constexpr char kVarint1 = 0x08;
constexpr char kVarint2 = 0x10;

void append_entry_protobuf(std::string& out, int64_t timestamp_ns, std::string_view line) {
  int64_t seconds = timestamp_ns / 1'000'000'000;
  int64_t nanos = timestamp_ns % 1'000'000'000;
  if (nanos < 0) {
    nanos += 1'000'000'000;
    --seconds;
  }
  size_t ts_size = 0;
  if (seconds != 0) ts_size += 1 + varint_size(static_cast<uint64_t>(seconds));
  if (nanos != 0) ts_size += 1 + varint_size(static_cast<uint64_t>(nanos));
  const size_t entry_size =
      1 + varint_size(ts_size) + ts_size + 1 + varint_size(line.size()) + line.size();
  out.push_back(kLengthDelimited2);
  append_varint(out, entry_size);
  out.push_back(kLengthDelimited1);
  append_varint(out, ts_size);
  if (seconds != 0) {
    out.push_back(kVarint1);
    append_varint(out, static_cast<uint64_t>(seconds));
  }
  if (nanos != 0) {
    out.push_back(kVarint2);
    append_varint(out, static_cast<uint64_t>(nanos));
  }
  out.push_back(kLengthDelimited2);
  append_varint(out, line.size());
  out.append(line);
}

void append_entry_json(std::string& out, int64_t timestamp_ns, std::string_view line) {
  out += out.empty() ? "[\"" : ",[\"";
  out += std::to_string(timestamp_ns);
  out += "\",";
  append_json_string(out, line);
  out += ']';
}

}  // namespace

size_t varint_size(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

void append_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

PushRequestBuilder::StreamPart& PushRequestBuilder::part(uint32_t stream_id,
                                                         const StreamLabels& labels) {
  if (last_part_ != SIZE_MAX && last_stream_ == stream_id) return parts_[last_part_];
  auto [it, inserted] = index_.try_emplace(stream_id, used_);
  if (inserted) {
    if (used_ == parts_.size()) parts_.emplace_back();
    parts_[used_].labels = &labels;
    parts_[used_].entries.clear();
    ++used_;
    bytes_ += labels.text.size() + 8;
  }
  last_stream_ = stream_id;
  last_part_ = it->second;
  return parts_[last_part_];
}

void PushRequestBuilder::add(uint32_t stream_id, const StreamLabels& labels, int64_t timestamp_ns,
                             std::string_view line) {
  std::string& out = part(stream_id, labels).entries;
  const size_t before = out.size();
  std::string repaired;
  if (!is_ascii(line)) {
    append_valid_utf8(repaired, line);
    line = repaired;
  }
  if (encoding_ == LokiEncoding::kProtobuf) {
    append_entry_protobuf(out, timestamp_ns, line);
  } else {
    append_entry_json(out, timestamp_ns, line);
  }
  bytes_ += out.size() - before;
  ++entries_;
}

void PushRequestBuilder::clear(size_t keep_bytes) {
  size_t kept = 0;
  for (StreamPart& part : parts_) {
    part.entries.clear();
    if (kept + part.entries.capacity() > keep_bytes) {
      std::string().swap(part.entries);
    } else {
      kept += part.entries.capacity();
    }
  }
  used_ = 0;
  index_.clear();
  last_part_ = SIZE_MAX;
  entries_ = 0;
  bytes_ = 0;
}

void PushRequestBuilder::encode(std::string& body) const {
  if (encoding_ == LokiEncoding::kProtobuf) {
    encode_protobuf(body);
  } else {
    encode_json(body);
  }
}

namespace {

// The request as snappy reads it: each stream's header then its entries, without first
// copying them into one buffer.
class SegmentSource final : public snappy::Source {
 public:
  explicit SegmentSource(std::vector<std::string_view> segments) : segments_(std::move(segments)) {
    for (auto segment : segments_) left_ += segment.size();
    skip_empty();
  }
  size_t Available() const override { return left_; }
  const char* Peek(size_t* length) override {
    if (index_ == segments_.size()) {
      *length = 0;
      return nullptr;
    }
    *length = segments_[index_].size() - offset_;
    return segments_[index_].data() + offset_;
  }
  void Skip(size_t n) override {
    left_ -= n;
    while (n > 0) {
      const size_t here = std::min(n, segments_[index_].size() - offset_);
      offset_ += here;
      n -= here;
      skip_empty();
    }
  }

 private:
  void skip_empty() {
    while (index_ < segments_.size() && offset_ == segments_[index_].size()) {
      ++index_;
      offset_ = 0;
    }
  }
  std::vector<std::string_view> segments_;
  size_t index_ = 0;
  size_t offset_ = 0;
  size_t left_ = 0;
};

}  // namespace

void PushRequestBuilder::encode_protobuf(std::string& body) const {
  // Per stream: the StreamAdapter key and length, then its labels field; the entries
  // follow from the part's own buffer.
  std::vector<std::string> headers(used_);
  std::vector<std::string_view> segments;
  segments.reserve(used_ * 2);
  for (size_t i = 0; i < used_; ++i) {
    const StreamPart& part = parts_[i];
    const std::string& labels = part.labels->text;
    std::string& header = headers[i];
    header.push_back(kLengthDelimited1);
    append_varint(header, 1 + varint_size(labels.size()) + labels.size() + part.entries.size());
    header.push_back(kLengthDelimited1);
    append_varint(header, labels.size());
    header += labels;
    segments.push_back(header);
    segments.push_back(part.entries);
  }
  SegmentSource source(std::move(segments));
  // resize_and_overwrite: no zero-filling of the ~1.2x worst case we write into.
  body.resize_and_overwrite(snappy::MaxCompressedLength(source.Available()),
                            [&source](char* data, size_t) {
                              snappy::UncheckedByteArraySink sink(data);
                              return snappy::Compress(&source, &sink);
                            });
}

void PushRequestBuilder::encode_json(std::string& body) const {
  body.clear();
  body += "{\"streams\":[";
  for (size_t i = 0; i < used_; ++i) {
    if (i > 0) body += ',';
    body += "{\"stream\":";
    body += parts_[i].labels->json;
    body += ",\"values\":[";
    body += parts_[i].entries;
    body += "]}";
  }
  body += "]}";
}

}  // namespace logship
