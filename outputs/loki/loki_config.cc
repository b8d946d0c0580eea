#include "outputs/loki/loki_config.h"

#include "agent/config_format.h"
#include "agent/config_reader.h"
#include "outputs/loki/http_url.h"
#include "outputs/loki/labels.h"

namespace logship {

void parse_loki_output(TableReader& reader, LokiOutputConfig& out) {
  reader.read("url", out.url);
  if (auto url = parse_http_url(out.url); !url) reader.fail("url", url.error().message);
  reader.read("labels", out.labels);
  if (auto labels = compile_label_templates({out.labels.begin(), out.labels.end()}); !labels) {
    reader.fail("labels", labels.error().message);
  }
  reader.read("tenant", out.tenant);
  reader.read("basic_auth_user", out.basic_auth_user);
  reader.read("basic_auth_password", out.basic_auth_password);
  if (!out.basic_auth_password.empty() && out.basic_auth_user.empty()) {
    reader.fail("basic_auth_password", "needs basic_auth_user as well");
  }
  reader.read("bearer_token_file", out.bearer_token_file);
  if (!out.bearer_token_file.empty() && !out.basic_auth_user.empty()) {
    reader.fail("bearer_token_file", "use either basic auth or a bearer token, not both");
  }
  reader.read("ca_file", out.ca_file);
  reader.read_choice("encoding", out.encoding,
                     {{"protobuf", LokiEncoding::kProtobuf}, {"json", LokiEncoding::kJson}});
  reader.read_size("batch_bytes", out.batch_bytes);
  if (out.batch_bytes == 0) reader.fail("batch_bytes", "must be at least 1 byte");
  reader.read_duration("linger", out.linger);
  reader.read("max_concurrent_requests", out.max_concurrent_requests);
  if (out.max_concurrent_requests < 1 || out.max_concurrent_requests > 64) {
    reader.fail("max_concurrent_requests", "must be between 1 and 64");
  }
  reader.read("max_streams", out.max_streams);
  if (out.max_streams < 1) reader.fail("max_streams", "must be at least 1");
  reader.read_duration("request_timeout", out.request_timeout);
  if (out.request_timeout.count() <= 0) reader.fail("request_timeout", "must be positive");
  reader.read_duration("min_backoff", out.min_backoff);
  reader.read_duration("max_backoff", out.max_backoff);
  if (out.max_backoff < out.min_backoff) {
    reader.fail("max_backoff", "must not be less than min_backoff");
  }
}

void format_settings(std::ostream& out, const LokiOutputConfig& settings) {
  write_toml(out, "url", settings.url);
  write_toml(out, "labels", settings.labels);
  write_toml(out, "tenant", settings.tenant);
  write_toml(out, "basic_auth_user", settings.basic_auth_user);
  write_toml(out, "basic_auth_password", settings.basic_auth_password);
  write_toml(out, "bearer_token_file", settings.bearer_token_file);
  write_toml(out, "ca_file", settings.ca_file);
  write_toml(out, "encoding", settings.encoding == LokiEncoding::kJson ? "json" : "protobuf");
  write_toml_size(out, "batch_bytes", settings.batch_bytes);
  write_toml_duration(out, "linger", settings.linger);
  write_toml(out, "max_concurrent_requests", settings.max_concurrent_requests);
  write_toml(out, "max_streams", settings.max_streams);
  write_toml_duration(out, "request_timeout", settings.request_timeout);
  write_toml_duration(out, "min_backoff", settings.min_backoff);
  write_toml_duration(out, "max_backoff", settings.max_backoff);
}

}  // namespace logship
