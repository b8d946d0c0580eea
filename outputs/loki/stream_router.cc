#include "outputs/loki/stream_router.h"

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
    if (label.per_source()) {
      set.source_only.push_back(label);
    } else {
      set.per_source = false;
    }
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
  active_ = &configured_;
  if (use_source_labels_) {
    auto it = source_sets_.find(source_key_);
    if (it == source_sets_.end()) {
      it =
          source_sets_.emplace(source_key_, make_set(source_label_templates(batch.source().labels)))
              .first;
    }
    active_ = &it->second;
  }
  batch_stream_ = nullptr;
  batch_routes_ = nullptr;
  if (active_->per_source) {
    // No template reads a field, so every record of the batch shares one label set.
    if (!batch.records().empty()) {
      batch_stream_ = &find_or_add(source_key_, batch, batch.records().front(), false);
    }
    return;
  }
  batch_routes_ = &field_routes_.try_emplace(source_key_).first->second;
}

Stream& StreamRouter::route(const Batch& batch, const Record& record) {
  if (batch_stream_ != nullptr) return *batch_stream_;
  key_.clear();
  for (const LabelTemplate& label : active_->all) {
    if (label.per_source()) continue;
    label.render(batch, record, key_);
    key_ += '\0';
  }
  if (auto it = batch_routes_->find(key_); it != batch_routes_->end()) return *it->second;
  if (streams_.size() >= max_streams_) {
    // Not remembered: every such record is counted, and goes to its source's stream.
    ++over_limit_;
    return find_or_add(source_key_, batch, record, true);
  }
  Stream& added = find_or_add(source_key_ + '\x01' + key_, batch, record, false);
  batch_routes_->emplace(key_, &added);
  return added;
}

Stream& StreamRouter::find_or_add(const std::string& key, const Batch& batch, const Record& record,
                                  bool drop_field_labels) {
  if (auto it = streams_.find(key); it != streams_.end()) return *it->second;
  auto stream = std::make_unique<Stream>();
  stream->id = static_cast<uint32_t>(streams_.size());
  stream->lane = stream->id % lanes_;
  const auto& templates = drop_field_labels ? active_->source_only : active_->all;
  stream->labels = wire_labels(render_labels(templates, batch, record));
  Stream& added = *stream;
  streams_.emplace(key, std::move(stream));
  return added;
}

}  // namespace logship
