#pragma once
// One HTTP/1.1 GET of an agent's /metrics for `logship top`, bounded by a deadline in
// every step (resolve aside: the URL names a host, usually a loopback literal), so a slow
// endpoint costs at most the timeout. Plain http only: the metrics endpoint serves no TLS.
// The answer's status decides nothing here; the caller says what a 404 means.
// Thread: the caller's; blocking.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/result.h"

namespace logship {

struct MetricsUrl {
  std::string host;
  uint16_t port = 0;
  std::string path;  // "/metrics" when the URL names none
};

// "http://HOST[:PORT][/PATH]" (port 80 by default, "[v6]" hosts too). Errors are
// kInvalidConfig, naming the URL.
Result<MetricsUrl> parse_metrics_url(std::string_view url);

struct HttpAnswer {
  int status = 0;
  std::string body;
};

inline constexpr size_t kMaxMetricsBytes = 64 << 20;

// Connection and timeout failures are kRetryable: "cannot connect to HOST:PORT: REASON",
// "HOST:PORT: no answer within Nms".
Result<HttpAnswer> http_get(const MetricsUrl& url, std::chrono::milliseconds timeout);

}  // namespace logship
