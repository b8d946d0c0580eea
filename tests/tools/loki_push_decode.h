#pragma once
// Decoding and validation of Loki push bodies, as Loki's distributor does them: the
// snappy-compressed PushRequest protobuf and the JSON push body, label-set syntax, UTF-8.
// Used by loki_receiver and by the encoder's unit tests (so the encoder is checked
// against an independent decoder). Pure. Test code, not part of the agent.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loki_test {

struct PushEntry {
  int64_t timestamp_ns = 0;
  std::string_view line;  // into the decoded buffer the caller keeps alive
};

struct PushStream {
  std::string labels;  // as sent (protobuf) or rebuilt canonically (JSON)
  std::vector<PushEntry> entries;
};

// `body` is snappy(protobuf); the uncompressed bytes go to `scratch`, which the entries
// point into. Returns an error message, empty on success.
std::string decode_push_protobuf(std::string_view body, std::string& scratch,
                                 std::vector<PushStream>& out);
// `body` is modified in place (escapes resolved); entries point into it.
std::string decode_push_json(std::string& body, std::vector<PushStream>& out);

using Labels = std::vector<std::pair<std::string, std::string>>;
// Parses `{a="x", b="y"}` like Loki: names [a-zA-Z_][a-zA-Z0-9_]*, Go-quoted values,
// at least one label, no duplicate name. Returns an error message, empty on success.
std::string parse_label_set(std::string_view text, Labels& out);
// The canonical text of a label set (sorted), as logship formats it.
std::string format_labels(Labels labels);

bool valid_utf8(std::string_view text);

}  // namespace loki_test
