#include "outputs/encoding/json_scan.h"

#include <doctest/doctest.h>

#include <random>
#include <string>

using logship::json_clean_prefix;
using logship::json_clean_prefix_portable;

namespace {

// The definition, a byte at a time.
size_t reference(std::string_view text) {
  size_t i = 0;
  for (; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') break;
  }
  return i;
}

}  // namespace

TEST_CASE("every byte value at every position of a run stops the scan where it should") {
  for (size_t length = 0; length <= 40; ++length) {
    for (size_t position = 0; position < length; ++position) {
      for (int byte = 0; byte < 256; ++byte) {
        std::string text(length, 'a');
        text[position] = static_cast<char>(byte);
        const size_t expected = reference(text);
        REQUIRE(json_clean_prefix_portable(text) == expected);
        REQUIRE(json_clean_prefix(text) == expected);
      }
    }
  }
}

TEST_CASE("random texts scan alike in the build's and the portable variant") {
  std::mt19937 random(7);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> printable(0x20, 0x7e);
  for (int round = 0; round < 20000; ++round) {
    std::string text(static_cast<size_t>(round % 97), '\0');
    for (char& c : text) c = static_cast<char>(round % 5 == 0 ? byte(random) : printable(random));
    const size_t expected = reference(text);
    REQUIRE(json_clean_prefix_portable(text) == expected);
    REQUIRE(json_clean_prefix(text) == expected);
  }
}

TEST_CASE("a scan never reads past the text it is given") {
  // Inside a larger buffer whose next byte would stop the scan: the prefix ends at the
  // view's end, not at the quote after it.
  const std::string buffer = std::string(37, 'x') + '"';
  const std::string_view text(buffer.data(), 37);
  CHECK(json_clean_prefix(text) == 37);
  CHECK(json_clean_prefix_portable(text) == 37);
}
