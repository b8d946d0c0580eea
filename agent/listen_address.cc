#include "agent/listen_address.h"

#include <charconv>

namespace logship {

Result<ListenAddress> parse_listen_address(std::string_view listen) {
  auto fail = [&] {
    return make_error(ErrorCode::kInvalidConfig,
                      "'" + std::string(listen) +
                          "': expected HOST:PORT, [IPV6]:PORT or :PORT with a port 0-65535");
  };
  const size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos) return fail();
  std::string_view host = listen.substr(0, colon);
  const std::string_view port = listen.substr(colon + 1);
  if (host.starts_with('[') != host.ends_with(']')) return fail();
  if (host.starts_with('[')) {
    host = host.substr(1, host.size() - 2);
    if (host.empty()) return fail();
  } else if (host.find(':') != std::string_view::npos) {
    return fail();  // a bare IPv6 address needs brackets
  }
  ListenAddress out{.host = std::string(host)};
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size()) return fail();
  return out;
}

}  // namespace logship
