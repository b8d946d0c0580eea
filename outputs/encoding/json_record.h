#pragma once
// JSON encoding of records, shared by every output that ships JSON (stdout --format json,
// Kafka `format = "json"`, Loki's JSON push). Strings are escaped per RFC 8259 and
// invalid UTF-8 is replaced by U+FFFD, so the output is always valid UTF-8 JSON.
// Pure functions.

#include <string>
#include <string_view>

#include "agent/batch.h"

namespace logship {

// Appends `text` as a JSON string (quotes included).
void append_json_string(std::string& out, std::string_view text);

// Appends `text` with every invalid UTF-8 sequence replaced by U+FFFD (no escaping).
void append_valid_utf8(std::string& out, std::string_view text);

// {"ts":"<RFC 3339, ns>","line":..,"fields":{..},"labels":{..},"file":..,"offset":N}
void append_json_record(std::string& out, const Batch& batch, const Record& record);

// RFC 3339 UTC with nanoseconds: 2026-11-23T11:30:00.123456789Z
void append_rfc3339_ns(std::string& out, int64_t timestamp_ns);

}  // namespace logship
