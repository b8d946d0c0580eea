#pragma once
// LokiOutputConfig: the settings of one `type = "loki"` output as plain, validated data,
// defaults beside each field. Parsed once by parse_loki_output() while the config loads;
// immutable afterwards. Secrets (password) stay in memory only and are never printed.
// Thread: config loading writes it; any thread may read it afterwards.

#include <chrono>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>

namespace logship {

class TableReader;

enum class LokiEncoding { kProtobuf, kJson };

struct LokiOutputConfig {
  // Push endpoint; a URL without a path gets "/loki/api/v1/push".
  std::string url = "http://127.0.0.1:3100/loki/api/v1/push";
  // Stream labels: name -> value template. A value is literal text with placeholders:
  // "{fields.NAME}" (a parsed field of the record), "{file.path}" (the path of the file it
  // was read from) and "{NAME}" (a label of the input).
  // Names are sanitised to Loki's rules. Empty: the input's labels, else job="logship".
  std::map<std::string, std::string> labels;
  // X-Scope-OrgID header; empty sends none.
  std::string tenant;
  // HTTP basic auth when the user is set.
  std::string basic_auth_user;
  std::string basic_auth_password;
  // File whose trimmed content is sent as "Authorization: Bearer ..."; read at start.
  std::string bearer_token_file;
  // PEM bundle to verify the server with (https); empty uses the system CAs.
  std::string ca_file;
  LokiEncoding encoding = LokiEncoding::kProtobuf;
  // A request is sent once its uncompressed entries reach this size...
  uint64_t batch_bytes = 1024 * 1024;
  // ...or its oldest entry has waited this long.
  std::chrono::milliseconds linger = std::chrono::milliseconds(200);
  // Requests in flight at once. Each stream is pinned to one of them, so entries of a
  // stream are never in two requests at the same time (Loki's per-stream order holds).
  int64_t max_concurrent_requests = 4;
  // Distinct label sets kept; records that would open more lose their field-templated
  // labels (counted in records_over_stream_limit, and logged) rather than being dropped.
  int64_t max_streams = 10000;
  // One attempt (connect, send, response) gives up after this long and is retried.
  std::chrono::milliseconds request_timeout = std::chrono::seconds(30);
  // Retry backoff: exponential from min to max with jitter; Retry-After wins when given.
  std::chrono::milliseconds min_backoff = std::chrono::milliseconds(500);
  std::chrono::milliseconds max_backoff = std::chrono::seconds(30);
};

// Reads the Loki keys of one [[outputs]] table into `out` (errors go to the reader).
void parse_loki_output(TableReader& reader, LokiOutputConfig& out);

// Writes the effective settings as TOML keys (`logship check`); the password is masked.
void format_settings(std::ostream& out, const LokiOutputConfig& settings);

}  // namespace logship
