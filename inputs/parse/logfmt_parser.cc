#include "inputs/parse/logfmt_parser.h"

namespace logship {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

// Decodes a quoted value; `pos` is just after the opening quote and ends after the
// closing one. The value is a ref into the line when it has no escapes.
bool quoted_value(std::string_view line, size_t& pos, FieldCollector& out, TextRef& value) {
  const size_t start = pos;
  while (pos < line.size() && line[pos] != '"' && line[pos] != '\\') ++pos;
  if (pos >= line.size()) return false;
  if (line[pos] == '"') {
    value = out.in_line(start, pos - start);
    ++pos;
    return true;
  }
  const size_t scratch_start = out.scratch_begin();
  std::string& scratch = out.scratch();
  scratch.append(line.substr(start, pos - start));
  while (pos < line.size()) {
    const char c = line[pos++];
    if (c == '"') {
      value = out.scratch_end(scratch_start);
      return true;
    }
    if (c != '\\') {
      scratch.push_back(c);
      continue;
    }
    if (pos >= line.size()) return false;
    const char e = line[pos++];
    switch (e) {
      case 'n':
        scratch.push_back('\n');
        break;
      case 'r':
        scratch.push_back('\r');
        break;
      case 't':
        scratch.push_back('\t');
        break;
      default:
        scratch.push_back(e);
        break;  // \" \\ and anything else: the char itself
    }
  }
  return false;
}

}  // namespace

bool parse_logfmt(std::string_view line, FieldCollector& out) {
  out.reset(line);
  bool saw_pair = false;
  size_t pos = 0;
  while (true) {
    while (pos < line.size() && is_space(line[pos])) ++pos;
    if (pos >= line.size()) break;
    const size_t key_start = pos;
    while (pos < line.size() && !is_space(line[pos]) && line[pos] != '=' && line[pos] != '"') {
      ++pos;
    }
    if (pos == key_start) return false;  // "=x" or a quote where a key should be
    const TextRef key = out.in_line(key_start, pos - key_start);
    TextRef value = out.in_line(pos, 0);
    if (pos < line.size() && line[pos] == '=') {
      saw_pair = true;
      ++pos;
      if (pos < line.size() && line[pos] == '"') {
        ++pos;
        if (!quoted_value(line, pos, out, value)) return false;
      } else {
        const size_t value_start = pos;
        while (pos < line.size() && !is_space(line[pos])) ++pos;
        value = out.in_line(value_start, pos - value_start);
      }
    } else if (pos < line.size() && line[pos] == '"') {
      return false;
    }
    out.add(key, value);
  }
  return saw_pair;
}

}  // namespace logship
