// libFuzzer target: the logfmt parser on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "inputs/parse/logfmt_parser.h"
#include "tests/parse/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static logship::FieldCollector fields;
  logship::parse_logfmt({reinterpret_cast<const char*>(data), size}, fields);
  logship::fuzz::check_fields(fields);
  return 0;
}
