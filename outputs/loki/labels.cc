#include "outputs/loki/labels.h"

#include "outputs/encoding/json_record.h"

#include <algorithm>
#include <cstring>

namespace logship {
namespace {

bool is_name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         (!first && c >= '0' && c <= '9');
}

}  // namespace

std::string sanitize_label_name(std::string_view name) {
  while (name.starts_with("__")) name.remove_prefix(1);
  std::string out;
  out.reserve(name.size() + 1);
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) out.push_back('_');
  for (char c : name) out.push_back(is_name_char(c, false) ? c : '_');
  return out;
}

bool is_ascii(std::string_view text) {
  const char* p = text.data();
  size_t i = 0;
  uint64_t high = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, p + i, 8);
    high |= word;
  }
  for (; i < text.size(); ++i) high |= static_cast<unsigned char>(p[i]);
  return (high & 0x8080808080808080ULL) == 0;
}

Result<LabelTemplate> LabelTemplate::compile(std::string_view name,
                                             std::string_view value_template) {
  LabelTemplate result;
  result.name_ = sanitize_label_name(name);
  std::string_view rest = value_template;
  while (!rest.empty()) {
    const size_t open = rest.find('{');
    const size_t stray_close = rest.substr(0, open).find('}');
    if (stray_close != std::string_view::npos) {
      return make_error(ErrorCode::kInvalidConfig,
                        "label \"" + std::string(name) + "\": '}' without '{'");
    }
    if (open != 0) {
      result.parts_.push_back({Part::Kind::kLiteral, std::string(rest.substr(0, open))});
      if (open == std::string_view::npos) break;
    }
    const size_t close = rest.find('}', open);
    if (close == std::string_view::npos) {
      return make_error(ErrorCode::kInvalidConfig,
                        "label \"" + std::string(name) + "\": '{' without '}'");
    }
    std::string_view key = rest.substr(open + 1, close - open - 1);
    if (key.starts_with("fields.") && key.size() > 7) {
      result.parts_.push_back({Part::Kind::kField, std::string(key.substr(7))});
      result.scope_ = LabelScope::kRecord;
    } else if (key == "file.path") {
      result.parts_.push_back({Part::Kind::kFilePath, {}});
      result.scope_ = std::max(result.scope_, LabelScope::kFile);
    } else if (!key.empty() && key.find_first_of("{.") == std::string_view::npos) {
      result.parts_.push_back({Part::Kind::kSourceLabel, std::string(key)});
    } else {
      return make_error(ErrorCode::kInvalidConfig,
                        "label \"" + std::string(name) + "\": placeholder {" + std::string(key) +
                            "} is none of {fields.NAME}, {file.path} and {INPUT_LABEL}");
    }
    rest.remove_prefix(close + 1);
  }
  return result;
}

LabelTemplate LabelTemplate::literal(std::string_view name, std::string_view value) {
  LabelTemplate result;
  result.name_ = sanitize_label_name(name);
  if (!value.empty()) result.parts_.push_back({Part::Kind::kLiteral, std::string(value)});
  return result;
}

std::vector<LabelTemplate> source_label_templates(
    const std::vector<std::pair<std::string, std::string>>& source_labels) {
  std::vector<LabelTemplate> templates;
  for (const auto& [name, value] : source_labels) {
    auto compiled = LabelTemplate::compile(name, value);
    templates.push_back(compiled ? std::move(*compiled) : LabelTemplate::literal(name, value));
  }
  std::ranges::stable_sort(templates, {}, &LabelTemplate::name);
  auto duplicates = std::ranges::unique(templates, {}, &LabelTemplate::name);
  templates.erase(duplicates.begin(), duplicates.end());
  return templates;
}

void LabelTemplate::render(const Batch& batch, const Record& record, std::string& out) const {
  for (const Part& part : parts_) {
    switch (part.kind) {
      case Part::Kind::kLiteral:
        out += part.text;
        break;
      case Part::Kind::kField:
        for (const Field& field : batch.fields(record)) {
          if (batch.text(field.name) == part.text) {
            out += batch.text(field.value);
            break;
          }
        }
        break;
      case Part::Kind::kFilePath:
        out += batch.source().path;
        break;
      case Part::Kind::kSourceLabel:
        for (const auto& [label, value] : batch.source().labels) {
          if (label == part.text) {
            out += value;
            break;
          }
        }
        break;
    }
  }
}

Result<std::vector<LabelTemplate>> compile_label_templates(
    const std::vector<std::pair<std::string, std::string>>& config_labels) {
  std::vector<LabelTemplate> templates;
  for (const auto& [name, value] : config_labels) {
    auto compiled = LabelTemplate::compile(name, value);
    if (!compiled) return std::unexpected(compiled.error());
    templates.push_back(std::move(*compiled));
  }
  std::ranges::sort(templates, {}, &LabelTemplate::name);
  for (size_t i = 1; i < templates.size(); ++i) {
    if (templates[i].name() == templates[i - 1].name()) {
      return make_error(ErrorCode::kInvalidConfig,
                        "two labels are named \"" + templates[i].name() + "\" once sanitised");
    }
  }
  return templates;
}

namespace {

// Cuts a valid UTF-8 string to at most `limit` bytes without splitting a character.
void cut_utf8(std::string& value, size_t limit) {
  if (value.size() <= limit) return;
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  value.resize(cut);
}

void add_label(LabelPairs& out, std::string name, std::string_view raw_value) {
  if (raw_value.empty()) return;
  std::string value;
  append_valid_utf8(value, raw_value.substr(0, kMaxLabelValueBytes + 4));
  cut_utf8(value, kMaxLabelValueBytes);
  out.emplace_back(std::move(name), std::move(value));
}

}  // namespace

LabelPairs render_labels(std::span<const LabelTemplate> templates, const Batch& batch,
                         const Record& record) {
  LabelPairs labels;
  std::string value;
  for (const LabelTemplate& label : templates) {
    value.clear();
    label.render(batch, record, value);
    add_label(labels, label.name(), value);
  }
  if (templates.empty()) {
    for (const auto& [name, raw] : batch.source().labels) {
      add_label(labels, sanitize_label_name(name), raw);
    }
    std::ranges::sort(labels);
    labels.erase(std::unique(labels.begin(), labels.end(),
                             [](const auto& a, const auto& b) { return a.first == b.first; }),
                 labels.end());
  }
  if (labels.empty()) labels.emplace_back("job", "logship");
  return labels;
}

std::string format_label_set(const LabelPairs& labels) {
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) out += ", ";
    out += name;
    out += '=';
    // Loki reads label values as Go string literals, which accept JSON's escapes; the JSON
    // encoder also keeps the value valid UTF-8, as Loki requires.
    append_json_string(out, value);
  }
  out += '}';
  return out;
}

}  // namespace logship
