// The parsing keys of an [[inputs]] table, loaded by load_config.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "agent/config.h"

namespace logship {
namespace {

Result<Config> load(const std::string& input_keys) {
  char name[] = "/tmp/logship-parse-config-XXXXXX";
  const int fd = ::mkstemp(name);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(name) << "[[inputs]]\nname = \"app\"\npaths = [\"/tmp/x.log\"]\n"
                      << input_keys << "\n[[outputs]]\nname = \"n\"\ntype = \"null\"\n";
  auto config = load_config(name);
  ::unlink(name);
  return config;
}

TEST_CASE("an input's parsing keys load into its ParseConfig") {
  auto config = load(R"(parser = "json"
timestamp = { field = "ts", format = "unix_ms" }
multiline = { mode = "java", max_lines = 200, max_bytes = "64KiB", flush_after = "3s" }
drop_if = [{ field = "level", matches = "^debug$" }]
keep_if = [{ field = "app", matches = "api" }]
rename = { msg = "message" }
remove = ["secret"]
kubernetes_labels = true)");
  REQUIRE(config.has_value());
  const ParseConfig& parse = config->inputs.at(0).parse;
  CHECK(parse.timestamp.field == "ts");
  CHECK(parse.timestamp.format == TimestampFormat::kUnixMillis);
  CHECK(parse.multiline.mode == MultilineMode::kJava);
  CHECK(parse.multiline.max_lines == 200);
  CHECK(parse.multiline.max_bytes == 64 * 1024);
  CHECK(parse.multiline.flush_after == std::chrono::seconds(3));
  REQUIRE(parse.drop_if.size() == 1);
  CHECK(parse.drop_if[0].matches == "^debug$");
  CHECK(parse.keep_if.size() == 1);
  CHECK(parse.rename == std::vector<std::pair<std::string, std::string>>{{"msg", "message"}});
  CHECK(parse.remove == std::vector<std::string>{"secret"});
  CHECK(parse.kubernetes_labels);
}

TEST_CASE("a start_pattern alone turns multiline on; unknown keys are errors") {
  auto config = load(R"(multiline = { start_pattern = '^\d{4}-' })");
  REQUIRE(config.has_value());
  CHECK(config->inputs.at(0).parse.multiline.mode == MultilineMode::kStartPattern);
  auto bad = load(R"(multiline = { start_patern = 'x' })");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message.find("start_patern") != std::string::npos);
}

}  // namespace
}  // namespace logship
