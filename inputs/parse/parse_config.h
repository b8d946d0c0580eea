#pragma once
// ParseConfig: the parsing settings of one input, as plain validated data with defaults
// beside each field (the TOML keys are documented in config.example.toml). Part of
// InputConfig; compiled into a FileParser per file by the file input.

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "inputs/parse/timestamp.h"

namespace logship {

enum class MultilineMode {
  kOff,
  kStartPattern,  // a line matching start_pattern begins a record; others continue it
  kJava,          // `at ...`, `... N more`, `Caused by:`, `Suppressed:` continue
  kPython,        // `Traceback (most recent call last):` through its exception line
  kGo,            // `panic:` / `fatal error:` through its goroutine dumps
};

struct MultilineConfig {
  MultilineMode mode = MultilineMode::kOff;
  std::string start_pattern;
  uint32_t max_lines = 500;
  uint64_t max_bytes = 256 * 1024;
  // A held record is shipped once no line continued it for this long.
  std::chrono::milliseconds flush_after{2000};
};

// `drop_if = { field = "level", matches = "^debug$" }`: a PCRE2 search on a field's value.
struct FieldMatch {
  std::string field;
  std::string matches;
};

struct ParseConfig {
  std::string regex;  // parser = "regex": named groups become fields
  TimestampSpec timestamp;
  MultilineConfig multiline;
  std::vector<FieldMatch> drop_if;  // drop a record when any matches
  std::vector<FieldMatch> keep_if;  // when set, keep only records where one matches
  std::vector<std::pair<std::string, std::string>> rename;  // from, to
  std::vector<std::string> remove;
  // Add namespace/pod/pod_uid/container labels from /var/log/pods paths.
  bool kubernetes_labels = false;
};

}  // namespace logship
