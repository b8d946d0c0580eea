#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "agent/config.h"

namespace {

// Writes `text` to a fresh temporary file and returns its path.
std::string write_config(const std::string& text) {
  char path[] = "/tmp/logship-config-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(path) << text;
  return path;
}

std::string load_error(const std::string& text) {
  const auto path = write_config(text);
  auto config = logship::load_config(path);
  ::unlink(path.c_str());
  REQUIRE_FALSE(config.has_value());
  return config.error().message;
}

constexpr const char* kMinimal = R"(
[[inputs]]
name = "app"
paths = ["/var/log/app/*.log"]

[[outputs]]
name = "out"
type = "stdout"
)";

}  // namespace

TEST_CASE("a minimal config loads with defaults") {
  const auto path = write_config(kMinimal);
  auto config = logship::load_config(path);
  ::unlink(path.c_str());
  REQUIRE(config.has_value());
  CHECK(config->inputs.at(0).max_line_bytes == 256 * 1024);
  CHECK(config->inputs.at(0).start_at == logship::StartAt::kTail);
  CHECK(config->agent.shutdown_timeout == std::chrono::seconds(10));
}

TEST_CASE("an unknown key names file, line, column and suggests the right key") {
  const auto message = load_error(std::string(kMinimal) + "\n[agent]\nmemory_limt = \"1MiB\"\n");
  CHECK(message.find(":11:1: key 'agent.memory_limt': unknown key") != std::string::npos);
  CHECK(message.find("did you mean 'memory_limit'") != std::string::npos);
}

TEST_CASE("a wrong type, a bad size and a bad duration each name their key and line") {
  const auto message = load_error(std::string(kMinimal) +
                                  "\n[agent]\ndata_dir = 5\nmemory_limit = \"lots\"\n"
                                  "shutdown_timeout = \"soon\"\n");
  CHECK(message.find(":11:12: key 'agent.data_dir': expected a string") != std::string::npos);
  CHECK(message.find(":12:16: key 'agent.memory_limit'") != std::string::npos);
  CHECK(message.find(":13:20: key 'agent.shutdown_timeout'") != std::string::npos);
}

TEST_CASE("a TOML syntax error names the line") {
  const auto message = load_error("[agent\n");
  CHECK(message.find(":1:") != std::string::npos);
}

TEST_CASE("environment variables interpolate, with defaults") {
  ::setenv("LOGSHIP_TEST_DIR", "/srv/data", 1);
  ::unsetenv("LOGSHIP_TEST_UNSET");
  const auto path = write_config(std::string(kMinimal) +
                                 "\n[agent]\ndata_dir = \"${LOGSHIP_TEST_DIR}/x\"\n"
                                 "metrics_listen = \"${LOGSHIP_TEST_UNSET:-127.0.0.1:1}\"\n");
  auto config = logship::load_config(path);
  ::unlink(path.c_str());
  REQUIRE(config.has_value());
  CHECK(config->agent.data_dir == "/srv/data/x");
  CHECK(config->agent.metrics_listen == "127.0.0.1:1");
  CHECK(load_error(std::string(kMinimal) + "\n[agent]\ndata_dir = \"${LOGSHIP_TEST_UNSET}\"\n")
            .find("LOGSHIP_TEST_UNSET is not set") != std::string::npos);
}

TEST_CASE("an output naming an undefined input is an error") {
  const auto message = load_error(std::string(kMinimal) + "inputs = [\"nope\"]\n");
  CHECK(message.find("names input \"nope\"") != std::string::npos);
}

TEST_CASE("secrets are masked when the config is printed") {
  const auto path = write_config(std::string(kMinimal) +
                                 "\n[[inputs]]\nname = \"b\"\npaths = [\"/x\"]\n"
                                 "labels = { api_token = \"hunter2\", job = \"b\" }\n");
  auto config = logship::load_config(path);
  ::unlink(path.c_str());
  REQUIRE(config.has_value());
  const auto printed = logship::format_config(*config);
  CHECK(printed.find("hunter2") == std::string::npos);
  CHECK(printed.find("\"api_token\" = \"***\"") != std::string::npos);
}

TEST_CASE("log_level and log_format load, print, and name their line when misspelt") {
  const auto path = write_config(std::string(kMinimal) +
                                 "\n[agent]\nlog_level = \"warn\"\nlog_format = \"json\"\n");
  auto config = logship::load_config(path);
  ::unlink(path.c_str());
  REQUIRE(config.has_value());
  CHECK(config->agent.log_level == logship::LogLevel::kWarn);
  CHECK(config->agent.log_format == logship::LogFormat::kJson);
  const auto printed = logship::format_config(*config);
  CHECK(printed.find("log_level = \"warn\"\nlog_format = \"json\"\n") != std::string::npos);

  const auto message = load_error(std::string(kMinimal) +
                                  "\n[agent]\nlog_level = \"wran\"\nlog_format = \"text\"\n");
  CHECK(message.find(":11:13: key 'agent.log_level'") != std::string::npos);
  CHECK(message.find("did you mean \"warn\"?") != std::string::npos);
  CHECK(message.find(":12:14: key 'agent.log_format'") != std::string::npos);
}

TEST_CASE("a regex that does not compile is named at its key") {
  const auto message = load_error(std::string(kMinimal) +
                                  "\n[[inputs]]\nname = \"b\"\npaths = [\"/x\"]\n"
                                  "parser = \"regex\"\nregex = '(?<a>x'\n"
                                  "multiline = { start_pattern = '[' }\n"
                                  "drop_if = [{ field = \"a\", matches = '*' }]\n");
  CHECK(message.find(":14:9: key 'inputs[1].regex': regex '(?<a>x' at offset") !=
        std::string::npos);
  CHECK(message.find(":15:31: key 'inputs[1].multiline.start_pattern'") != std::string::npos);
  CHECK(message.find(":16:37: key 'inputs[1].drop_if[0].matches'") != std::string::npos);
}

TEST_CASE("the regex parser needs a pattern with a named group") {
  const std::string input = "\n[[inputs]]\nname = \"b\"\npaths = [\"/x\"]\nparser = \"regex\"\n";
  CHECK(load_error(std::string(kMinimal) + input + "regex = 'x+'\n")
            .find(":14:9: key 'inputs[1].regex': 'x+' has no named group") != std::string::npos);
  CHECK(load_error(std::string(kMinimal) + input).find(":13:10: key 'inputs[1].parser'") !=
        std::string::npos);
}

TEST_CASE("metrics_listen must be host:port with a port in range") {
  for (const std::string listen : {"127.0.0.1:99999", "localhost"}) {
    CAPTURE(listen);
    const auto message =
        load_error(std::string(kMinimal) + "\n[agent]\nmetrics_listen = \"" + listen + "\"\n");
    CHECK(message.find(":11:18: key 'agent.metrics_listen': '" + listen + "': expected") !=
          std::string::npos);
  }
}

TEST_CASE("host checks: files the config names must be readable, data_dir usable") {
  const std::string config = std::string(kMinimal) +
                             "\n[agent]\ndata_dir = \"/dev/null/data\"\n"
                             "\n[[outputs]]\nname = \"loki\"\ntype = \"loki\"\n"
                             "url = \"http://127.0.0.1:3100/loki/api/v1/push\"\n"
                             "bearer_token_file = \"/nonexistent/token\"\nca_file = \"/tmp\"\n";
  const auto path = write_config(config);
  CHECK(logship::load_config(path).has_value());  // without host checks
  auto checked = logship::load_config(path, logship::HostChecks::kCheck);
  ::unlink(path.c_str());
  REQUIRE_FALSE(checked.has_value());
  const auto& message = checked.error().message;
  CHECK(message.find(":11:12: key 'agent.data_dir': /dev/null/data: cannot create: Not a "
                     "directory") != std::string::npos);
  CHECK(message.find(":17:21: key 'outputs[1].bearer_token_file': open /nonexistent/token: No "
                     "such file or directory") != std::string::npos);
  CHECK(message.find(":18:11: key 'outputs[1].ca_file': /tmp: Is a directory") !=
        std::string::npos);
}
