#include "agent/http_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "agent/thread_name.h"

namespace logship {
namespace {

using Clock = std::chrono::steady_clock;

struct Client {
  UniqueFd fd;
  Clock::time_point deadline;
  std::string request;
  std::string response;  // non-empty once the request is complete
  size_t sent = 0;
  bool done = false;
};

std::string response(std::string_view status, std::string_view content_type, std::string_view body,
                     bool head, std::string_view extra_headers = {}) {
  std::string out;
  out.reserve(160 + (head ? 0 : body.size()));
  out.append("HTTP/1.1 ").append(status).append("\r\nContent-Type: ").append(content_type);
  out.append("\r\nContent-Length: ").append(std::to_string(body.size()));
  out.append("\r\nCache-Control: no-store\r\nConnection: close\r\n").append(extra_headers);
  out.append("\r\n");
  if (!head) out.append(body);
  return out;
}

constexpr std::string_view kText = "text/plain; charset=utf-8";
constexpr std::string_view kMetricsType = "text/plain; version=0.0.4; charset=utf-8";

// The end of the request head, or npos while it is incomplete.
size_t head_end(std::string_view request) {
  const size_t crlf = request.find("\r\n\r\n");
  return crlf != std::string_view::npos ? crlf : request.find("\n\n");
}

Result<UniqueFd> bind_listener(const ListenAddress& address, std::string_view listen) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  const std::string host = address.host.empty() ? "0.0.0.0" : address.host;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return make_error(ErrorCode::kInvalidConfig,
                      "metrics_listen '" + std::string(listen) + "': " + ::gai_strerror(rc));
  }
  std::string failure;
  UniqueFd fd;
  for (addrinfo* ai = found; ai != nullptr && !fd; ai = ai->ai_next) {
    UniqueFd candidate(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    const int one = 1;
    if (!candidate ||
        ::setsockopt(candidate.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        ::bind(candidate.get(), ai->ai_addr, ai->ai_addrlen) != 0 ||
        ::listen(candidate.get(), 64) != 0) {
      failure = errno_message("bind", listen);
      continue;
    }
    fd = std::move(candidate);
  }
  ::freeaddrinfo(found);
  if (!fd) return make_error(ErrorCode::kIo, failure.empty() ? "no address" : failure);
  return fd;
}

uint16_t bound_port(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(std::string_view listen,
                                                      HttpServerHandlers handlers) {
  if (listen.empty()) return std::unique_ptr<HttpServer>();
  auto address = parse_listen_address(listen);
  if (!address) {
    return make_error(ErrorCode::kInvalidConfig, "metrics_listen " + address.error().message);
  }
  auto listener = bind_listener(*address, listen);
  if (!listener) return std::unexpected(listener.error());
  UniqueFd wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake) return make_error(ErrorCode::kIo, errno_message("eventfd", "metrics server"));
  const uint16_t port = bound_port(listener->get());
  return std::unique_ptr<HttpServer>(
      new HttpServer(std::move(*listener), std::move(wake), port, std::move(handlers)));
}

HttpServer::HttpServer(UniqueFd listener, UniqueFd wake, uint16_t port, HttpServerHandlers handlers)
    : listener_(std::move(listener)),
      wake_(std::move(wake)),
      port_(port),
      handlers_(std::move(handlers)),
      thread_([this](std::stop_token stop) {
        name_this_thread("ls-http");
        serve(std::move(stop));
      }) {}

HttpServer::~HttpServer() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

namespace {

std::string route(std::string_view head, const HttpServerHandlers& handlers) {
  const std::string_view line = head.substr(0, head.find_first_of("\r\n"));
  const size_t sp1 = line.find(' ');
  const size_t sp2 = line.find(' ', sp1 == std::string_view::npos ? sp1 : sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
      !line.substr(sp2 + 1).starts_with("HTTP/1.")) {
    return response("400 Bad Request", kText, "bad request\n", false);
  }
  const std::string_view method = line.substr(0, sp1);
  std::string_view path = line.substr(sp1 + 1, sp2 - sp1 - 1);
  path = path.substr(0, path.find('?'));
  const bool head_only = method == "HEAD";
  if (method != "GET" && !head_only) {
    return response("405 Method Not Allowed", kText, "method not allowed\n", false,
                    "Allow: GET, HEAD\r\n");
  }
  try {
    if (path == "/health") return response("200 OK", kText, "ok\n", head_only);
    if (path == "/ready") {
      const std::vector<std::string> reasons =
          handlers.unready ? handlers.unready() : std::vector<std::string>{};
      if (reasons.empty()) return response("200 OK", kText, "ready\n", head_only);
      std::string body = "not ready\n";
      for (const std::string& reason : reasons) body += reason + "\n";
      return response("503 Service Unavailable", kText, body, head_only);
    }
    if (path == "/metrics" && handlers.metrics) {
      return response("200 OK", kMetricsType, handlers.metrics(), head_only);
    }
  } catch (...) {
    return response("500 Internal Server Error", kText, "internal error\n", head_only);
  }
  return response("404 Not Found", kText, "not found\n", head_only);
}

// Reads what the client sent; once the head is complete, prepares the answer.
void read_request(Client& client, const HttpServerHandlers& handlers) {
  char buf[2048];
  const ssize_t n = ::recv(client.fd.get(), buf, sizeof buf, 0);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
    client.done = true;
    return;
  }
  if (n < 0) return;
  client.request.append(buf, static_cast<size_t>(n));
  const size_t end = head_end(client.request);
  if (end != std::string::npos) {
    client.response = route(std::string_view(client.request).substr(0, end), handlers);
  } else if (client.request.size() >= HttpServer::kMaxRequestBytes) {
    client.response =
        response("431 Request Header Fields Too Large", kText, "request too large\n", false);
  }
}

void write_response(Client& client) {
  const ssize_t n = ::send(client.fd.get(), client.response.data() + client.sent,
                           client.response.size() - client.sent, MSG_NOSIGNAL);
  if (n < 0 && errno != EAGAIN && errno != EINTR) client.done = true;
  if (n > 0) client.sent += static_cast<size_t>(n);
  if (client.sent == client.response.size()) client.done = true;
}

int poll_timeout(const std::vector<Client>& clients, Clock::time_point now) {
  if (clients.empty()) return -1;
  const auto first = std::ranges::min_element(clients, {}, &Client::deadline)->deadline;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(first - now).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, HttpServer::kClientTimeout.count()));
}

}  // namespace

void HttpServer::serve(std::stop_token stop) {
  std::stop_callback wake_on_stop(stop, [this] {
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_.get(), &one, sizeof one);
  });
  std::vector<Client> clients;
  std::vector<pollfd> fds;
  while (!stop.stop_requested()) {
    fds.clear();
    fds.push_back({wake_.get(), POLLIN, 0});
    const bool room = clients.size() < kMaxClients;
    fds.push_back({listener_.get(), static_cast<short>(room ? POLLIN : 0), 0});
    for (const Client& c : clients) {
      fds.push_back({c.fd.get(), static_cast<short>(c.response.empty() ? POLLIN : POLLOUT), 0});
    }
    if (::poll(fds.data(), fds.size(), poll_timeout(clients, Clock::now())) < 0) continue;
    const auto now = Clock::now();
    for (size_t i = 0; i < clients.size(); ++i) {
      Client& client = clients[i];
      const short revents = fds[i + 2].revents;
      if (client.response.empty() && (revents & (POLLIN | POLLHUP | POLLERR))) {
        read_request(client, handlers_);
      }
      if (!client.response.empty() && !client.done) write_response(client);
      if (now >= client.deadline) client.done = true;
    }
    std::erase_if(clients, [](const Client& c) { return c.done; });
    while (room && clients.size() < kMaxClients && (fds[1].revents & POLLIN)) {
      UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!fd) break;
      clients.push_back({.fd = std::move(fd), .deadline = now + kClientTimeout});
    }
  }
}

}  // namespace logship
