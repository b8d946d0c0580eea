#include "inputs/parse/json_parser.h"

#include <doctest/doctest.h>

#include <string>

#include "tests/parse/test_support.h"

namespace logship {
namespace {

using testing::field_map;

TEST_CASE("JSON top-level fields are decoded, nested values kept as JSON text") {
  FieldCollector f;
  REQUIRE(parse_json(R"( {"level":"info", "n": -12.5e3, "ok": true, "none": null,)"
                     R"( "obj": {"a": [1, {"b": "}"}]}, "arr": [] } )",
                     f));
  auto m = field_map(f);
  CHECK(m["level"] == "info");
  CHECK(m["n"] == "-12.5e3");
  CHECK(m["ok"] == "true");
  CHECK(m["none"] == "null");
  CHECK(m["obj"] == R"({"a": [1, {"b": "}"}]})");
  CHECK(m["arr"] == "[]");
  CHECK(f.fields().size() == 6);
}

TEST_CASE("JSON escapes and unicode escapes decode to UTF-8") {
  FieldCollector f;
  REQUIRE(
      parse_json(R"({"msg":"a\"b\\c\/d\n\t","u":"\u00e9\u20ac\ud83d\ude00","lone":"\ud800x"})", f));
  auto m = field_map(f);
  CHECK(m["msg"] == "a\"b\\c/d\n\t");
  CHECK(m["u"] == "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  CHECK(m["lone"] == "\xEF\xBF\xBDx");
}

TEST_CASE("JSON huge numbers are kept exactly as text") {
  FieldCollector f;
  REQUIRE(parse_json(R"({"big": 123456789012345678901234567890, "exp": 1e999})", f));
  CHECK(field_map(f)["big"] == "123456789012345678901234567890");
  CHECK(field_map(f)["exp"] == "1e999");
}

TEST_CASE("JSON duplicate keys keep the last value") {
  FieldCollector f;
  REQUIRE(parse_json(R"({"a":"1","b":2,"a":"3"})", f));
  CHECK(f.fields().size() == 2);
  CHECK(field_map(f)["a"] == "3");
}

TEST_CASE("JSON keeps one field per distinct key among many, however each key is spelled") {
  // More keys than add() has filter bits, and keys spelled with escapes (decoded into the
  // scratch text) must still find their plain twins.
  std::string line = "{";
  for (int i = 0; i < 100; ++i) line += "\"k" + std::to_string(i) + "\":1,";
  for (int i = 0; i < 100; i += 7) line += "\"\\u006b" + std::to_string(i) + "\":2,";
  line += "\"last\":3}";
  FieldCollector f;
  REQUIRE(parse_json(line, f));
  CHECK(f.fields().size() == 101);
  auto m = field_map(f);
  for (int i = 0; i < 100; ++i) {
    CAPTURE(i);
    CHECK(m["k" + std::to_string(i)] == (i % 7 == 0 ? "2" : "1"));
  }
}

TEST_CASE("JSON keys spelled with escapes keep their names when a long escaped value follows") {
  // The escaped key is decoded into the scratch text, which the value's decoding then grows
  // (and moves): the key must be read from where it is now.
  std::string long_value;
  for (int i = 0; i < 500; ++i) long_value += "\\n";
  const std::string line =
      R"({"\u0061":"1","\u0061":")" + long_value + R"(","\u0062":")" + long_value + R"("})";
  FieldCollector f;
  REQUIRE(parse_json(line, f));
  CHECK(f.fields().size() == 2);
  auto m = field_map(f);
  CHECK(m["a"] == std::string(500, '\n'));
  CHECK(m["b"] == std::string(500, '\n'));
}

TEST_CASE("JSON strings end at their quote or first escape wherever it falls in a word") {
  FieldCollector f;
  for (size_t n = 0; n < 20; ++n) {
    CAPTURE(n);
    const std::string run(n, 'x');
    const std::string utf8_run = std::string(n / 2, 'x') + "\xC3\xA9";
    // The collector refers into the line: keep it alive while the fields are read.
    const std::string line =
        "{\"a\":\"" + run + "\",\"b\":\"" + run + "\\\"y\",\"c\":\"" + utf8_run + "\"}";
    REQUIRE(parse_json(line, f));
    auto m = field_map(f);
    CHECK(m["a"] == run);
    CHECK(m["b"] == run + "\"y");
    CHECK(m["c"] == utf8_run);
    const std::string unterminated = "{\"a\":\"" + run;
    CHECK_FALSE(parse_json(unterminated, f));
  }
}

TEST_CASE("JSON numbers end at their first non-digit wherever they fall in the line") {
  // Digits are scanned 16 bytes at a time and, near the end of a line, as its last 16
  // bytes: put the number at every distance from the end and from the line's start.
  FieldCollector f;
  for (size_t pad = 0; pad < 40; ++pad) {
    for (const std::string number : {"7", "1234567890123456789", "-0.25", "31e-2", "12345.5E+3"}) {
      CAPTURE(pad);
      CAPTURE(number);
      const std::string line = "{\"p\":\"" + std::string(pad, 'x') + "\",\"n\":" + number + "}";
      REQUIRE(parse_json(line, f));
      CHECK(field_map(f)["n"] == number);
      CHECK(field_map(f)["p"] == std::string(pad, 'x'));
      CHECK_FALSE(parse_json("{\"p\":\"" + std::string(pad, 'x') + "\",\"n\":" + number, f));
    }
  }
}

TEST_CASE("JSON that is truncated or not an object fails without reading past it") {
  FieldCollector f;
  for (const char* bad :
       {"", "{", "{\"a\"", "{\"a\":", "{\"a\":\"x", "{\"a\":1,", "{\"a\":{\"b\":[1,2}", "[1,2]",
        "\"str\"", "{\"a\":1} trailing", "{\"a\":tru}", "{\"a\":01}", "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12\"}", "{a:1}", "{\"a\":-}", "{\"a\":1.}", "{\"a\":[}]}"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_json(bad, f));
  }
  CHECK(parse_json("{}", f));
  CHECK(f.fields().empty());
}

TEST_CASE("JSON nesting deeper than the limit fails instead of recursing") {
  std::string deep =
      "{\"a\":" + std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']') + "}";
  FieldCollector f;
  CHECK_FALSE(parse_json(deep, f));
  std::string ok = "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}";
  CHECK(parse_json(ok, f));
}

TEST_CASE("JSON strings without escapes are not copied") {
  FieldCollector f;
  REQUIRE(parse_json(R"({"k":"v"})", f));
  CHECK_FALSE(f.fields()[0].value.in_scratch());
  CHECK(f.scratch_text().empty());
}

}  // namespace
}  // namespace logship
