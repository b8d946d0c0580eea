#include "outputs/loki/stream_router.h"

#include <algorithm>

#include "outputs/encoding/json_record.h"

namespace logship {
namespace {

StreamLabels wire_labels(const LabelPairs& pairs) {
  StreamLabels labels;
  labels.text = format_label_set(pairs);
  labels.json = "{";
  for (const auto& [name, value] : pairs) {
    if (labels.json.size() > 1) labels.json += ',';
    append_json_string(labels.json, name);
    labels.json += ':';
    append_json_string(labels.json, value);
  }
  labels.json += '}';
  return labels;
}

}  // namespace

StreamRouter::TemplateSet StreamRouter::make_set(std::vector<LabelTemplate> templates) {
  TemplateSet set;
  set.all = std::move(templates);
  for (const LabelTemplate& label : set.all) {
    if (label.scope() == LabelScope::kInput) set.source_only.push_back(label);
    set.scope = std::max(set.scope, label.scope());
  }
  return set;
}

StreamRouter::StreamRouter(std::vector<LabelTemplate> templates, uint64_t max_streams,
                           uint32_t lanes)
    : configured_(make_set(std::move(templates))),
      use_source_labels_(configured_.all.empty()),
      max_streams_(max_streams),
      lanes_(lanes) {}

void StreamRouter::start_batch(const Batch& batch) {
  // The key of the source-only part: input name and labels pin it down.
  source_key_.clear();
  source_key_ += batch.source().input_name;
  source_key_ += '\0';
  for (const auto& [name, value] : batch.source().labels) {
    source_key_ += name;
    source_key_ += '\0';
    source_key_ += value;
    source_key_ += '\0';
  }
  auto [it, added] = sources_.try_emplace(source_key_);
  source_ = &it->second;
  if (added && use_source_labels_) {
    source_->own = make_set(source_label_templates(batch.source().labels));
  }
  active_ = use_source_labels_ ? &source_->own : &configured_;
  batch_stream_ = nullptr;
  const auto records = batch.records();
  if (records.empty()) return;
  // No template reads a field, so every record of the batch (of one file) shares one
  // label set.
  if (active_->scope == LabelScope::kInput) {
    batch_stream_ = &source_stream(batch, records.front());
  } else if (active_->scope == LabelScope::kFile) {
    batch_stream_ = &keyed_stream(batch, records.front(), records.size());
  }
}

Stream& StreamRouter::route(const Batch& batch, const Record& record) {
  if (batch_stream_ != nullptr) return *batch_stream_;
  return keyed_stream(batch, record, 1);
}

Stream& StreamRouter::keyed_stream(const Batch& batch, const Record& record, uint64_t records) {
  key_.clear();
  for (const LabelTemplate& label : active_->all) {
    if (label.scope() == LabelScope::kInput) continue;
    label.render(batch, record, key_);
    key_ += '\0';
  }
  auto& keyed_streams = source_->keyed_streams;
  if (auto it = keyed_streams.find(key_); it != keyed_streams.end()) return *it->second;
  if (streams_.size() >= max_streams_) {
    // Not remembered: every such record is counted, and goes to its source's stream.
    over_limit_ += records;
    return source_stream(batch, record);
  }
  Stream& added = add_stream(render_labels(active_->all, batch, record));
  keyed_streams.emplace(key_, &added);
  return added;
}

Stream& StreamRouter::source_stream(const Batch& batch, const Record& record) {
  if (source_->source_stream == nullptr) {
    // Input labels that are all templates leave nothing: render_labels() would fall back
    // to those labels' raw text ("{fields.level}"), so the set is Loki's minimal one.
    const bool nothing_left = use_source_labels_ && active_->source_only.empty();
    source_->source_stream =
        &add_stream(nothing_left ? LabelPairs{{"job", "logship"}}
                                 : render_labels(active_->source_only, batch, record));
  }
  return *source_->source_stream;
}

Stream& StreamRouter::add_stream(const LabelPairs& labels) {
  auto stream = std::make_unique<Stream>();
  stream->id = static_cast<uint32_t>(streams_.size());
  stream->lane = stream->id % lanes_;
  stream->labels = wire_labels(labels);
  streams_.push_back(std::move(stream));
  return *streams_.back();
}

}  // namespace logship
