#pragma once
// ListenAddress: "host:port", "[v6]:port" or ":port" (every address) split and checked
// once, the one parse both `check` (at the metrics_listen key) and the metrics server use.
// Pure; no name is resolved.

#include <cstdint>
#include <string>
#include <string_view>

#include "agent/result.h"

namespace logship {

struct ListenAddress {
  std::string host;   // empty: every address
  uint16_t port = 0;  // 0: the server picks a free one
};

// Errors are kInvalidConfig, "'TEXT': expected ...".
Result<ListenAddress> parse_listen_address(std::string_view listen);

}  // namespace logship
