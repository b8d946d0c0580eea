#include "inputs/parse/regex_parser.h"

#include <doctest/doctest.h>

#include "tests/parse/test_support.h"

namespace logship {
namespace {

using testing::field_map;

TEST_CASE("regex named groups become fields; unset groups are left out") {
  std::string error;
  auto regex = Regex::compile(R"(^(?<ip>\S+) (?<method>GET|POST)(?: (?<path>/\S*))?)", error);
  REQUIRE(regex);
  FieldCollector f;
  REQUIRE(parse_regex("10.0.0.1 GET /index.html", *regex, f));
  auto m = field_map(f);
  CHECK(m["ip"] == "10.0.0.1");
  CHECK(m["method"] == "GET");
  CHECK(m["path"] == "/index.html");
  REQUIRE(parse_regex("10.0.0.1 POST", *regex, f));
  CHECK(field_map(f).count("path") == 0);
  CHECK_FALSE(parse_regex("nothing here", *regex, f));
}

TEST_CASE("regex copies share the pattern and match independently") {
  std::string error;
  auto regex = Regex::compile(R"((?<n>\d+))", error);
  REQUIRE(regex);
  Regex copy = *regex;
  REQUIRE(regex->search("a 12"));
  REQUIRE(copy.search("345"));
  CHECK(regex->group(1)->first == 2);
  CHECK(copy.group(1)->second == 3);
}

TEST_CASE("regex compile errors name the pattern and the offset") {
  std::string error;
  CHECK_FALSE(Regex::compile("(unclosed", error));
  CHECK(error.find("(unclosed") != std::string::npos);
  CHECK(error.find("offset") != std::string::npos);
}

TEST_CASE("regex matching is safe on invalid UTF-8") {
  std::string error;
  auto regex = Regex::compile(R"((?<w>\w+))", error);
  REQUIRE(regex);
  FieldCollector f;
  CHECK(parse_regex("\xff\xfe ok \xc3", *regex, f));
  CHECK(field_map(f)["w"] == "ok");
}

}  // namespace
}  // namespace logship
