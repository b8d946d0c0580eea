#pragma once
// Regex parser: the named groups of the first match become fields (`(?<level>\w+)`);
// groups that did not participate are left out. A line that does not match fails.
// Pure: reads only inside `line`. Thread: the caller's (the Regex copy is its own).

#include <string_view>

#include "inputs/parse/field_collector.h"
#include "inputs/parse/regex.h"

namespace logship {

// Resets `out` to `line` and fills it; false when `regex` does not match.
bool parse_regex(std::string_view line, Regex& regex, FieldCollector& out);

}  // namespace logship
