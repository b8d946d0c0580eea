// libFuzzer target: the regex parser (PCRE2, JIT) with typical patterns on arbitrary bytes,
// and the drop/keep processing that matches field values.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "inputs/parse/regex_parser.h"
#include "tests/parse/fuzz/fuzz_check.h"

namespace {

std::vector<logship::Regex> compile_patterns() {
  std::vector<logship::Regex> out;
  for (const char* pattern :
       {R"(^(?<ip>\S+) \S+ (?<user>\S+) \[(?<time>[^\]]+)\] "(?<method>\w+) (?<path>\S*))",
        R"((?<level>DEBUG|INFO|WARN|ERROR)\s+(?<msg>.*)$)", R"((?<w>\w+)(?:=(?<v>\p{L}+))?)"}) {
    std::string error;
    auto regex = logship::Regex::compile(pattern, error);
    if (!regex) std::abort();
    out.push_back(std::move(*regex));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::vector<logship::Regex> patterns = compile_patterns();
  static logship::FieldCollector fields;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  for (logship::Regex& regex : patterns) {
    logship::parse_regex(line, regex, fields);
    logship::fuzz::check_fields(fields);
  }
  return 0;
}
