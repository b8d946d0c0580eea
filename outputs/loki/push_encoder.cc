#include "outputs/loki/push_encoder.h"

#include <snappy.h>

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
  auto [it, inserted] = index_.try_emplace(stream_id, parts_.size());
  if (inserted) {
    parts_.push_back({&labels, {}});
    bytes_ += labels.text.size() + 8;
  }
  last_stream_ = stream_id;
  last_part_ = it->second;
  return parts_[last_part_];
}

void PushRequestBuilder::add(uint32_t stream_id, const StreamLabels& labels,
                             int64_t timestamp_ns, std::string_view line) {
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

std::string PushRequestBuilder::finish() {
  std::string body = encoding_ == LokiEncoding::kProtobuf ? finish_protobuf() : finish_json();
  parts_.clear();
  index_.clear();
  last_part_ = SIZE_MAX;
  entries_ = 0;
  bytes_ = 0;
  return body;
}

std::string PushRequestBuilder::finish_protobuf() {
  size_t total = 0;
  for (const StreamPart& part : parts_) {
    const size_t labels = part.labels->text.size();
    const size_t stream = 1 + varint_size(labels) + labels + part.entries.size();
    total += 1 + varint_size(stream) + stream;
  }
  std::string raw;
  raw.reserve(total);
  for (const StreamPart& part : parts_) {
    const std::string& labels = part.labels->text;
    raw.push_back(kLengthDelimited1);
    append_varint(raw, 1 + varint_size(labels.size()) + labels.size() + part.entries.size());
    raw.push_back(kLengthDelimited1);
    append_varint(raw, labels.size());
    raw += labels;
    raw += part.entries;
  }
  std::string compressed;
  snappy::Compress(raw.data(), raw.size(), &compressed);
  return compressed;
}

std::string PushRequestBuilder::finish_json() {
  size_t total = 16;
  for (const StreamPart& part : parts_) {
    total += 32 + part.labels->json.size() + part.entries.size();
  }
  std::string body;
  body.reserve(total);
  body += "{\"streams\":[";
  for (size_t i = 0; i < parts_.size(); ++i) {
    if (i > 0) body += ',';
    body += "{\"stream\":";
    body += parts_[i].labels->json;
    body += ",\"values\":[";
    body += parts_[i].entries;
    body += "]}";
  }
  body += "]}";
  return body;
}

}  // namespace logship
