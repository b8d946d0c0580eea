#pragma once
// HttpTransport: the seam between the Loki output and the network. One instance per
// request lane, holding one HTTP/1.1 keep-alive connection (plain TCP or TLS), so
// requests of a lane are strictly sequential. Tests substitute a scripted transport.
//
// Why our own client rather than cpp-httplib: Debian 12 packages httplib split into a
// header plus a shared library only, and the release binary is fully static. A POST with
// Content-Length, a response reader (Content-Length, chunked, close-delimited), keep-alive
// and OpenSSL is ~450 lines we fully control: every wait is bounded by the request timeout
// and interruptible by the stop token, which httplib's blocking client does not offer.
// Thread: called by its lane's thread only.

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/result.h"
#include "outputs/loki/http_url.h"

namespace logship {

struct HttpResponse {
  int status = 0;
  std::string body;  // at most the first 4 KiB (enough for an error message)
  std::optional<std::string> retry_after;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // POSTs `body`. No response (connect, TLS, write, read, timeout) is kRetryable; a stop
  // request is kShutdown.
  virtual Result<HttpResponse> post(std::string_view body, std::stop_token stop) = 0;
};

struct HttpClientOptions {
  HttpUrl url;
  // Sent with every request (Content-Type, Authorization, X-Scope-OrgID, ...).
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, every request carries `Authorization: Bearer <its content>`, read again
  // when the file changes (BearerToken).
  std::string bearer_token_file;
  std::string ca_file;  // https only; empty: the system CAs
  std::chrono::milliseconds timeout = std::chrono::seconds(30);
};

// Factory of per-lane transports sharing one TLS context. Fails on a bad CA file.
class HttpClientFactory {
 public:
  static Result<HttpClientFactory> create(HttpClientOptions options);
  std::unique_ptr<HttpTransport> make_transport() const;

  // Shared by every transport made here: the options and the OpenSSL context (defined in
  // http_client.cc; shared because each lane's transport and the factory hold it).
  struct Shared;

 private:
  explicit HttpClientFactory(std::shared_ptr<const Shared> shared) : shared_(std::move(shared)) {}
  std::shared_ptr<const Shared> shared_;
};

}  // namespace logship
