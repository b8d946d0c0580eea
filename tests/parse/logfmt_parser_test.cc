#include "inputs/parse/logfmt_parser.h"

#include <doctest/doctest.h>

#include "tests/parse/test_support.h"

namespace logship {
namespace {

using testing::field_map;

TEST_CASE("logfmt pairs, quoted values and bare keys") {
  FieldCollector f;
  REQUIRE(parse_logfmt(R"(level=info msg="hello \"world\"\n" dur=1.5ms  flag empty=)", f));
  auto m = field_map(f);
  CHECK(m["level"] == "info");
  CHECK(m["msg"] == "hello \"world\"\n");
  CHECK(m["dur"] == "1.5ms");
  CHECK(m["flag"] == "");
  CHECK(m["empty"] == "");
  CHECK(m.size() == 5);
}

TEST_CASE("logfmt repeated keys keep the last value") {
  FieldCollector f;
  REQUIRE(parse_logfmt("a=1 a=2", f));
  CHECK(f.fields().size() == 1);
  CHECK(field_map(f)["a"] == "2");
}

TEST_CASE("logfmt rejects plain text and malformed quotes") {
  FieldCollector f;
  CHECK_FALSE(parse_logfmt("just some words", f));
  CHECK_FALSE(parse_logfmt("", f));
  CHECK_FALSE(parse_logfmt("a=\"unterminated", f));
  CHECK_FALSE(parse_logfmt("a=\"x\\", f));
  CHECK_FALSE(parse_logfmt("=value", f));
  CHECK_FALSE(parse_logfmt("a=1 \"quoted key\"=2", f));
}

}  // namespace
}  // namespace logship
