#pragma once
// StreamRouter: maps each record to its Loki stream (one per distinct label set), pins
// every stream to one request lane, and hands out per-stream timestamps that strictly
// increase, so Loki never refuses an entry as out of order or drops it as a duplicate
// (a record whose time is not after its stream's last entry is sent 1 ns after it;
// entries of a stream keep file order). At most `max_streams` label sets are kept; a
// record that would open another loses its field- and file-templated labels and is
// counted.
// Pure apart from its own state. Thread: the output's send() thread only.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/batch.h"
#include "outputs/loki/labels.h"
#include "outputs/loki/push_encoder.h"

namespace logship {

struct Stream {
  uint32_t id = 0;
  uint32_t lane = 0;
  StreamLabels labels;  // stable address for the life of the router
  int64_t last_timestamp_ns = INT64_MIN;

  // The timestamp to send for an entry read with `timestamp_ns`.
  int64_t order_timestamp(int64_t timestamp_ns) {
    last_timestamp_ns = timestamp_ns > last_timestamp_ns ? timestamp_ns : last_timestamp_ns + 1;
    return last_timestamp_ns;
  }
};

class StreamRouter {
 public:
  StreamRouter(std::vector<LabelTemplate> templates, uint64_t max_streams, uint32_t lanes);

  // Call once per batch before route(): resolves what depends only on the input and file.
  void start_batch(const Batch& batch);
  Stream& route(const Batch& batch, const Record& record);

  uint64_t stream_count() const { return streams_.size(); }
  uint64_t records_over_stream_limit() const { return over_limit_; }

 private:
  // The label templates in force for a batch, split by what they depend on.
  struct TemplateSet {
    std::vector<LabelTemplate> all;
    std::vector<LabelTemplate> source_only;  // `all` with LabelScope::kInput
    LabelScope scope = LabelScope::kInput;   // the most specific of `all`
  };
  static TemplateSet make_set(std::vector<LabelTemplate> templates);

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  // What is known of one source (input name and labels).
  struct SourceState {
    TemplateSet own;                  // its labels as templates, when none are configured
    Stream* source_stream = nullptr;  // of its source-only labels, once opened
    // Its streams by the rendered file- and field-templated labels alone: a few bytes per
    // record.
    std::unordered_map<std::string, Stream*, StringHash, std::equal_to<>> keyed_streams;
  };
  // The batch's source's stream of source-only labels, opened on first use.
  Stream& source_stream(const Batch& batch, const Record& record);
  // The stream of `record`'s file- and field-templated labels; `records` is how many
  // records take it (counted if the stream limit sends them to the source's stream).
  Stream& keyed_stream(const Batch& batch, const Record& record, uint64_t records);
  Stream& add_stream(const LabelPairs& labels);

  TemplateSet configured_;
  bool use_source_labels_;  // no labels configured: each input's labels are the templates
  uint64_t max_streams_;
  uint32_t lanes_;
  std::vector<std::unique_ptr<Stream>> streams_;  // by id
  std::unordered_map<std::string, SourceState, StringHash, std::equal_to<>> sources_;
  SourceState* source_ = nullptr;        // the batch's
  const TemplateSet* active_ = nullptr;  // the batch's
  Stream* batch_stream_ = nullptr;       // when no label depends on the record
  std::string source_key_;
  std::string key_;
  uint64_t over_limit_ = 0;
};

}  // namespace logship
