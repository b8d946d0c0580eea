// libFuzzer target: CRI line parsing, then partial-line and multiline assembly.
#include <cstddef>
#include <cstdint>

#include "inputs/parse/container_line.h"
#include "tests/parse/fuzz/assembler_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  logship::parse_cri({reinterpret_cast<const char*>(data), size});
  logship::fuzz::assemble(logship::LineFormat::kCri, data, size);
  return 0;
}
