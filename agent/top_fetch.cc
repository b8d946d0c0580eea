#include "agent/top_fetch.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <optional>

#include "agent/unique_fd.h"

namespace logship {
namespace {

using Clock = std::chrono::steady_clock;

struct Exchange {
  const MetricsUrl& url;
  Clock::time_point deadline;
  std::chrono::milliseconds timeout;

  std::string where() const { return url.host + ":" + std::to_string(url.port); }
  std::unexpected<Error> timed_out() const {
    return make_error(ErrorCode::kRetryable,
                      where() + ": no answer within " + std::to_string(timeout.count()) + "ms");
  }
  // Waits until `fd` is ready for `events`; false at the deadline.
  bool wait(int fd, short events) const {
    for (;;) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      pollfd poller{fd, events, 0};
      const int ready = ::poll(&poller, 1, static_cast<int>(left.count()));
      if (ready > 0) return true;
      if (ready < 0 && errno != EINTR) return false;
    }
  }
};

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

Result<UniqueFd> connect_to(const Exchange& exchange) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(exchange.url.port);
  if (const int rc = ::getaddrinfo(exchange.url.host.c_str(), port.c_str(), &hints, &found)) {
    return make_error(ErrorCode::kRetryable,
                      "cannot resolve " + exchange.url.host + ": " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(found, freeaddrinfo);
  std::string reason = "no address";
  for (const addrinfo* at = found; at != nullptr; at = at->ai_next) {
    UniqueFd fd(::socket(at->ai_family, at->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) continue;
    if (::connect(fd.get(), at->ai_addr, at->ai_addrlen) == 0) return fd;
    if (errno != EINPROGRESS) {
      reason = strerror(errno);
      continue;
    }
    if (!exchange.wait(fd.get(), POLLOUT)) return exchange.timed_out();
    int error = 0;
    socklen_t size = sizeof error;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &size);
    if (error == 0) return fd;
    reason = strerror(error);
  }
  return make_error(ErrorCode::kRetryable, "cannot connect to " + exchange.where() + ": " + reason);
}

Result<void> send_all(const Exchange& exchange, int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      data.remove_prefix(static_cast<size_t>(sent));
    } else if (sent < 0 && errno != EAGAIN && errno != EINTR) {
      return make_error(ErrorCode::kRetryable,
                        exchange.where() + ": send: " + std::string(strerror(errno)));
    } else if (!exchange.wait(fd, POLLOUT)) {
      return exchange.timed_out();
    }
  }
  return {};
}

// The Content-Length of a complete header block, if it names one.
std::optional<size_t> content_length(std::string_view head) {
  const std::string headers = lower(head);
  const size_t at = headers.find("\r\ncontent-length:");
  if (at == std::string::npos) return std::nullopt;
  std::string_view value = std::string_view(headers).substr(at + 17);
  value.remove_prefix(std::min(value.find_first_not_of(' '), value.size()));
  size_t length = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
  if (ec != std::errc()) return std::nullopt;
  return length;
}

// Reads until the server closes, or the body is as long as its Content-Length says.
Result<std::string> receive(const Exchange& exchange, int fd) {
  std::string data;
  char buffer[64 * 1024];
  for (;;) {
    const size_t head_end = data.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const auto length = content_length(std::string_view(data).substr(0, head_end + 2));
      if (length && data.size() >= head_end + 4 + *length) return data;
    }
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got == 0) return data;
    if (got > 0) {
      data.append(buffer, static_cast<size_t>(got));
      if (data.size() > kMaxMetricsBytes) {
        return make_error(ErrorCode::kRetryable, exchange.where() + ": answer over 64 MiB");
      }
    } else if (errno != EAGAIN && errno != EINTR) {
      return make_error(ErrorCode::kRetryable,
                        exchange.where() + ": recv: " + std::string(strerror(errno)));
    } else if (!exchange.wait(fd, POLLIN)) {
      return exchange.timed_out();
    }
  }
}

std::string unchunk(std::string_view body) {
  std::string out;
  for (;;) {
    size_t size = 0;
    const auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), size, 16);
    const size_t line_end = body.find("\r\n");
    if (ec != std::errc() || size == 0 || line_end == std::string_view::npos) return out;
    body.remove_prefix(line_end + 2);
    out.append(body.substr(0, size));
    body.remove_prefix(std::min(size + 2, body.size()));
  }
}

Result<HttpAnswer> parse_answer(const Exchange& exchange, std::string_view data) {
  const size_t head_end = data.find("\r\n\r\n");
  int status = 0;
  if (data.starts_with("HTTP/1.") && data.size() > 12) {
    const auto [end, ec] = std::from_chars(data.data() + 9, data.data() + 12, status);
    if (ec != std::errc() || end != data.data() + 12) status = 0;
  }
  if (head_end == std::string_view::npos || status == 0) {
    return make_error(ErrorCode::kRetryable, exchange.where() + ": not an HTTP answer");
  }
  const std::string head = lower(data.substr(0, head_end + 2));
  std::string_view body = data.substr(head_end + 4);
  if (const auto length = content_length(head)) body = body.substr(0, *length);
  if (head.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
    return HttpAnswer{status, unchunk(body)};
  }
  return HttpAnswer{status, std::string(body)};
}

}  // namespace

Result<MetricsUrl> parse_metrics_url(std::string_view url) {
  const auto bad = [&](std::string_view why) {
    return make_error(ErrorCode::kInvalidConfig,
                      "--url " + std::string(url) + ": " + std::string(why));
  };
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return bad("expected http://HOST:PORT");
  std::string_view rest = url.substr(kScheme.size());
  const size_t slash = std::min(rest.find('/'), rest.size());
  std::string_view authority = rest.substr(0, slash);
  MetricsUrl parsed{.port = 80, .path = std::string(rest.substr(slash))};
  if (parsed.path.empty() || parsed.path == "/") parsed.path = "/metrics";
  size_t host_end = authority.rfind(':');
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed '['");
    parsed.host = std::string(authority.substr(1, close - 1));
    host_end = close + 1 < authority.size() ? close + 1 : std::string_view::npos;
  } else {
    parsed.host = std::string(authority.substr(0, host_end));
  }
  if (host_end != std::string_view::npos) {
    const std::string_view port = authority.substr(host_end + 1);
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), parsed.port);
    if (ec != std::errc() || end != port.data() + port.size() || parsed.port == 0) {
      return bad("the port is not a number from 1 to 65535");
    }
  }
  if (parsed.host.empty()) return bad("no host");
  return parsed;
}

Result<HttpAnswer> http_get(const MetricsUrl& url, std::chrono::milliseconds timeout) {
  const Exchange exchange{url, Clock::now() + timeout, timeout};
  auto fd = connect_to(exchange);
  if (!fd) return std::unexpected(fd.error());
  const std::string host =
      url.host.find(':') == std::string::npos ? url.host : "[" + url.host + "]";
  const std::string request = "GET " + url.path + " HTTP/1.1\r\nHost: " + host + ":" +
                              std::to_string(url.port) +
                              "\r\nAccept: text/plain\r\nConnection: close\r\n\r\n";
  if (auto sent = send_all(exchange, fd->get(), request); !sent) {
    return std::unexpected(sent.error());
  }
  auto data = receive(exchange, fd->get());
  if (!data) return std::unexpected(data.error());
  return parse_answer(exchange, *data);
}

}  // namespace logship
