// libFuzzer target: Docker json-file line parsing, then split-line and multiline assembly.
#include <cstddef>
#include <cstdint>

#include "inputs/parse/container_line.h"
#include "tests/parse/fuzz/assembler_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static logship::FieldCollector scratch;
  logship::parse_docker({reinterpret_cast<const char*>(data), size}, scratch);
  logship::fuzz::assemble(logship::LineFormat::kDocker, data, size);
  return 0;
}
