#pragma once
// HttpUrl: an http(s) URL split once into what a connection needs. Pure.

#include <cstdint>
#include <string>
#include <string_view>

#include "agent/result.h"

namespace logship {

struct HttpUrl {
  bool tls = false;
  std::string host;  // without brackets for IPv6 literals
  uint16_t port = 80;
  std::string path = "/";  // path and query, as sent in the request line
  // "host" or "host:port" for the Host header (port only when not the default).
  std::string host_header() const;
};

// Accepts "http://host[:port][/path]" and "https://..."; a missing path becomes
// "/loki/api/v1/push". Userinfo in the URL is refused (use basic_auth_user).
Result<HttpUrl> parse_http_url(std::string_view text);

}  // namespace logship
