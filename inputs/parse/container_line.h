#pragma once
// Container runtime log lines: CRI (`<RFC3339Nano> <stream> <P|F> <message>`, what
// containerd and CRI-O write under /var/log/pods) and Docker json-file
// (`{"log":"...\n","stream":"stdout","time":"..."}`). Both wrap one piece of an
// application line: a CRI `P` piece or a Docker `log` without its trailing newline is
// partial, to be joined with the pieces after it (RecordAssembler does that).
// Pure: read only inside `line`, whatever the bytes. Thread: any.

#include <cstdint>
#include <optional>
#include <string_view>

#include "inputs/parse/field_collector.h"
#include "inputs/parse/timestamp.h"

namespace logship {

struct ContainerLine {
  // Borrowed from the line (CRI) or from the collector's scratch (Docker, decoded);
  // valid until either changes.
  std::string_view message;
  std::string_view stream;
  int64_t time_ns = 0;
  bool partial = false;
};

std::optional<ContainerLine> parse_cri(std::string_view line);
// The same, reading the time through `times` (the lines of one file share most of it).
std::optional<ContainerLine> parse_cri(std::string_view line, Rfc3339Cache& times);
// Uses `scratch` to decode the JSON; the result borrows from it.
std::optional<ContainerLine> parse_docker(std::string_view line, FieldCollector& scratch);

}  // namespace logship
