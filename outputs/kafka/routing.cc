#include "outputs/kafka/routing.h"

namespace logship {
namespace {

constexpr std::string_view kFieldPrefix = "fields.";
constexpr std::string_view kMissing = "unknown";

bool topic_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

void append_sanitized(std::string& out, std::string_view value) {
  if (value.empty()) value = kMissing;
  for (char c : value) out += topic_char(c) ? c : '_';
}

bool find_label(const Source& source, std::string_view name, std::string_view& value) {
  for (const auto& [label, label_value] : source.labels) {
    if (label == name) {
      value = label_value;
      return true;
    }
  }
  return false;
}

bool find_field(const Batch& batch, const Record& record, std::string_view name,
                std::string_view& value) {
  for (const Field& field : batch.fields(record)) {
    if (batch.text(field.name) == name) {
      value = batch.text(field.value);
      return true;
    }
  }
  return false;
}

}  // namespace

Result<TopicTemplate> TopicTemplate::compile(std::string_view text) {
  TopicTemplate compiled;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find('{', pos);
    std::string_view literal =
        text.substr(pos, open == std::string_view::npos ? text.npos : open - pos);
    for (char c : literal) {
      if (!topic_char(c)) {
        return make_error(ErrorCode::kInvalidConfig, std::string("topic \"") + std::string(text) +
                                                         "\": character '" + c +
                                                         "' is not allowed in a Kafka topic name");
      }
    }
    if (!literal.empty()) compiled.parts_.push_back({PartKind::kLiteral, std::string(literal)});
    if (open == std::string_view::npos) break;
    size_t close = text.find('}', open);
    if (close == std::string_view::npos || close == open + 1) {
      return make_error(ErrorCode::kInvalidConfig,
                        "topic \"" + std::string(text) + "\": '{' without a name and '}'");
    }
    std::string_view name = text.substr(open + 1, close - open - 1);
    if (name.starts_with(kFieldPrefix) && name.size() > kFieldPrefix.size()) {
      compiled.parts_.push_back({PartKind::kField, std::string(name.substr(kFieldPrefix.size()))});
      compiled.uses_fields_ = true;
    } else {
      compiled.parts_.push_back({PartKind::kLabel, std::string(name)});
      compiled.uses_labels_ = true;
    }
    pos = close + 1;
  }
  if (compiled.parts_.empty()) return make_error(ErrorCode::kInvalidConfig, "topic is empty");
  return compiled;
}

void TopicTemplate::render(const Batch& batch, const Record& record, std::string& out) const {
  out.clear();
  for (const Part& part : parts_) {
    std::string_view value;
    switch (part.kind) {
      case PartKind::kLiteral:
        out += part.text;
        break;
      case PartKind::kLabel:
        find_label(batch.source(), part.text, value);
        append_sanitized(out, value);
        break;
      case PartKind::kField:
        find_field(batch, record, part.text, value);
        append_sanitized(out, value);
        break;
    }
  }
}

std::string_view record_key(const Batch& batch, const Record& record, std::string_view key_field) {
  if (key_field.empty()) return {};
  std::string_view value;
  if (find_field(batch, record, key_field, value)) return value;
  if (find_label(batch.source(), key_field, value)) return value;
  if (key_field == "file") return batch.source().path;
  return {};
}

}  // namespace logship
