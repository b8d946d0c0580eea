// The socket + OpenSSL implementation of HttpTransport (see http_transport.h for why).
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "agent/unique_fd.h"
#include "outputs/loki/bearer_token.h"
#include "outputs/loki/http_transport.h"

namespace logship {

struct HttpClientFactory::Shared {
  HttpClientOptions options;
  std::string request_head;  // request line and fixed headers, without Content-Length
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> tls{nullptr, SSL_CTX_free};
};

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxKeptBody = 4096;
constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr auto kStopCheck = std::chrono::milliseconds(100);

std::unexpected<Error> network_error(std::string message) {
  return make_error(ErrorCode::kRetryable, std::move(message));
}

std::string tls_error_text() {
  const unsigned long code = ERR_get_error();
  if (code == 0) return "unknown TLS error";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof(buffer));
  ERR_clear_error();
  return buffer;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

class Connection {
 public:
  Connection(const HttpClientFactory::Shared& shared, Clock::time_point deadline,
             std::stop_token stop)
      : shared_(shared), deadline_(deadline), stop_(std::move(stop)) {}

  void set_deadline(Clock::time_point deadline, std::stop_token stop) {
    deadline_ = deadline;
    stop_ = std::move(stop);
  }
  bool open() const { return static_cast<bool>(fd_); }
  void close() {
    tls_.reset();
    fd_.reset();
    buffered_.clear();
  }

  Result<void> connect();
  Result<void> write_all(std::string_view data);
  // Reads at least one more byte into buffered_; returns false on a clean EOF.
  Result<bool> read_more();

  std::string buffered_;

 private:
  // Waits for the socket to be readable/writable, in slices so `stop` is noticed.
  Result<void> wait(short events);
  Result<void> connect_tcp();
  Result<void> connect_tls();

  const HttpClientFactory::Shared& shared_;
  Clock::time_point deadline_;
  std::stop_token stop_;
  UniqueFd fd_;
  std::unique_ptr<SSL, decltype(&SSL_free)> tls_{nullptr, SSL_free};
};

Result<void> Connection::wait(short events) {
  for (;;) {
    if (stop_.stop_requested()) return make_error(ErrorCode::kShutdown, "stopping");
    const auto now = Clock::now();
    if (now >= deadline_) return network_error("request timed out");
    const auto slice = std::min<Clock::duration>(deadline_ - now, kStopCheck);
    pollfd poller{fd_.get(), events, 0};
    const int ready = ::poll(
        &poller, 1, static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(slice).count()));
    if (ready > 0) return {};
    if (ready < 0 && errno != EINTR) return network_error(std::string("poll: ") + strerror(errno));
  }
}

Result<void> Connection::connect() {
  close();
  if (auto tcp = connect_tcp(); !tcp) return tcp;
  if (shared_.tls) return connect_tls();
  return {};
}

Result<void> Connection::connect_tcp() {
  const HttpUrl& url = shared_.options.url;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(url.port);
  if (int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return network_error("resolve " + url.host + ": " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, freeaddrinfo);
  std::string last_error = "no address";
  for (addrinfo* address = found; address != nullptr; address = address->ai_next) {
    fd_.reset(::socket(address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                       address->ai_protocol));
    if (!fd_) continue;
    int one = 1;
    ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (::connect(fd_.get(), address->ai_addr, address->ai_addrlen) == 0) return {};
    if (errno == EINPROGRESS) {
      auto ready = wait(POLLOUT);
      if (!ready) {
        if (ready.error().code == ErrorCode::kShutdown) return ready;
        last_error = ready.error().message;
        continue;
      }
      int error = 0;
      socklen_t size = sizeof(error);
      ::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &size);
      if (error == 0) return {};
      last_error = strerror(error);
    } else {
      last_error = strerror(errno);
    }
  }
  fd_.reset();
  return network_error("connect " + url.host_header() + ": " + last_error);
}

Result<void> Connection::connect_tls() {
  tls_.reset(SSL_new(shared_.tls.get()));
  if (!tls_) return network_error("SSL_new: " + tls_error_text());
  const std::string& host = shared_.options.url.host;
  SSL_set_fd(tls_.get(), fd_.get());
  in6_addr ignored;
  const bool ip_literal = ::inet_pton(AF_INET, host.c_str(), &ignored) == 1 ||
                          ::inet_pton(AF_INET6, host.c_str(), &ignored) == 1;
  if (ip_literal) {
    // No SNI for addresses (RFC 6066); verify the certificate's IP SAN instead of a name.
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(tls_.get()), host.c_str());
  } else {
    SSL_set_tlsext_host_name(tls_.get(), host.c_str());
    SSL_set1_host(tls_.get(), host.c_str());
  }
  for (;;) {
    const int rc = SSL_connect(tls_.get());
    if (rc == 1) return {};
    const int error = SSL_get_error(tls_.get(), rc);
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
      const std::string text = tls_error_text();
      close();
      return network_error("TLS handshake with " + host + ": " + text);
    }
    if (auto ready = wait(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT); !ready) return ready;
  }
}

Result<void> Connection::write_all(std::string_view data) {
  while (!data.empty()) {
    ssize_t written;
    short want = POLLOUT;
    if (tls_) {
      const int rc = SSL_write(tls_.get(), data.data(),
                               static_cast<int>(std::min<size_t>(data.size(), 1 << 30)));
      if (rc > 0) {
        written = rc;
      } else {
        const int error = SSL_get_error(tls_.get(), rc);
        if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
          return network_error("TLS write: " + tls_error_text());
        }
        written = -1;
        want = error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
      }
    } else {
      written = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
      if (written < 0 && errno != EAGAIN && errno != EINTR) {
        return network_error(std::string("send: ") + strerror(errno));
      }
    }
    if (written > 0) {
      data.remove_prefix(static_cast<size_t>(written));
    } else if (auto ready = wait(want); !ready) {
      return ready;
    }
  }
  return {};
}

Result<bool> Connection::read_more() {
  char chunk[64 * 1024];
  for (;;) {
    ssize_t got;
    short want = POLLIN;
    if (tls_) {
      const int rc = SSL_read(tls_.get(), chunk, sizeof(chunk));
      if (rc > 0) {
        got = rc;
      } else {
        const int error = SSL_get_error(tls_.get(), rc);
        if (error == SSL_ERROR_ZERO_RETURN) return false;
        if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
          return network_error("TLS read: " + tls_error_text());
        }
        got = -1;
        want = error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
      }
    } else {
      got = ::recv(fd_.get(), chunk, sizeof(chunk), 0);
      if (got == 0) return false;
      if (got < 0 && errno != EAGAIN && errno != EINTR) {
        return network_error(std::string("recv: ") + strerror(errno));
      }
    }
    if (got > 0) {
      buffered_.append(chunk, static_cast<size_t>(got));
      return true;
    }
    if (auto ready = wait(want); !ready) return std::unexpected(ready.error());
  }
}

// Reads one response from the connection. Sets `reusable` when the connection may carry
// the next request.
class ResponseReader {
 public:
  explicit ResponseReader(Connection& connection) : connection_(connection) {}
  Result<HttpResponse> read(bool& reusable);
  bool got_bytes() const { return got_bytes_; }

 private:
  Result<void> need(size_t bytes);
  Result<void> read_body(const std::optional<size_t>& length, bool chunked, HttpResponse& out);
  void keep(std::string_view bytes, HttpResponse& out) {
    if (out.body.size() < kMaxKeptBody) {
      out.body.append(bytes.substr(0, kMaxKeptBody - out.body.size()));
    }
  }

  Connection& connection_;
  bool got_bytes_ = false;
};

Result<void> ResponseReader::need(size_t bytes) {
  while (connection_.buffered_.size() < bytes) {
    auto more = connection_.read_more();
    if (!more) return std::unexpected(more.error());
    if (!*more) return network_error("connection closed in the middle of a response");
    got_bytes_ = true;
  }
  return {};
}

Result<HttpResponse> ResponseReader::read(bool& reusable) {
  std::string& in = connection_.buffered_;
  size_t head_end;
  while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
    if (in.size() > kMaxHeaderBytes) return network_error("response headers too large");
    auto more = connection_.read_more();
    if (!more) return std::unexpected(more.error());
    if (!*more) return network_error("connection closed before a response");
    got_bytes_ = true;
  }
  const std::string head = in.substr(0, head_end);
  in.erase(0, head_end + 4);

  HttpResponse response;
  int status = 0;
  if (!head.starts_with("HTTP/1.") || head.size() < 12 ||
      std::from_chars(head.data() + 9, head.data() + 12, status).ec != std::errc()) {
    return network_error("malformed response status line");
  }
  response.status = status;
  reusable = head[7] == '1';
  std::optional<size_t> length;
  bool chunked = false;
  size_t line_start = head.find("\r\n");
  while (line_start != std::string::npos) {
    line_start += 2;
    const size_t line_end = head.find("\r\n", line_start);
    std::string_view line(head.data() + line_start,
                          (line_end == std::string::npos ? head.size() : line_end) - line_start);
    line_start = line_end;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string name = lower(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (name == "content-length") {
      size_t parsed = 0;
      std::from_chars(value.data(), value.data() + value.size(), parsed);
      length = parsed;
    } else if (name == "transfer-encoding") {
      chunked = lower(value).find("chunked") != std::string::npos;
    } else if (name == "connection") {
      const std::string token = lower(value);
      if (token.find("close") != std::string::npos) reusable = false;
      if (token.find("keep-alive") != std::string::npos) reusable = true;
    } else if (name == "retry-after") {
      response.retry_after = std::string(value);
    }
  }
  if (status == 204 || status == 304 || status < 200) length = 0;
  if (!length && !chunked) reusable = false;  // delimited by close
  if (auto body = read_body(length, chunked, response); !body) return std::unexpected(body.error());
  return response;
}

Result<void> ResponseReader::read_body(const std::optional<size_t>& length, bool chunked,
                                       HttpResponse& out) {
  std::string& in = connection_.buffered_;
  if (chunked) {
    for (;;) {
      size_t line_end;
      while ((line_end = in.find("\r\n")) == std::string::npos) {
        if (auto more = need(in.size() + 1); !more) return more;
      }
      size_t size = 0;
      std::from_chars(in.data(), in.data() + line_end, size, 16);
      in.erase(0, line_end + 2);
      if (auto more = need(size + 2); !more) return more;
      keep(std::string_view(in).substr(0, size), out);
      in.erase(0, size + 2);
      if (size == 0) return {};  // trailers are not used by Loki; the blank line was eaten
    }
  }
  if (length) {
    if (auto more = need(*length); !more) return more;
    keep(std::string_view(in).substr(0, *length), out);
    in.erase(0, *length);
    return {};
  }
  for (;;) {
    keep(in, out);
    in.clear();
    auto more = connection_.read_more();
    if (!more) return std::unexpected(more.error());
    if (!*more) return {};
  }
}

class SocketTransport final : public HttpTransport {
 public:
  explicit SocketTransport(std::shared_ptr<const HttpClientFactory::Shared> shared)
      : shared_(std::move(shared)),
        connection_(*shared_, Clock::now(), {}),
        token_(shared_->options.bearer_token_file) {}

  Result<HttpResponse> post(std::string_view body, std::stop_token stop) override {
    const auto deadline = Clock::now() + shared_->options.timeout;
    connection_.set_deadline(deadline, stop);
    // A kept-alive connection the server closed while idle fails before any response
    // byte arrives; that one case is retried at once on a fresh connection.
    const bool reused = connection_.open();
    auto response = attempt(body);
    if (!response && reused && !got_bytes_ && response.error().code == ErrorCode::kRetryable) {
      response = attempt(body);
    }
    return response;
  }

 private:
  Result<HttpResponse> attempt(std::string_view body) {
    got_bytes_ = false;
    if (!connection_.open()) {
      if (auto connected = connection_.connect(); !connected) {
        connection_.close();
        return std::unexpected(connected.error());
      }
    }
    std::string head = shared_->request_head;
    if (!shared_->options.bearer_token_file.empty()) {
      // A token that cannot be read again keeps the last one; Loki judges it.
      (void)token_.refresh();
      head += "Authorization: " + token_.header_value() + "\r\n";
    }
    head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    auto sent = connection_.write_all(head);
    if (sent) sent = connection_.write_all(body);
    if (!sent) {
      connection_.close();
      return std::unexpected(sent.error());
    }
    ResponseReader reader(connection_);
    bool reusable = false;
    auto response = reader.read(reusable);
    got_bytes_ = reader.got_bytes();
    if (!response || !reusable) connection_.close();
    return response;
  }

  std::shared_ptr<const HttpClientFactory::Shared> shared_;
  Connection connection_;
  BearerToken token_;
  bool got_bytes_ = false;
};

}  // namespace

Result<HttpClientFactory> HttpClientFactory::create(HttpClientOptions options) {
  auto shared = std::make_shared<Shared>();
  const HttpUrl& url = options.url;
  shared->request_head = "POST " + url.path + " HTTP/1.1\r\nHost: " + url.host_header() + "\r\n";
  for (const auto& [name, value] : options.headers) {
    shared->request_head += name + ": " + value + "\r\n";
  }
  if (url.tls) {
    shared->tls.reset(SSL_CTX_new(TLS_client_method()));
    if (!shared->tls) return make_error(ErrorCode::kIo, "SSL_CTX_new: " + tls_error_text());
    SSL_CTX_set_min_proto_version(shared->tls.get(), TLS1_2_VERSION);
    SSL_CTX_set_verify(shared->tls.get(), SSL_VERIFY_PEER, nullptr);
    const int loaded =
        options.ca_file.empty()
            ? SSL_CTX_set_default_verify_paths(shared->tls.get())
            : SSL_CTX_load_verify_locations(shared->tls.get(), options.ca_file.c_str(), nullptr);
    if (loaded != 1) {
      return make_error(ErrorCode::kInvalidConfig,
                        "load CA certificates " +
                            (options.ca_file.empty() ? std::string("(system)") : options.ca_file) +
                            ": " + tls_error_text());
    }
  }
  shared->options = std::move(options);
  return HttpClientFactory(std::move(shared));
}

std::unique_ptr<HttpTransport> HttpClientFactory::make_transport() const {
  return std::make_unique<SocketTransport>(shared_);
}

}  // namespace logship
