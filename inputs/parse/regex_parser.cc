#include "inputs/parse/regex_parser.h"

namespace logship {

bool parse_regex(std::string_view line, Regex& regex, FieldCollector& out) {
  out.reset(line);
  if (!regex.search(line)) return false;
  for (const Regex::NamedGroup& group : regex.named_groups()) {
    const auto range = regex.group(group.number);
    if (!range) continue;
    out.add(out.copy(group.name), out.in_line(range->first, range->second));
  }
  return true;
}

}  // namespace logship
