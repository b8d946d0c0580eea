#include "inputs/parse/processing.h"

namespace logship {
std::optional<Processing> Processing::create(const ParseConfig& config, std::string& error) {
  Processing processing;
  auto compile = [&](const std::vector<FieldMatch>& matches, std::string_view key,
                     std::vector<Matcher>& out) {
    for (const FieldMatch& match : matches) {
      auto regex = Regex::compile(match.matches, error);
      if (!regex) {
        error = std::string(key) + " on field '" + match.field + "': " + error;
        return false;
      }
      out.push_back({match.field, std::move(*regex)});
    }
    return true;
  };
  if (!compile(config.drop_if, "drop_if", processing.drop_if_) ||
      !compile(config.keep_if, "keep_if", processing.keep_if_)) {
    return std::nullopt;
  }
  processing.rename_ = config.rename;
  processing.remove_ = config.remove;
  processing.edits_empty_ = config.rename.empty() && config.remove.empty();
  return processing;
}

bool Processing::any_match(std::vector<Matcher>& matchers, const FieldCollector& fields) {
  for (Matcher& matcher : matchers) {
    const CollectedField* field = fields.find(matcher.field);
    if (field != nullptr && matcher.regex.search(fields.text(field->value))) return true;
  }
  return false;
}

bool Processing::keep(const FieldCollector& fields) {
  if (any_match(drop_if_, fields)) return false;
  return keep_if_.empty() || any_match(keep_if_, fields);
}

void Processing::apply(FieldCollector& fields) const {
  for (const auto& [from, to] : rename_) fields.rename(from, to);
  for (const std::string& name : remove_) fields.erase(name);
}

}  // namespace logship
