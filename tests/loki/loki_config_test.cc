#include "outputs/loki/loki_config.h"

#include <doctest/doctest.h>

#include "agent/config_reader.h"
#include "outputs/loki/http_url.h"

namespace logship {
namespace {

ConfigErrors parse(std::string_view text, LokiOutputConfig& out) {
  ConfigErrors errors{"test.toml", {}};
  const toml::table table = toml::parse(text);
  TableReader reader(table, "outputs[0]", errors);
  parse_loki_output(reader, out);
  reader.finish();
  return errors;
}

TEST_CASE("a Loki output table parses into validated settings") {
  LokiOutputConfig config;
  auto errors = parse(R"(
url = "https://loki.example:3100/loki/api/v1/push"
labels = { job = "{job}", level = "{fields.level}" }
tenant = "team-a"
encoding = "json"
batch_bytes = "512KiB"
linger = "1s"
max_concurrent_requests = 2
max_streams = 50
)",
                      config);
  CHECK(errors.empty());
  CHECK(config.encoding == LokiEncoding::kJson);
  CHECK(config.batch_bytes == 512 * 1024);
  CHECK(config.linger == std::chrono::seconds(1));
  CHECK(config.max_concurrent_requests == 2);
  CHECK(config.labels.at("level") == "{fields.level}");
}

TEST_CASE("bad Loki settings are reported with their key") {
  LokiOutputConfig config;
  auto errors = parse(R"(
url = "ftp://x"
labels = { level = "{fields.level" }
max_concurrent_requests = 0
encodng = "json"
)",
                      config);
  REQUIRE(errors.messages.size() == 4);
  CHECK(errors.messages[0].find("url") != std::string::npos);
  CHECK(errors.messages[1].find("labels") != std::string::npos);
  CHECK(errors.messages[2].find("max_concurrent_requests") != std::string::npos);
  CHECK(errors.messages[3].find("encoding") != std::string::npos);  // did you mean
}

TEST_CASE("URLs split into what a connection needs") {
  auto url = parse_http_url("http://127.0.0.1:3100");
  REQUIRE(url);
  CHECK(url->path == "/loki/api/v1/push");
  CHECK(url->port == 3100);
  CHECK(url->host_header() == "127.0.0.1:3100");
  auto tls = parse_http_url("https://[::1]/push?x=1");
  REQUIRE(tls);
  CHECK(tls->tls);
  CHECK(tls->host == "::1");
  CHECK(tls->port == 443);
  CHECK(tls->host_header() == "[::1]");
  CHECK(tls->path == "/push?x=1");
  CHECK_FALSE(parse_http_url("http://user:pw@host/"));
  CHECK_FALSE(parse_http_url("http://host:99999/"));
  CHECK_FALSE(parse_http_url("host:80"));
}

}  // namespace
}  // namespace logship
