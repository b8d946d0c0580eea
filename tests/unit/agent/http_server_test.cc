#include "agent/http_server.h"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <vector>

#include "agent/metrics.h"
#include "agent/unique_fd.h"
#include "tests/unit/agent/prometheus_text.h"

namespace logship {
namespace {

// Connects to 127.0.0.1:port, sends `request` as is and reads until the server closes.
std::string round_trip(uint16_t port, std::string_view request) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size()));
  std::string reply;
  char buf[4096];
  pollfd pfd{fd.get(), POLLIN, 0};
  while (::poll(&pfd, 1, 10000) == 1) {
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  return reply;
}

std::string get(uint16_t port, std::string_view path) {
  return round_trip(port, "GET " + std::string(path) + " HTTP/1.1\r\nHost: x\r\n\r\n");
}

std::string status_line(const std::string& reply) { return reply.substr(0, reply.find("\r\n")); }
std::string body(const std::string& reply) { return reply.substr(reply.find("\r\n\r\n") + 4); }
std::string header(const std::string& reply, std::string_view name) {
  const size_t at = reply.find("\r\n" + std::string(name) + ": ");
  if (at == std::string::npos) return {};
  const size_t start = at + 4 + name.size();
  return reply.substr(start, reply.find("\r\n", start) - start);
}

TEST_CASE("listen addresses parse as host:port, [v6]:port or :port") {
  auto v4 = parse_listen_address("127.0.0.1:9598");
  REQUIRE(v4);
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == 9598);
  auto v6 = parse_listen_address("[::1]:0");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  auto any = parse_listen_address(":9598");
  REQUIRE(any);
  CHECK(any->host.empty());
  for (std::string_view bad : {"9598", "::1:9598", "host:", "host:65536", "host:9x", "[::1:9"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_listen_address(bad));
  }
}

TEST_CASE("an empty listen address turns the endpoint off") {
  auto server = HttpServer::start("", {});
  REQUIRE(server);
  CHECK(*server == nullptr);
}

TEST_CASE("a port already in use is reported, not thrown") {
  auto first = HttpServer::start("127.0.0.1:0", {});
  REQUIRE(first);
  const std::string taken = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = HttpServer::start(taken, {});
  REQUIRE_FALSE(second);
  CHECK(second.error().code == ErrorCode::kIo);
  CHECK(second.error().message.find(taken) != std::string::npos);
}

TEST_CASE("a scrape of /metrics over a socket parses as strict Prometheus text") {
  MetricsRegistry registry;
  REQUIRE(register_build_info(registry, "0.1.0"));
  auto lines = registry.counter(
      {.name = "logship_input_lines_total", .help = "Lines read.", .label_names = {"input"}});
  auto latency = registry.histogram({.name = "logship_output_request_duration_seconds",
                                     .help = "Push latency.",
                                     .label_names = {"output"},
                                     .bounds = kLatencyBuckets});
  REQUIRE(lines);
  REQUIRE(latency);
  (*lines)->with({"app"})->inc(1234);
  for (double v : {0.003, 0.02, 0.2, 3.0, 30.0}) (*latency)->with({"loki"})->observe(v);

  auto server = HttpServer::start("127.0.0.1:0", {.metrics = [&] { return registry.render(); }});
  REQUIRE(server);
  REQUIRE(*server);
  const std::string reply = get((*server)->port(), "/metrics");
  CHECK(status_line(reply) == "HTTP/1.1 200 OK");
  CHECK(header(reply, "Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(header(reply, "Content-Length") == std::to_string(body(reply).size()));
  const auto parsed = test::parse_prometheus_text(body(reply));
  REQUIRE_MESSAGE(parsed.error.empty(), parsed.error);
  CHECK(parsed.value("logship_input_lines_total", {{"input", "app"}}) == 1234);
  CHECK(parsed.value("logship_build_info", {{"version", "0.1.0"}}) == 1);
  CHECK(parsed.value("logship_output_request_duration_seconds_count", {{"output", "loki"}}) == 5);
  CHECK(parsed.value("logship_output_request_duration_seconds_bucket",
                     {{"output", "loki"}, {"le", "0.25"}}) == 3);
}

TEST_CASE("/health answers ok and /ready names why it is not ready") {
  std::atomic<bool> ready = false;
  auto server = HttpServer::start("127.0.0.1:0", {.unready = [&] {
                                    return ready ? std::vector<std::string>{}
                                                 : std::vector<std::string>{"output a is down"};
                                  }});
  REQUIRE(server);
  const uint16_t port = (*server)->port();
  const std::string health = get(port, "/health");
  CHECK(status_line(health) == "HTTP/1.1 200 OK");
  CHECK(body(health) == "ok\n");
  const std::string not_ready = get(port, "/ready");
  CHECK(status_line(not_ready) == "HTTP/1.1 503 Service Unavailable");
  CHECK(body(not_ready) == "not ready\noutput a is down\n");
  ready = true;
  CHECK(status_line(get(port, "/ready?verbose=1")) == "HTTP/1.1 200 OK");
}

TEST_CASE("other paths, methods and malformed requests get their status codes") {
  auto server = HttpServer::start("127.0.0.1:0", {.metrics = [] { return std::string("x"); }});
  REQUIRE(server);
  const uint16_t port = (*server)->port();
  CHECK(status_line(get(port, "/nope")) == "HTTP/1.1 404 Not Found");
  const std::string post = round_trip(port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  CHECK(status_line(post) == "HTTP/1.1 405 Method Not Allowed");
  CHECK(header(post, "Allow") == "GET, HEAD");
  CHECK(status_line(round_trip(port, "garbage\r\n\r\n")) == "HTTP/1.1 400 Bad Request");
  const std::string head = round_trip(port, "HEAD /metrics HTTP/1.0\r\n\r\n");
  CHECK(status_line(head) == "HTTP/1.1 200 OK");
  CHECK(header(head, "Content-Length") == "1");
  CHECK(body(head).empty());
  const std::string huge = "GET /metrics HTTP/1.1\r\nX: " + std::string(10000, 'a');
  CHECK(status_line(round_trip(port, huge)) == "HTTP/1.1 431 Request Header Fields Too Large");
}

TEST_CASE("a metrics callback that throws answers 500 and the server keeps serving") {
  auto server = HttpServer::start(
      "127.0.0.1:0", {.metrics = []() -> std::string { throw std::runtime_error("boom"); }});
  REQUIRE(server);
  const uint16_t port = (*server)->port();
  CHECK(status_line(get(port, "/metrics")) == "HTTP/1.1 500 Internal Server Error");
  CHECK(status_line(get(port, "/health")) == "HTTP/1.1 200 OK");
}

TEST_CASE("a client that sends nothing does not hold back others, and stop is prompt") {
  auto server = HttpServer::start("127.0.0.1:0", {});
  REQUIRE(server);
  const uint16_t port = (*server)->port();
  std::vector<UniqueFd> idle;
  for (size_t i = 0; i < HttpServer::kMaxClients - 1; ++i) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    idle.push_back(std::move(fd));
  }
  CHECK(status_line(get(port, "/health")) == "HTTP/1.1 200 OK");
  server->reset();  // joins the thread while clients are still connected
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0);
}

}  // namespace
}  // namespace logship
