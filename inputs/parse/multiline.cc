#include "inputs/parse/multiline.h"

namespace logship {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  return s;
}

// `main.main()`, `main.(*T).run(0xc000010000, {0x1, 0x2})`, `panic({0x45e2a0, 0xc0000})`:
// a Go frame's function line has no space before its first '(' and ends with ')'.
bool looks_like_go_function(std::string_view line) {
  const size_t paren = line.find('(');
  if (paren == 0 || paren == std::string_view::npos || line.back() != ')') return false;
  return line.substr(0, paren).find(' ') == std::string_view::npos;
}

}  // namespace

std::optional<MultilineRule> MultilineRule::create(const MultilineConfig& config,
                                                   std::string& error) {
  MultilineRule rule(config.mode);
  if (config.mode == MultilineMode::kStartPattern) {
    rule.start_ = Regex::compile(config.start_pattern, error);
    if (!rule.start_) return std::nullopt;
  }
  return rule;
}

bool MultilineRule::continues(std::string_view line) {
  switch (mode_) {
    case MultilineMode::kOff:
      return false;
    case MultilineMode::kStartPattern:
      return !start_->search(line);
    case MultilineMode::kJava:
      return java_continues(line);
    case MultilineMode::kPython:
      return python_continues(line);
    case MultilineMode::kGo:
      return go_continues(line);
  }
  return false;
}

bool MultilineRule::java_continues(std::string_view line) const {
  const std::string_view rest = trim_left(line);
  const bool indented = rest.size() < line.size();
  if (indented && (rest.starts_with("at ") || rest.starts_with("... "))) return true;
  return rest.starts_with("Caused by: ") || rest.starts_with("Suppressed: ");
}

// Traceback (most recent call last):     <- starts
//   File "x.py", line 3, in <module>     <- indented: continues
//     foo()
// ValueError: bad                         <- first unindented line after frames: continues, ends
bool MultilineRule::python_continues(std::string_view line) {
  const bool starts = line.starts_with("Traceback (most recent call last):");
  if (starts) {
    state_ = State::kPythonTraceback;
    return false;
  }
  const bool indented = !line.empty() && is_blank(line.front());
  switch (state_) {
    case State::kPythonTraceback:
    case State::kPythonFrame:
      if (indented) {
        state_ = State::kPythonFrame;
        return true;
      }
      if (state_ == State::kPythonFrame && !line.empty()) {
        state_ = State::kNone;  // the exception line closes the traceback
        return true;
      }
      state_ = State::kNone;
      return false;
    default:
      return false;
  }
}

// panic: boom                             <- starts (also `fatal error:`)
//                                         <- blank lines, `goroutine 1 [running]:`,
// main.main()                                function lines, tab-indented file lines,
//         /src/main.go:8 +0x1d            `created by ...`, `[signal ...` continue
bool MultilineRule::go_continues(std::string_view line) {
  if (line.starts_with("panic: ") || line.starts_with("fatal error: ")) {
    const bool nested = state_ == State::kGoPanic && line.starts_with("panic: ");
    state_ = State::kGoPanic;
    return nested;  // `panic: x [recovered]` followed by a re-panic stays together
  }
  if (state_ != State::kGoPanic) return false;
  if (line.empty() || is_blank(line.front()) || line.starts_with("goroutine ") ||
      line.starts_with("created by ") || line.starts_with("[signal ") ||
      looks_like_go_function(line)) {
    return true;
  }
  state_ = State::kNone;
  return false;
}

}  // namespace logship
