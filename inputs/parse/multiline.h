#pragma once
// MultilineRule: decides whether a line continues the record being assembled or begins a
// new one, by a user start_pattern or by a ready-made rule for Java stack traces, Python
// tracebacks and Go panics. Limits (max_lines, max_bytes) and the flush timeout are the
// RecordAssembler's; this only classifies.
// Thread: one copy per file, on the input thread (holds a Regex copy and a little state
// about the record in progress). Pure: no I/O.

#include <optional>
#include <string>
#include <string_view>

#include "inputs/parse/parse_config.h"
#include "inputs/parse/regex.h"

namespace logship {

class MultilineRule {
 public:
  // nullopt with `error` set when start_pattern does not compile.
  static std::optional<MultilineRule> create(const MultilineConfig& config, std::string& error);

  // Called for every line in order; true when `line` belongs to the record in progress
  // (the caller ignores the answer when no record is in progress).
  bool continues(std::string_view line);
  // The record in progress was emitted (limit or timeout): the next line starts afresh.
  void reset() { state_ = State::kNone; }

 private:
  enum class State { kNone, kPythonTraceback, kPythonFrame, kGoPanic };
  explicit MultilineRule(MultilineMode mode) : mode_(mode) {}

  bool java_continues(std::string_view line) const;
  bool python_continues(std::string_view line);
  bool go_continues(std::string_view line);

  MultilineMode mode_;
  std::optional<Regex> start_;
  State state_ = State::kNone;
};

}  // namespace logship
