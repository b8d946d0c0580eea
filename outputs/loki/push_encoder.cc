#include "outputs/loki/push_encoder.h"

#include <snappy-sinksource.h>
#include <snappy.h>

#include <algorithm>
#include <cstring>

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

char* put_varint(char* out, uint64_t value) {
  while (value >= 0x80) {
    *out++ = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<char>(value);
  return out;
}

// Appends an EntryAdapter up to its line's bytes, which the caller adds or borrows.
void append_entry_head_protobuf(std::string& out, int64_t timestamp_ns, size_t line_size) {
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
      1 + varint_size(ts_size) + ts_size + 1 + varint_size(line_size) + line_size;
  // Built here and appended at once: byte-wise appends to `out` were a tenth of the
  // output's CPU. At most 1+10 + 1+1 + 1+10 + 1+5 + 1+10 bytes.
  char head[48];
  char* p = head;
  *p++ = kLengthDelimited2;
  p = put_varint(p, entry_size);
  *p++ = kLengthDelimited1;
  p = put_varint(p, ts_size);
  if (seconds != 0) {
    *p++ = kVarint1;
    p = put_varint(p, static_cast<uint64_t>(seconds));
  }
  if (nanos != 0) {
    *p++ = kVarint2;
    p = put_varint(p, static_cast<uint64_t>(nanos));
  }
  *p++ = kLengthDelimited2;
  p = put_varint(p, line_size);
  out.append(head, static_cast<size_t>(p - head));
}

void append_entry_json(std::string& out, bool first, int64_t timestamp_ns, std::string_view line) {
  out += first ? "[\"" : ",[\"";
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
  if (last_part_ != SIZE_MAX && parts_[last_part_].stream_id == stream_id) {
    return parts_[last_part_];
  }
  if (stream_id >= part_of_stream_.size()) part_of_stream_.resize(stream_id + 1, 0);
  uint32_t& slot = part_of_stream_[stream_id];
  if (slot == 0) {
    if (used_ == parts_.size()) parts_.emplace_back();
    StreamPart& added = parts_[used_];
    added.stream_id = stream_id;
    added.labels = &labels;
    added.runs.clear();
    added.bytes = 0;
    slot = static_cast<uint32_t>(++used_);
    bytes_ += labels.text.size() + 8;
  }
  last_part_ = slot - 1;
  return parts_[last_part_];
}

void PushRequestBuilder::add(uint32_t stream_id, const StreamLabels& labels, int64_t timestamp_ns,
                             std::string_view line) {
  StreamPart& stream = part(stream_id, labels);
  const size_t owned_capacity = owned_.capacity();
  const size_t entries_capacity = entries_.capacity();
  const size_t runs_capacity = stream.runs.capacity();
  const size_t before = owned_.size();
  Entry entry;
  const bool ascii = is_ascii(line);
  std::string repaired;
  if (!ascii) {
    append_valid_utf8(repaired, line);
    line = repaired;
  }
  if (encoding_ == LokiEncoding::kJson) {
    append_entry_json(owned_, stream.runs.empty(), timestamp_ns, line);
  } else if (ascii) {
    append_entry_head_protobuf(owned_, timestamp_ns, line.size());
    entry.borrowed = line.data();
    entry.borrowed_size = static_cast<uint32_t>(line.size());
  } else {  // the repaired copy dies here: keep it
    append_entry_head_protobuf(owned_, timestamp_ns, line.size());
    owned_ += line;
  }
  entry.owned_begin = static_cast<uint32_t>(before);
  const size_t entry_bytes = owned_.size() - before + entry.borrowed_size;
  const auto index = static_cast<uint32_t>(entries_.size());
  entries_.push_back(entry);
  if (!stream.runs.empty() && stream.runs.back().end_entry == index) {
    stream.runs.back().end_entry = index + 1;
  } else {
    stream.runs.push_back({.first_entry = index, .end_entry = index + 1});
  }
  stream.bytes += entry_bytes;
  bytes_ += entry_bytes;
  buffer_bytes_ += (owned_.capacity() - owned_capacity) +
                   (entries_.capacity() - entries_capacity) * sizeof(Entry) +
                   (stream.runs.capacity() - runs_capacity) * sizeof(Run);
}

void PushRequestBuilder::clear() {
  for (size_t i = 0; i < used_; ++i) part_of_stream_[parts_[i].stream_id] = 0;
  used_ = 0;
  last_part_ = SIZE_MAX;
  owned_.clear();
  entries_.clear();
  bytes_ = 0;
  if (owned_.capacity() > keep_bytes_) {
    buffer_bytes_ -= owned_.capacity();
    std::string().swap(owned_);
    buffer_bytes_ += owned_.capacity();
  }
  if (entries_.capacity() * sizeof(Entry) > keep_bytes_) {
    buffer_bytes_ -= entries_.capacity() * sizeof(Entry);
    std::vector<Entry>().swap(entries_);
  }
  for (StreamPart& part : parts_) {
    if (part.runs.capacity() * sizeof(Run) > keep_bytes_) {
      buffer_bytes_ -= part.runs.capacity() * sizeof(Run);
      std::vector<Run>().swap(part.runs);
    }
  }
}

void PushRequestBuilder::encode(std::string& body, uint32_t first, uint32_t end) const {
  if (encoding_ == LokiEncoding::kProtobuf) {
    encode_protobuf(body, first, end);
  } else {
    encode_json(body, first, end);
  }
}

size_t PushRequestBuilder::bytes_within(const StreamPart& part, uint32_t first,
                                        uint32_t end) const {
  if (first == 0 && end == entries_.size()) return part.bytes;
  size_t bytes = 0;
  for (const Run& run : part.runs) {
    const uint32_t begin = std::max(run.first_entry, first);
    const uint32_t stop = std::min(run.end_entry, end);
    if (begin >= stop) continue;
    bytes += owned_end(stop - 1) - entries_[begin].owned_begin;
    for (uint32_t i = begin; i < stop; ++i) bytes += entries_[i].borrowed_size;
  }
  return bytes;
}

namespace {

// Snappy's output appended to a string that grows only as far as the compressed size
// (snappy's worst-case bound is 1.17x the input, which would be kept, and charged, per lane).
class AppendingSink final : public snappy::Sink {
 public:
  explicit AppendingSink(std::string& out) : out_(out) {}
  void Append(const char* bytes, size_t n) override {
    if (lent_ != kNotLent && bytes == out_.data() + lent_) {
      out_.resize(lent_ + n);  // snappy wrote in place into what GetAppendBuffer lent
    } else {
      if (lent_ != kNotLent) out_.resize(lent_);
      out_.append(bytes, n);
    }
    lent_ = kNotLent;
  }
  char* GetAppendBuffer(size_t length, char* /*scratch*/) override {
    lent_ = out_.size();
    // Room without zero-filling it: snappy writes it before Append() trims to what it wrote.
    out_.resize_and_overwrite(lent_ + length, [](char*, size_t size) { return size; });
    return out_.data() + lent_;
  }

 private:
  static constexpr size_t kNotLent = SIZE_MAX;
  std::string& out_;
  size_t lent_ = kNotLent;
};

}  // namespace

// The request as snappy reads it: per stream its header, then each entry's owned bytes and
// borrowed line, gathered into 64 KiB blocks (snappy compresses a block at a time, and a
// block this size stays in cache between our copy and its read).
class PushRequestBuilder::GatherSource final : public snappy::Source {
 public:
  // `head_ends[i]` ends part i's head in `stream_heads`; a part with no entries in
  // [first, end) has an empty head and is skipped.
  GatherSource(const PushRequestBuilder& builder, std::string_view stream_heads,
               const std::vector<size_t>& head_ends, size_t total, uint32_t first, uint32_t end)
      : builder_(builder),
        stream_heads_(stream_heads),
        head_ends_(head_ends),
        left_(total),
        first_(first),
        end_(end) {
    block_.resize_and_overwrite(kBlockBytes, [](char*, size_t size) { return size; });
  }
  size_t Available() const override { return left_; }
  const char* Peek(size_t* length) override {
    if (position_ == filled_) fill();
    *length = filled_ - position_;
    return block_.data() + position_;
  }
  void Skip(size_t n) override {
    position_ += n;
    left_ -= n;
  }

 private:
  static constexpr size_t kBlockBytes = 64 * 1024;

  void fill() {
    position_ = 0;
    filled_ = 0;
    while (filled_ < kBlockBytes && (!piece_.empty() || next_piece())) {
      const size_t n = std::min(piece_.size(), kBlockBytes - filled_);
      std::memcpy(block_.data() + filled_, piece_.data(), n);
      filled_ += n;
      piece_.remove_prefix(n);
    }
  }

  // Moves `piece_` on to the next non-empty stretch of bytes; false at the end.
  bool next_piece() {
    const auto& parts = builder_.parts_;
    for (;;) {
      if (part_ == builder_.used_) return false;
      const StreamPart& part = parts[part_];
      if (!head_sent_) {
        const size_t begin = part_ == 0 ? 0 : head_ends_[part_ - 1];
        piece_ = stream_heads_.substr(begin, head_ends_[part_] - begin);
        head_sent_ = true;
        run_ = 0;
        start_run(part);
        return true;
      }
      if (run_ == part.runs.size()) {
        ++part_;
        head_sent_ = false;
        continue;
      }
      if (entry_ >= std::min(part.runs[run_].end_entry, end_)) {
        ++run_;
        start_run(part);
        continue;
      }
      const Entry& entry = builder_.entries_[entry_];
      if (!owned_sent_) {
        piece_ = std::string_view(builder_.owned_)
                     .substr(entry.owned_begin, builder_.owned_end(entry_) - entry.owned_begin);
        owned_sent_ = true;
      } else {
        piece_ = std::string_view(entry.borrowed, entry.borrowed_size);
        owned_sent_ = false;
        ++entry_;
      }
      if (!piece_.empty()) return true;
    }
  }

  void start_run(const StreamPart& part) {
    if (run_ == part.runs.size()) return;
    entry_ = std::max(part.runs[run_].first_entry, first_);
    owned_sent_ = false;
  }

  const PushRequestBuilder& builder_;
  const std::string_view stream_heads_;
  const std::vector<size_t>& head_ends_;
  size_t left_;
  std::string block_;
  size_t position_ = 0;
  size_t filled_ = 0;
  std::string_view piece_;
  size_t part_ = 0;
  bool head_sent_ = false;
  size_t run_ = 0;
  uint32_t entry_ = 0;
  bool owned_sent_ = false;
  const uint32_t first_;
  const uint32_t end_;
};

void PushRequestBuilder::encode_protobuf(std::string& body, uint32_t first, uint32_t end) const {
  // Per stream: the StreamAdapter key and length, then its labels field; its entries
  // follow.
  std::string stream_heads;
  std::vector<size_t> head_ends;
  head_ends.reserve(used_);
  size_t total = 0;
  for (size_t i = 0; i < used_; ++i) {
    const std::string& labels = parts_[i].labels->text;
    const size_t entries_size = bytes_within(parts_[i], first, end);
    const size_t head_begin = stream_heads.size();
    if (entries_size > 0) {
      stream_heads.push_back(kLengthDelimited1);
      append_varint(stream_heads, 1 + varint_size(labels.size()) + labels.size() + entries_size);
      stream_heads.push_back(kLengthDelimited1);
      append_varint(stream_heads, labels.size());
      stream_heads += labels;
    }
    head_ends.push_back(stream_heads.size());
    total += stream_heads.size() - head_begin + entries_size;
  }
  GatherSource source(*this, stream_heads, head_ends, total, first, end);
  body.clear();
  AppendingSink sink(body);
  snappy::Compress(&source, &sink);
}

void PushRequestBuilder::encode_json(std::string& body, uint32_t first, uint32_t end) const {
  body.clear();
  body += "{\"streams\":[";
  bool first_stream = true;
  for (size_t i = 0; i < used_; ++i) {
    bool first_value = true;
    for (const Run& run : parts_[i].runs) {
      const uint32_t begin = std::max(run.first_entry, first);
      const uint32_t stop = std::min(run.end_entry, end);
      if (begin >= stop) continue;
      if (first_value) {
        if (!first_stream) body += ',';
        body += "{\"stream\":";
        body += parts_[i].labels->json;
        body += ",\"values\":[";
      }
      size_t from = entries_[begin].owned_begin;
      // An entry after its stream's first carries the comma before it: a part of the
      // request that starts mid-stream drops it.
      if (first_value && owned_[from] == ',') ++from;
      body.append(owned_, from, owned_end(stop - 1) - from);
      first_value = false;
    }
    if (!first_value) {
      body += "]}";
      first_stream = false;
    }
  }
  body += "]}";
}

}  // namespace logship
