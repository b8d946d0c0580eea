#pragma once
// logfmt parser: `key=value key="quoted \"value\"" flag` becomes fields. Bare values end at
// a space; quoted values are decoded (\" \\ \n \r \t); a key without '=' gets an empty
// value. A repeated key keeps its last value.
// Pure: reads only inside `line`, whatever the bytes. Thread: any.

#include <string_view>

#include "inputs/parse/field_collector.h"

namespace logship {

// Resets `out` to `line` and fills it. Returns false for an unterminated quote, a key
// that is empty or quoted, or a line with no `key=value` pair at all (plain text).
bool parse_logfmt(std::string_view line, FieldCollector& out);

}  // namespace logship
