// LokiOutput with its real HTTP client against the loki_receiver process: keep-alive,
// Retry-After, 5xx, connection resets, hangs (request timeout), 400 and JSON pushes.
// The receiver's path comes from $LOKI_RECEIVER (set by ctest).
#include <arpa/inet.h>
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fstream>

#include <cstdlib>
#include <functional>
#include <string>

#include "agent/unique_fd.h"
#include "outputs/loki/loki_output.h"
#include "tests/loki/loki_test_support.h"

namespace logship {
namespace {

using loki_testing::make_batch;
using loki_testing::make_source;
using loki_testing::RecordingSink;
using loki_testing::TestLine;
using namespace std::chrono_literals;

class ReceiverProcess {
 public:
  ReceiverProcess() {
    const char* path = std::getenv("LOKI_RECEIVER");
    REQUIRE_MESSAGE(path != nullptr, "set LOKI_RECEIVER to the loki_receiver binary");
    int in[2], out[2];
    REQUIRE(::pipe(in) == 0);
    REQUIRE(::pipe(out) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::close(in[1]);
      ::close(out[0]);
      ::execl(path, path, static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    stdin_.reset(in[1]);
    UniqueFd stdout_fd(out[0]);
    std::string line;
    char c;
    while (::read(stdout_fd.get(), &c, 1) == 1 && c != '\n') line += c;
    port_ = std::atoi(line.c_str());
    REQUIRE_MESSAGE(port_ > 0, "loki_receiver did not print its port");
  }
  ~ReceiverProcess() {
    stdin_.reset();  // the receiver exits on EOF
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::string request(const std::string& method, const std::string& path,
                      const std::string& body = "") const {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port_));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    const std::string text = method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                             "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    REQUIRE(::send(fd.get(), text.data(), text.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(text.size()));
    std::string response;
    char chunk[4096];
    ssize_t got;
    while ((got = ::recv(fd.get(), chunk, sizeof(chunk), 0)) > 0) response.append(chunk, got);
    return response.substr(response.find("\r\n\r\n") + 4);
  }
  void script(const std::string& phases) const {
    REQUIRE(request("POST", "/control", phases) == "ok\n");
  }
  // A string counter of /stats (no escapes expected in what the tests send).
  std::string text_stat(const std::string& name) const {
    const std::string stats = request("GET", "/stats");
    const size_t at = stats.find("\"" + name + "\":\"");
    REQUIRE_MESSAGE(at != std::string::npos, stats);
    const size_t begin = at + name.size() + 4;
    return stats.substr(begin, stats.find('"', begin) - begin);
  }
  uint64_t stat(const std::string& name) const {
    const std::string stats = request("GET", "/stats");
    const size_t at = stats.find("\"" + name + "\":");
    REQUIRE_MESSAGE(at != std::string::npos, stats);
    return std::strtoull(stats.c_str() + at + name.size() + 3, nullptr, 10);
  }

 private:
  pid_t pid_ = -1;
  UniqueFd stdin_;
  int port_ = 0;
};

struct Setup {
  explicit Setup(LokiEncoding encoding = LokiEncoding::kProtobuf,
                 const std::function<void(LokiOutputConfig&)>& adjust = nullptr) {
    config.url = receiver.url();
    config.labels = {{"job", "{job}"}};
    config.encoding = encoding;
    config.batch_bytes = 2000;
    config.linger = 5ms;
    config.min_backoff = 20ms;
    config.max_backoff = 100ms;
    config.request_timeout = 500ms;
    config.max_concurrent_requests = 2;
    if (adjust) adjust(config);
    auto created = LokiOutput::create(config, nullptr, {}, nullptr);
    REQUIRE(created);
    output = std::move(*created);
  }
  void send_batches(int count, int lines_each) {
    for (int b = 0; b < count; ++b) {
      std::vector<TestLine> lines;
      const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      for (int i = 0; i < lines_each; ++i) {
        lines.push_back({"batch " + std::to_string(sent) + " line " + std::to_string(i), now});
      }
      const char* job = sent % 2 == 0 ? "even" : "odd";
      REQUIRE(output->send(make_batch(make_source({{"job", job}}), lines, sink, sent), {}));
      ++sent;
    }
  }
  bool drain(std::chrono::milliseconds within = 20s) {
    return output->drain(std::chrono::steady_clock::now() + within);
  }
  size_t count(Fate fate) const {
    size_t n = 0;
    for (const auto& [seq, f] : sink->fates()) n += f == fate;
    return n;
  }

  ReceiverProcess receiver;
  LokiOutputConfig config;
  std::shared_ptr<RecordingSink> sink = std::make_shared<RecordingSink>();
  std::unique_ptr<LokiOutput> output;
  uint64_t sent = 0;
};

TEST_CASE("batches reach the receiver once each over kept-alive connections") {
  Setup s;
  s.send_batches(40, 25);
  REQUIRE(s.drain());
  CHECK(s.count(Fate::kDelivered) == 40);
  CHECK(s.receiver.stat("accepted_entries") == 1000);
  CHECK(s.receiver.stat("invalid_requests") == 0);
  CHECK(s.receiver.stat("connections") <= 2 + 3);  // two lanes, plus our own stat calls
}

TEST_CASE("429 with Retry-After holds every lane until it elapses, then all is delivered") {
  Setup s;
  s.receiver.script("429 count=1 retry_after=1");
  const auto start = std::chrono::steady_clock::now();
  s.send_batches(10, 10);
  REQUIRE(s.drain());
  CHECK(std::chrono::steady_clock::now() - start >= 1s);
  CHECK(s.receiver.stat("retry_after_violations") == 0);
  CHECK(s.receiver.stat("accepted_entries") == 100);
  CHECK(s.output->stats().retries.load() >= 1);
}

TEST_CASE("5xx, resets and a hung request are retried without loss or duplicates") {
  Setup s;
  s.receiver.script("500 count=3\nreset count=3\nhang count=1\n503 count=2");
  s.send_batches(30, 10);
  REQUIRE(s.drain());
  CHECK(s.count(Fate::kDelivered) == 30);
  CHECK(s.receiver.stat("accepted_entries") == 300);
  CHECK(s.receiver.stat("faults_served") == 9);
  // A reset on a kept-alive connection is retried once at once inside the transport, so
  // there may be fewer counted retries than faults.
  CHECK(s.output->stats().retries.load() >= 5);
}

TEST_CASE("a 400 that the halves do not repeat rejects nothing") {
  Setup s;
  s.receiver.script("400 count=1");
  s.send_batches(2, 5);
  REQUIRE(s.drain());
  CHECK(s.count(Fate::kDelivered) == 2);
  CHECK(s.receiver.stat("accepted_entries") == 10);
  CHECK(s.output->stats().records_rejected.load() == 0);
}

TEST_CASE("a 400 with an empty body for every push rejects each entry alone, then flows") {
  Setup s;
  // Five entries bisect into 9 pushes: [0,5) [0,2) [0,1) [1,2) [2,5) [2,3) [3,5) [3,4) [4,5).
  s.receiver.script("400 count=9 body=empty");
  s.send_batches(1, 5);
  REQUIRE(s.drain());
  s.send_batches(3, 5);
  REQUIRE(s.drain());
  CHECK(s.count(Fate::kRejected) == 1);
  CHECK(s.count(Fate::kDelivered) == 3);
  CHECK(s.receiver.stat("accepted_entries") == 15);
  CHECK(s.receiver.stat("faults_served") == 9);
  CHECK(s.output->stats().requests_rejected.load() == 9);
  CHECK(s.output->stats().records_rejected.load() == 5);
}

TEST_CASE("JSON pushes are accepted too") {
  Setup s(LokiEncoding::kJson);
  s.send_batches(10, 10);
  REQUIRE(s.drain());
  CHECK(s.receiver.stat("accepted_entries") == 100);
}

TEST_CASE("the tenant and basic auth go with every push") {
  Setup s(LokiEncoding::kProtobuf, [](LokiOutputConfig& config) {
    config.tenant = "team-a";
    config.basic_auth_user = "user";
    config.basic_auth_password = "pass";
  });
  s.send_batches(2, 2);
  REQUIRE(s.drain());
  CHECK(s.receiver.text_stat("tenant") == "team-a");
  CHECK(s.receiver.text_stat("authorization") == "Basic dXNlcjpwYXNz");
}

TEST_CASE("a bearer token is read from its file; a missing file is a config error") {
  char path[] = "/tmp/loki-token-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, "s3cret\n", 7) == 7);
  ::close(fd);
  {
    Setup s(LokiEncoding::kProtobuf,
            [&](LokiOutputConfig& config) { config.bearer_token_file = path; });
    s.send_batches(1, 1);
    REQUIRE(s.drain());
    CHECK(s.receiver.text_stat("authorization") == "Bearer s3cret");
    // Rotated the way Kubernetes does it: a new file renamed over the old one.
    const std::string next = std::string(path) + ".next";
    { std::ofstream(next) << "rotated-token\n"; }
    REQUIRE(::rename(next.c_str(), path) == 0);
    s.send_batches(1, 1);
    REQUIRE(s.drain());
    CHECK(s.receiver.text_stat("authorization") == "Bearer rotated-token");
  }
  ::unlink(path);
  LokiOutputConfig config;
  config.bearer_token_file = path;
  auto missing = LokiOutput::create(config, nullptr, {}, nullptr);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kInvalidConfig);
}

TEST_CASE("an unreachable URL retries until stopped and reports nothing delivered") {
  LokiOutputConfig config;
  config.url = "http://127.0.0.1:1/loki/api/v1/push";
  config.min_backoff = 10ms;
  config.max_backoff = 20ms;
  config.linger = 1ms;
  auto output = LokiOutput::create(config, nullptr, {}, nullptr);
  REQUIRE(output);
  auto sink = std::make_shared<RecordingSink>();
  REQUIRE((*output)->send(make_batch(make_source({}), {{"x"}}, sink, 0), {}));
  CHECK_FALSE((*output)->drain(std::chrono::steady_clock::now() + 200ms));
  CHECK((*output)->stats().retries.load() >= 2);
  output->reset();
  CHECK(sink->fates()[0] == Fate::kDropped);
}

}  // namespace
}  // namespace logship
