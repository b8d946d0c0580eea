#pragma once
// HttpServer: the agent's operations endpoint, a minimal HTTP/1.1 server for probes and
// scrapes. GET (or HEAD) /metrics answers the metrics callback's text as
// `text/plain; version=0.0.4`, /health answers 200 "ok" while the process serves at
// all, /ready answers 200 when the unready callback names no reason, else 503 with them. One
// request per connection (Connection: close), at most kMaxClients at once, each given
// kClientTimeout to send its request and take the answer.
// Owner: the agent. Thread: its own std::jthread runs a poll(2) loop over the listening
// socket, the clients and an eventfd; the destructor stops and joins it. The callbacks
// run on that thread. Never throws: start() reports bind failures as errors, and a
// callback that throws gets a 500.
// Why our own server: Debian ships cpp-httplib as a shared library only, which the static
// binary cannot link; three GET routes do not need a framework.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "agent/listen_address.h"
#include "agent/result.h"
#include "agent/unique_fd.h"

namespace logship {

struct HttpServerHandlers {
  std::function<std::string()> metrics;  // the exposition text; none: 404 on /metrics
  // Why the agent is not ready (each reason a line of the 503 body); empty: ready. None:
  // always ready.
  std::function<std::vector<std::string>()> unready;
};

class HttpServer {
 public:
  static constexpr size_t kMaxClients = 16;
  static constexpr size_t kMaxRequestBytes = 8192;
  static constexpr std::chrono::milliseconds kClientTimeout{5000};

  // Binds `listen` ("host:port", "[v6]:port" or ":port" for every address; port 0 picks
  // a free one) and starts serving. An empty `listen` turns the endpoint off: the result
  // is then a null pointer, not an error.
  static Result<std::unique_ptr<HttpServer>> start(std::string_view listen,
                                                   HttpServerHandlers handlers);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the one picked when `listen` asked for port 0).
  uint16_t port() const { return port_; }

 private:
  HttpServer(UniqueFd listener, UniqueFd wake, uint16_t port, HttpServerHandlers handlers);
  void serve(std::stop_token stop);

  UniqueFd listener_;
  UniqueFd wake_;  // eventfd: the stop callback writes it to end poll()
  uint16_t port_;
  HttpServerHandlers handlers_;
  std::jthread thread_;  // last: started after, and joined before, everything it uses
};

}  // namespace logship
