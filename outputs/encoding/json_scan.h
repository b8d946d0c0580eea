#pragma once
// JSON string scanning: how many bytes at the start of a text can be copied into a JSON
// string as they are (printable ASCII other than '"' and '\\'; 0x7f is escaped too). The
// encoder copies such runs with one append and looks at the byte after each run alone, so
// ordinary log text costs a wide compare per 16 bytes rather than a branch per byte.
// json_clean_prefix() is the build's choice (CMake picks the implementation file per
// architecture: SSE2, baseline on x86-64, or the portable one); both variants are built
// and tested wherever they can run. Pure functions.

#include <cstddef>
#include <string_view>

namespace logship {

size_t json_clean_prefix(std::string_view text);

// Eight bytes at a time in a 64-bit word; any architecture.
size_t json_clean_prefix_portable(std::string_view text);
// Sixteen bytes at a time with SSE2; x86-64 only (not built elsewhere).
size_t json_clean_prefix_sse2(std::string_view text);

}  // namespace logship
