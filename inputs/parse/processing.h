#pragma once
// Processing: the small per-input record transforms — drop_if / keep_if on a field's
// value (a PCRE2 search), rename and remove fields. Applied to a parsed record's fields
// before they are written to the batch. No scripting: each step is one cheap operation.
// Thread: one copy per file (holds Regex copies), on the input thread. Pure.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "inputs/parse/field_collector.h"
#include "inputs/parse/parse_config.h"
#include "inputs/parse/regex.h"

namespace logship {

class Processing {
 public:
  // nullopt with `error` naming the key and pattern when a pattern does not compile.
  static std::optional<Processing> create(const ParseConfig& config, std::string& error);

  bool empty() const { return drop_if_.empty() && keep_if_.empty() && edits_empty_; }
  // False when the record is to be dropped: a drop_if matched, or keep_if is set and
  // none matched. A missing field matches nothing.
  bool keep(const FieldCollector& fields);
  // Renames, then removes.
  void apply(FieldCollector& fields) const;

 private:
  struct Matcher {
    std::string field;
    Regex regex;
  };
  static bool any_match(std::vector<Matcher>& matchers, const FieldCollector& fields);

  std::vector<Matcher> drop_if_;
  std::vector<Matcher> keep_if_;
  std::vector<std::pair<std::string, std::string>> rename_;
  std::vector<std::string> remove_;
  bool edits_empty_ = true;
};

}  // namespace logship
