#include "outputs/loki/http_url.h"

#include <charconv>

namespace logship {

std::string HttpUrl::host_header() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) out += ":" + std::to_string(port);
  return out;
}

Result<HttpUrl> parse_http_url(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return make_error(ErrorCode::kInvalidConfig,
                      "URL \"" + std::string(text) + "\": " + std::string(why));
  };
  HttpUrl url;
  std::string_view rest = text;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
    url.tls = true;
    url.port = 443;
  } else {
    return fail("must start with http:// or https://");
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  url.path =
      slash == std::string_view::npos ? "/loki/api/v1/push" : std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos) {
    return fail("credentials in the URL are not supported; use basic_auth_user");
  }
  std::string_view port_text;
  if (authority.starts_with("[")) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail("unterminated IPv6 address");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return fail("unexpected text after the IPv6 address");
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return fail("has no host");
  if (!port_text.empty() || authority.ends_with(":")) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return fail("has an invalid port");
    }
    url.port = static_cast<uint16_t>(port);
  }
  return url;
}

}  // namespace logship
