#pragma once
// Loki stream labels: name sanitising, value templates and the canonical label-set text
// (`{a="x", b="y"}`, names sorted, values escaped) that Loki parses from a push. Pure.
// Thread: any; values are immutable once compiled.

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/batch.h"
#include "agent/result.h"

namespace logship {

// Loki label names match [a-zA-Z_][a-zA-Z0-9_]*: other bytes become '_', a leading digit
// gets a '_' prefix, and the reserved "__" prefix is reduced to one '_'.
std::string sanitize_label_name(std::string_view name);

// Loki refuses label values longer than this (its default max_label_value_length).
inline constexpr size_t kMaxLabelValueBytes = 2048;

// What a label's value depends on, from the least specific to the most: the input alone,
// the file a record was read from, or the record itself.
enum class LabelScope { kInput, kFile, kRecord };

// One label whose value is literal text and placeholders: "{fields.NAME}" reads a parsed
// field of the record, "{file.path}" the path of the file it was read from (Promtail's
// `filename`), "{NAME}" a label of the input.
class LabelTemplate {
 public:
  static Result<LabelTemplate> compile(std::string_view name, std::string_view value_template);
  // A label whose value is `value` as written, braces and all.
  static LabelTemplate literal(std::string_view name, std::string_view value);

  const std::string& name() const { return name_; }
  // The most specific placeholder's scope (kInput for literal text).
  LabelScope scope() const { return scope_; }
  // Appends the value for one record (missing fields and labels render as "").
  void render(const Batch& batch, const Record& record, std::string& out) const;

 private:
  struct Part {
    enum class Kind { kLiteral, kField, kFilePath, kSourceLabel } kind;
    std::string text;  // literal text, or the field / label name
  };
  std::string name_;
  std::vector<Part> parts_;
  LabelScope scope_ = LabelScope::kInput;
};

using LabelPairs = std::vector<std::pair<std::string, std::string>>;

// Templates for a config's `labels` (sorted by sanitised name; a duplicate after
// sanitising is an error). Empty config: the input's labels are used at run time.
Result<std::vector<LabelTemplate>> compile_label_templates(
    const std::vector<std::pair<std::string, std::string>>& config_labels);

// Templates from an input's labels, for an output without `labels`: values may use
// {fields.NAME} (`logship tail --label level={fields.level}`); a value that is not a valid
// template is taken literally; a later duplicate name after sanitising is ignored.
std::vector<LabelTemplate> source_label_templates(
    const std::vector<std::pair<std::string, std::string>>& source_labels);

// Renders the label set of one record: sorted, empty values left out (Loki ignores them),
// values made valid UTF-8 and cut to kMaxLabelValueBytes. With no templates the source's
// labels are used; if the set is still empty it is {job="logship"} (Loki needs one).
LabelPairs render_labels(std::span<const LabelTemplate> templates, const Batch& batch,
                         const Record& record);

// `{a="x", b="y"}` with '\\', '"', and control characters escaped as Go's parser reads them.
std::string format_label_set(const LabelPairs& labels);

// True when every byte is ASCII (the common case; such text needs no UTF-8 repair).
bool is_ascii(std::string_view text);

}  // namespace logship
