#pragma once
// JSON line parser: one JSON object per line becomes its top-level fields. String values
// are decoded (escapes; \u escapes to UTF-8, surrogate pairs joined, lone surrogates as
// U+FFFD); numbers (any size, kept exact as text), true/false/null and nested objects or
// arrays are kept as their JSON text. A repeated key keeps its last value.
// Pure, hand-written scanner: reads only inside `line`, whatever the bytes; nesting deeper
// than kMaxJsonDepth is rejected rather than recursed into.
// Thread: any (state lives in the caller's FieldCollector).

#include <string_view>

#include "inputs/parse/field_collector.h"

namespace logship {

inline constexpr int kMaxJsonDepth = 256;

// Resets `out` to `line` and fills it. Returns false when `line` is not exactly one JSON
// object (surrounding whitespace allowed); `out` then holds what came before the error.
bool parse_json(std::string_view line, FieldCollector& out);

}  // namespace logship
