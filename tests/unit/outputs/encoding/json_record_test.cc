#include "outputs/encoding/json_record.h"

#include <doctest/doctest.h>

#include <string>

namespace {

std::string json(std::string_view text) {
  std::string out;
  logship::append_json_string(out, text);
  return out;
}

}  // namespace

TEST_CASE("JSON strings escape quotes, backslashes and control bytes") {
  CHECK(json("a\"b\\c") == R"("a\"b\\c")");
  CHECK(json("tab\there\n") == R"("tab\there\n")");
  CHECK(json(std::string("nul\0!", 5)) == R"("nul\u0000!")");
}

TEST_CASE("valid UTF-8 passes through, invalid bytes become U+FFFD") {
  CHECK(json("héllo ✓ 😀") == "\"héllo ✓ 😀\"");
  CHECK(json("bad\xff") == "\"bad\xEF\xBF\xBD\"");
  CHECK(json("\xC0\xAF") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");                  // overlong
  CHECK(json("\xED\xA0\x80") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
  CHECK(json("cut\xE2\x9C") == "\"cut\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST_CASE("timestamps print as RFC 3339 UTC with nanoseconds") {
  std::string out;
  logship::append_rfc3339_ns(out, 1'700'000'000'123'456'789);
  CHECK(out == "2023-11-14T22:13:20.123456789Z");
}

TEST_CASE("a record prints with its line, labels, file and offset") {
  logship::ByteBuffer bytes(16);
  bytes.append("hello");
  std::vector<logship::Record> records{
      {.line = {0, 5}, .file_offset = 42, .file_bytes = 6, .timestamp_ns = 0}};
  auto source = std::make_shared<const logship::Source>(
      logship::Source{"in", "/var/log/a.log", {{"job", "app"}}});
  logship::Batch batch(source, std::move(bytes), std::move(records), {}, {});
  std::string out;
  logship::append_json_record(out, batch, batch.records()[0]);
  CHECK(out == R"({"ts":"1970-01-01T00:00:00.000000000Z","line":"hello","fields":{},)"
               R"("labels":{"job":"app"},"file":"/var/log/a.log","offset":42})");
}
