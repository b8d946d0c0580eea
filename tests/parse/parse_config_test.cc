// The parsing keys of an [[inputs]] table, loaded by load_config.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "agent/config.h"

namespace logship {
namespace {

// One [[inputs]] table with `input_table` as its keys, and a null output.
Result<Config> load_input(const std::string& input_table) {
  char name[] = "/tmp/logship-parse-config-XXXXXX";
  const int fd = ::mkstemp(name);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(name) << "[[inputs]]\n"
                      << input_table << "\n[[outputs]]\nname = \"n\"\ntype = \"null\"\n";
  auto config = load_config(name);
  ::unlink(name);
  return config;
}

Result<Config> load(const std::string& input_keys) {
  return load_input("name = \"app\"\npaths = [\"/tmp/x.log\"]\n" + input_keys);
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

TEST_CASE("preset = kubernetes alone is a whole input: pod logs, cri, labels") {
  auto config = load_input(R"(preset = "kubernetes")");
  REQUIRE(config.has_value());
  const InputConfig& input = config->inputs.at(0);
  CHECK(input.name == "kubernetes");
  CHECK(input.paths == std::vector<std::string>{"/var/log/pods/*/*/*.log"});
  CHECK(input.exclude == std::vector<std::string>{"*.gz", "*.tmp", "*.log.*"});
  CHECK(input.parser == ParserKind::kCri);
  CHECK(input.parse.kubernetes_labels);
  const std::string printed = format_config(*config);
  CHECK(printed.find("preset = \"kubernetes\"") != std::string::npos);
  CHECK(printed.find("kubernetes_labels = true") != std::string::npos);
}

TEST_CASE("keys beside a preset override it; an unknown preset is an error") {
  auto config = load_input(R"(preset = "kubernetes"
name = "pods"
paths = ["/tmp/k8s/pods/*/*/*.log"]
start_at = "head")");
  REQUIRE(config.has_value());
  const InputConfig& input = config->inputs.at(0);
  CHECK(input.name == "pods");
  CHECK(input.paths == std::vector<std::string>{"/tmp/k8s/pods/*/*/*.log"});
  CHECK(input.start_at == StartAt::kHead);
  CHECK(input.parser == ParserKind::kCri);
  auto bad = load_input(R"(preset = "kubernets")");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message.find("kubernets") != std::string::npos);
}

}  // namespace
}  // namespace logship
