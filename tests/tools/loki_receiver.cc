// loki_receiver: a Loki push endpoint on 127.0.0.1 for tests and benchmarks.
//
// POST /loki/api/v1/push   protobuf+snappy or JSON, handled as Loki handles it: each
//                          stream's labels (syntax, value length) and each entry (line
//                          size, UTF-8, timestamp window, per-stream order) are checked;
//                          the valid entries are stored even when others are not, and an
//                          entry whose (stream, timestamp, line) is stored already is
//                          skipped silently (Loki's de-duplication, which makes a retried
//                          push harmless). 204 when all were valid; else 400 with one
//                          Loki-worded line per invalid entry and "total ignored: N out of
//                          M". A body that does not decode is refused whole (400).
//                          Order is strict per stream (Loki with unordered_writes off), so
//                          a test sees any reordering.
// GET  /stats              JSON counters (accepted entries/bytes, faults served,
//                          Retry-After violations, ...), and "push_headers": every distinct
//                          (X-Scope-OrgID, Authorization) pair seen on a push, with the
//                          number of pushes (faulted ones included) that carried it.
// POST /control            body: a fault script replacing the current one, one phase a line:
//                            <status>|reset|hang|ok  count=N | duration_ms=D  [retry_after=S]
//                                                    [body=text|empty|binary]
//                          phases run in order; a duration starts at the first request the
//                          phase answers. "reset" reads the request then sends a TCP RST;
//                          "hang" reads it and never answers; `body` is what a status
//                          answer carries (default "injected failure").
// The first stdout line is the port. Accepted entries are appended to --store FILE as JSON
// lines {"labels":..,"ts":..,"line":..}. Exits when stdin reaches EOF (its driver is gone).
// Usage: loki_receiver [--port P] [--store FILE] [--max-line-bytes N]
//                      [--max-label-value-bytes N] [--max-age-s S]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "tests/tools/loki_push_decode.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kInFlightGrace = std::chrono::milliseconds(100);

struct Options {
  int port = 0;
  std::string store;
  size_t max_line_bytes = 256 * 1024;   // Loki's max_line_size
  size_t max_label_value_bytes = 2048;  // Loki's max_label_value_length
  int64_t max_age_s = 7 * 24 * 3600;    // Loki's reject_old_samples_max_age
};

struct Phase {
  std::string kind;  // "429", "500", "400", "reset", "hang", "ok"
  std::optional<uint64_t> count;
  std::optional<std::chrono::milliseconds> duration;
  int retry_after_s = -1;
  std::string body = "injected failure\n";
  std::optional<Clock::time_point> started;
};

enum class Action { kAccept, kStatus, kReset, kHang };

struct Fault {
  Action action = Action::kAccept;
  int status = 0;
  int retry_after_s = -1;
  std::string body;
};

struct Counters {
  uint64_t requests = 0;
  uint64_t accepted_requests = 0;
  uint64_t accepted_entries = 0;
  uint64_t accepted_bytes = 0;
  uint64_t invalid_requests = 0;
  uint64_t faults_served = 0;
  uint64_t retry_after_violations = 0;
  uint64_t rejected_entries = 0;           // invalid entries of accepted or refused pushes
  uint64_t duplicate_entries_skipped = 0;  // stored already: skipped silently, as Loki does
  uint64_t connections = 0;
  std::string tenant;         // X-Scope-OrgID of the last push
  std::string authorization;  // Authorization of the last push
  // Pushes per (X-Scope-OrgID, Authorization): one entry when every push carried the same.
  std::map<std::pair<std::string, std::string>, uint64_t> push_headers;
};

class Receiver {
 public:
  explicit Receiver(Options options) : options_(std::move(options)) {
    if (!options_.store.empty()) {
      store_ = std::fopen(options_.store.c_str(), "a");
      if (store_ == nullptr) {
        std::perror("loki_receiver: open store");
        std::exit(2);
      }
    }
  }

  // The fault (if any) for the next push request; counts Retry-After violations.
  Fault next_fault(const std::string& tenant, const std::string& authorization) {
    std::lock_guard lock(mutex_);
    counters_.tenant = tenant;
    counters_.authorization = authorization;
    ++counters_.push_headers[{tenant, authorization}];
    const auto now = Clock::now();
    ++counters_.requests;
    // A request arriving within kInFlightGrace of the 429 was already on its way when the
    // client got the answer; any later one before Retry-After elapsed is a violation.
    if (now < not_before_ && now - retry_after_sent_ > kInFlightGrace) {
      ++counters_.retry_after_violations;
    }
    while (!script_.empty()) {
      Phase& phase = script_.front();
      if (!phase.started) phase.started = now;
      const bool expired = (phase.count && *phase.count == 0) ||
                           (phase.duration && now - *phase.started >= *phase.duration);
      if (expired) {
        script_.pop_front();
        continue;
      }
      if (phase.count) --*phase.count;
      Fault fault;
      if (phase.kind == "ok") return fault;
      ++counters_.faults_served;
      if (phase.kind == "reset") {
        fault.action = Action::kReset;
      } else if (phase.kind == "hang") {
        fault.action = Action::kHang;
      } else {
        fault.action = Action::kStatus;
        fault.status = std::atoi(phase.kind.c_str());
        fault.retry_after_s = phase.retry_after_s;
        fault.body = phase.body;
        if (fault.retry_after_s >= 0) {
          not_before_ = std::max(not_before_, now + std::chrono::seconds(fault.retry_after_s));
          retry_after_sent_ = now;
        }
      }
      return fault;
    }
    return {};
  }

  std::string set_script(const std::string& text) {
    std::deque<Phase> script;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      std::istringstream words(line);
      Phase phase;
      if (!(words >> phase.kind)) continue;
      std::string word;
      while (words >> word) {
        if (word == "body=text") continue;
        if (word == "body=empty") {
          phase.body.clear();
          continue;
        }
        if (word == "body=binary") {
          phase.body = std::string("\x00\xff\xfe\x01\x80", 5);
          continue;
        }
        const auto eq = word.find('=');
        const std::string key = word.substr(0, eq);
        const long value = eq == std::string::npos ? -1 : std::atol(word.c_str() + eq + 1);
        if (key == "count") {
          phase.count = value;
        } else if (key == "duration_ms") {
          phase.duration = std::chrono::milliseconds(value);
        } else if (key == "retry_after") {
          phase.retry_after_s = static_cast<int>(value);
        } else {
          return "unknown word " + word;
        }
      }
      if (!phase.count && !phase.duration) return "phase needs count= or duration_ms=";
      script.push_back(phase);
    }
    std::lock_guard lock(mutex_);
    script_ = std::move(script);
    return {};
  }

  // Stores the valid entries of a decoded push; returns Loki's message for the invalid
  // ones, or empty when there were none.
  std::string accept(const std::vector<loki_test::PushStream>& streams) {
    const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const int64_t oldest = now_ns - options_.max_age_s * 1'000'000'000;
    const int64_t newest = now_ns + int64_t{600} * 1'000'000'000;
    std::lock_guard lock(mutex_);
    std::string errors;
    uint64_t total = 0;
    uint64_t ignored = 0;
    auto refuse = [&](std::string message) {
      ++ignored;
      errors += message;
      errors += '\n';
    };
    for (const auto& stream : streams) {
      total += stream.entries.size();
      const std::string stream_error = check_labels(stream.labels);
      if (!stream_error.empty()) {
        for (size_t i = 0; i < stream.entries.size(); ++i) refuse(stream_error);
        continue;
      }
      Held& held = held_[stream.labels];
      for (const auto& entry : stream.entries) {
        if (entry.line.size() > options_.max_line_bytes) {
          refuse("Max entry size '" + std::to_string(options_.max_line_bytes) +
                 "' bytes exceeded for stream '" + stream.labels +
                 "' while adding an entry with length '" + std::to_string(entry.line.size()) +
                 "' bytes");
          continue;
        }
        if (!loki_test::valid_utf8(entry.line)) {
          refuse("entry for stream '" + stream.labels + "' is not valid UTF-8");
          continue;
        }
        if (entry.timestamp_ns < oldest) {
          refuse("entry for stream '" + stream.labels +
                 "' has timestamp too old: " + std::to_string(entry.timestamp_ns) +
                 ", oldest acceptable timestamp is: " + std::to_string(oldest));
          continue;
        }
        if (entry.timestamp_ns > newest) {
          refuse("entry for stream '" + stream.labels +
                 "' has timestamp too new: " + std::to_string(entry.timestamp_ns));
          continue;
        }
        const uint64_t line_hash = std::hash<std::string_view>()(entry.line);
        if (held.holds(entry.timestamp_ns, line_hash)) {
          ++counters_.duplicate_entries_skipped;
          continue;
        }
        if (!held.entries.empty() && entry.timestamp_ns < held.entries.back().first) {
          refuse("entry with timestamp " + std::to_string(entry.timestamp_ns) +
                 " ignored, reason: 'entry out of order' for stream: " + stream.labels);
          continue;
        }
        held.entries.emplace_back(entry.timestamp_ns, line_hash);
        ++counters_.accepted_entries;
        counters_.accepted_bytes += entry.line.size();
        if (store_ != nullptr) write_entry(stream.labels, entry);
      }
    }
    counters_.rejected_entries += ignored;
    if (store_ != nullptr) std::fflush(store_);
    if (ignored == 0) {
      ++counters_.accepted_requests;
      return {};
    }
    return errors + "total ignored: " + std::to_string(ignored) + " out of " +
           std::to_string(total);
  }

  void count_invalid() {
    std::lock_guard lock(mutex_);
    ++counters_.invalid_requests;
  }
  void count_connection() {
    std::lock_guard lock(mutex_);
    ++counters_.connections;
  }

  std::string stats_json() {
    std::lock_guard lock(mutex_);
    const Counters& c = counters_;
    std::string push_headers = "[";
    for (const auto& [headers, pushes] : c.push_headers) {
      if (push_headers.size() > 1) push_headers += ',';
      push_headers += "{\"tenant\":" + json_string(headers.first) +
                      ",\"authorization\":" + json_string(headers.second) +
                      ",\"pushes\":" + std::to_string(pushes) + "}";
    }
    push_headers += ']';
    return "{\"requests\":" + std::to_string(c.requests) +
           ",\"accepted_requests\":" + std::to_string(c.accepted_requests) +
           ",\"accepted_entries\":" + std::to_string(c.accepted_entries) +
           ",\"accepted_bytes\":" + std::to_string(c.accepted_bytes) +
           ",\"invalid_requests\":" + std::to_string(c.invalid_requests) +
           ",\"faults_served\":" + std::to_string(c.faults_served) +
           ",\"retry_after_violations\":" + std::to_string(c.retry_after_violations) +
           ",\"rejected_entries\":" + std::to_string(c.rejected_entries) +
           ",\"duplicate_entries_skipped\":" + std::to_string(c.duplicate_entries_skipped) +
           ",\"connections\":" + std::to_string(c.connections) +
           ",\"streams\":" + std::to_string(held_.size()) +
           ",\"script_phases_left\":" + std::to_string(script_.size()) +
           ",\"tenant\":" + json_string(c.tenant) +
           ",\"authorization\":" + json_string(c.authorization) +
           ",\"push_headers\":" + push_headers + "}";
  }

 private:
  // A stream's stored entries as (timestamp, hash of the line), in timestamp order.
  struct Held {
    std::vector<std::pair<int64_t, uint64_t>> entries;
    bool holds(int64_t timestamp_ns, uint64_t line_hash) const {
      auto it = std::lower_bound(entries.begin(), entries.end(),
                                 std::pair<int64_t, uint64_t>{timestamp_ns, 0});
      for (; it != entries.end() && it->first == timestamp_ns; ++it) {
        if (it->second == line_hash) return true;
      }
      return false;
    }
  };

  // Loki's stream checks; the message for every entry of a stream that fails them.
  std::string check_labels(const std::string& text) const {
    loki_test::Labels labels;
    if (auto error = loki_test::parse_label_set(text, labels); !error.empty()) {
      return "error parsing labels '" + text + "' with error: " + error;
    }
    for (const auto& [name, value] : labels) {
      if (value.size() > options_.max_label_value_bytes) {
        return "stream '" + text + "' has label value too long: '" + value + "'";
      }
    }
    return {};
  }

  void write_entry(const std::string& labels, const loki_test::PushEntry& entry) {
    std::string out = "{\"labels\":";
    append_json(out, labels);
    out += ",\"ts\":" + std::to_string(entry.timestamp_ns) + ",\"line\":";
    append_json(out, entry.line);
    out += "}\n";
    std::fwrite(out.data(), 1, out.size(), store_);
  }
  static std::string json_string(std::string_view text) {
    std::string out;
    append_json(out, text);
    return out;
  }
  static void append_json(std::string& out, std::string_view text) {
    out += '"';
    for (char c : text) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        char escape[8];
        std::snprintf(escape, sizeof(escape), "\\u%04x", c);
        out += escape;
      } else {
        out += c;
      }
    }
    out += '"';
  }

  Options options_;
  std::FILE* store_ = nullptr;
  std::mutex mutex_;
  Counters counters_;
  std::deque<Phase> script_;
  Clock::time_point not_before_{};
  Clock::time_point retry_after_sent_{};
  std::unordered_map<std::string, Held> held_;
};

struct Request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool keep_alive = true;
};

// Reads one request; false on EOF or a malformed request.
bool read_request(int fd, std::string& buffer, Request& out) {
  size_t head_end;
  char chunk[256 * 1024];
  while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t got = ::recv(fd, chunk, sizeof(chunk), 0);
    if (got <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(got));
  }
  std::istringstream head(buffer.substr(0, head_end));
  buffer.erase(0, head_end + 4);
  std::string version;
  head >> out.method >> out.path >> version;
  out.keep_alive = version == "HTTP/1.1";
  std::string line;
  std::getline(head, line);
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    out.headers[name] = value;
  }
  if (out.headers["connection"] == "close") out.keep_alive = false;
  size_t length = 0;
  if (auto it = out.headers.find("content-length"); it != out.headers.end()) {
    length = std::strtoull(it->second.c_str(), nullptr, 10);
  }
  while (buffer.size() < length) {
    const ssize_t got = ::recv(fd, chunk, sizeof(chunk), 0);
    if (got <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(got));
  }
  out.body = buffer.substr(0, length);
  buffer.erase(0, length);
  return true;
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent <= 0) return false;
    data.remove_prefix(static_cast<size_t>(sent));
  }
  return true;
}

bool respond(int fd, int status, std::string_view body, int retry_after_s = -1,
             std::string_view content_type = "text/plain") {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " Status\r\n";
  if (retry_after_s >= 0) out += "Retry-After: " + std::to_string(retry_after_s) + "\r\n";
  out += "Content-Type: " + std::string(content_type) + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  return send_all(fd, out);
}

void reset_connection(int fd) {
  linger hard{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
}

// Handles a push; returns false when the connection must end.
bool handle_push(Receiver& receiver, int fd, Request& request) {
  const Fault fault =
      receiver.next_fault(request.headers["x-scope-orgid"], request.headers["authorization"]);
  switch (fault.action) {
    case Action::kReset:
      reset_connection(fd);
      return false;
    case Action::kHang: {
      char sink[4096];
      while (::recv(fd, sink, sizeof(sink), 0) > 0) {
      }
      return false;
    }
    case Action::kStatus:
      return respond(fd, fault.status, fault.body, fault.retry_after_s);
    case Action::kAccept:
      break;
  }
  std::vector<loki_test::PushStream> streams;
  std::string scratch;
  const std::string& type = request.headers["content-type"];
  std::string error;
  if (type.starts_with("application/x-protobuf")) {
    error = loki_test::decode_push_protobuf(request.body, scratch, streams);
  } else if (type.starts_with("application/json")) {
    error = loki_test::decode_push_json(request.body, streams);
  } else {
    error = "unsupported Content-Type " + type;
  }
  if (error.empty()) error = receiver.accept(streams);
  if (!error.empty()) {
    receiver.count_invalid();
    return respond(fd, 400, error + "\n");
  }
  return respond(fd, 204, "");
}

void serve_connection(Receiver& receiver, int fd) {
  receiver.count_connection();
  std::string buffer;
  for (;;) {
    Request request;
    if (!read_request(fd, buffer, request)) break;
    bool keep = request.keep_alive;
    if (request.method == "POST" && request.path == "/loki/api/v1/push") {
      keep = handle_push(receiver, fd, request) && keep;
    } else if (request.method == "GET" && request.path == "/stats") {
      keep = respond(fd, 200, receiver.stats_json(), -1, "application/json") && keep;
    } else if (request.method == "POST" && request.path == "/control") {
      const std::string error = receiver.set_script(request.body);
      keep = respond(fd, error.empty() ? 200 : 400, error.empty() ? "ok\n" : error + "\n") && keep;
    } else {
      keep = respond(fd, 404, "not found\n") && keep;
    }
    if (!keep) break;
  }
  ::close(fd);
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--port") {
      options.port = std::atoi(argv[i + 1]);
    } else if (flag == "--store") {
      options.store = argv[i + 1];
    } else if (flag == "--max-line-bytes") {
      options.max_line_bytes = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--max-label-value-bytes") {
      options.max_label_value_bytes = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--max-age-s") {
      options.max_age_s = std::strtoll(argv[i + 1], nullptr, 10);
    } else {
      std::fprintf(stderr, "loki_receiver: unknown option %s\n", flag.c_str());
      std::exit(2);
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  Receiver receiver(options);
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(options.port));
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener, 128) != 0) {
    std::perror("loki_receiver: bind/listen");
    return 2;
  }
  socklen_t size = sizeof(address);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
  std::printf("%d\n", ntohs(address.sin_port));
  std::fflush(stdout);

  // The driver holds our stdin; when it goes away, so do we.
  std::jthread watchdog([] {
    char byte;
    while (::read(0, &byte, 1) > 0) {
    }
    std::_Exit(0);
  });
  std::list<std::jthread> connections;  // joined at exit; a test run makes few of them
  for (;;) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    connections.emplace_back([&receiver, fd] { serve_connection(receiver, fd); });
  }
}
