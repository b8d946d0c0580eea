#include "outputs/loki/loki_output.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <random>
#include <thread>

#include "tests/loki/loki_test_support.h"
#include "tests/tools/loki_push_decode.h"

namespace logship {
namespace {

using loki_testing::make_batch;
using loki_testing::make_source;
using loki_testing::RecordingSink;
using loki_testing::TestLine;
using namespace std::chrono_literals;

// A scripted Loki: answers each push with the next scripted status (0: network error;
// none left: Loki's answer) and keeps the entries of the pushes it answered with 204.
// Without a script it behaves as Loki: it stores every valid entry of a push, skips one it
// holds already (same stream, timestamp and line), and answers 400 naming the invalid
// ones (lines starting "poison") if there were any.
class FakeLoki {
 public:
  void script(std::deque<int> statuses) {
    std::lock_guard lock(mutex_);
    statuses_ = std::move(statuses);
  }
  Result<HttpResponse> answer(std::string_view body) {
    std::lock_guard lock(mutex_);
    ++attempts_;
    if (!statuses_.empty()) {
      const int status = statuses_.front();
      statuses_.pop_front();
      if (status == 0) return make_error(ErrorCode::kRetryable, "connection reset");
      if (status != 204) return HttpResponse{status, "bad request: line one\nline two", {}};
    }
    std::string scratch;
    std::vector<loki_test::PushStream> streams;
    REQUIRE(loki_test::decode_push_protobuf(body, scratch, streams).empty());
    std::string errors;
    for (const auto& stream : streams) {
      auto& stored = streams_[stream.labels];
      for (const auto& entry : stream.entries) {
        if (entry.line.starts_with("poison")) {
          errors += "entry for stream '" + stream.labels +
                    "' has timestamp too old: " + std::to_string(entry.timestamp_ns) + "\n";
          continue;
        }
        const std::pair<int64_t, std::string> held(entry.timestamp_ns, std::string(entry.line));
        if (std::ranges::find(stored, held) == stored.end()) stored.push_back(held);
      }
    }
    if (!errors.empty()) return HttpResponse{400, errors, std::nullopt};
    return HttpResponse{204, "", std::nullopt};
  }
  std::map<std::string, std::vector<std::pair<int64_t, std::string>>> streams() {
    std::lock_guard lock(mutex_);
    return streams_;
  }
  int attempts() {
    std::lock_guard lock(mutex_);
    return attempts_;
  }

 private:
  std::mutex mutex_;
  std::deque<int> statuses_;
  std::map<std::string, std::vector<std::pair<int64_t, std::string>>> streams_;
  int attempts_ = 0;
};

class FakeTransport final : public HttpTransport {
 public:
  explicit FakeTransport(std::shared_ptr<FakeLoki> loki) : loki_(std::move(loki)) {}
  Result<HttpResponse> post(std::string_view body, std::stop_token stop) override {
    if (stop.stop_requested()) return make_error(ErrorCode::kShutdown, "stopping");
    return loki_->answer(body);
  }

 private:
  std::shared_ptr<FakeLoki> loki_;
};

using Labels = std::map<std::string, std::string>;

struct Fixture {
  Fixture() : Fixture(Labels{{"job", "{job}"}}, 3) {}
  explicit Fixture(Labels labels, int64_t lanes = 3, int64_t max_streams = 10000,
                   std::chrono::milliseconds linger = 5ms, MemoryBudget* budget = nullptr) {
    config.labels = std::move(labels);
    config.max_streams = max_streams;
    config.batch_bytes = 300;
    config.linger = linger;
    config.min_backoff = 1ms;
    config.max_backoff = 4ms;
    config.max_concurrent_requests = lanes;
    auto templates = compile_label_templates({config.labels.begin(), config.labels.end()});
    REQUIRE(templates);
    output = std::make_unique<LokiOutput>(
        config, std::move(*templates), [this] { return std::make_unique<FakeTransport>(loki); },
        nullptr,
        LokiEvents{.log =
                       [this](const LokiEvent& event) {
                         std::lock_guard lock(log_mutex);
                         log.push_back(event);
                       },
                   .latency = [this](double) { latencies.fetch_add(1); }},
        budget);
  }
  bool drain() { return output->drain(std::chrono::steady_clock::now() + 10s); }

  std::shared_ptr<FakeLoki> loki = std::make_shared<FakeLoki>();
  std::shared_ptr<RecordingSink> sink = std::make_shared<RecordingSink>();
  LokiOutputConfig config;
  std::mutex log_mutex;
  std::vector<LokiEvent> log;
  std::atomic<uint64_t> latencies{0};
  std::unique_ptr<LokiOutput> output;
};

std::vector<TestLine> numbered(std::string prefix, int from, int count, std::string level = "") {
  std::vector<TestLine> lines;
  for (int i = from; i < from + count; ++i) {
    TestLine line{prefix + std::to_string(i), 1'700'000'000'000'000'000 + i, {}};
    if (!level.empty()) line.fields.emplace_back("level", level);
    lines.push_back(line);
  }
  return lines;
}

TEST_CASE("every batch is delivered once, in order per stream, then settled delivered") {
  Fixture f;
  uint64_t sequence = 0;
  for (int b = 0; b < 20; ++b) {
    for (const char* job : {"a", "b", "c", "d"}) {
      REQUIRE(f.output->send(
          make_batch(make_source({{"job", job}}), numbered(std::string(job) + "-", b * 10, 10),
                     f.sink, sequence++),
          {}));
    }
  }
  REQUIRE(f.drain());
  for (const auto& [seq, fate] : f.sink->fates()) CHECK(fate == Fate::kDelivered);
  CHECK(f.sink->fates().size() == sequence);
  auto streams = f.loki->streams();
  REQUIRE(streams.size() == 4);
  for (const auto& [labels, entries] : streams) {
    CAPTURE(labels);
    REQUIRE(entries.size() == 200);
    const std::string job = labels.substr(6, 1);
    for (size_t i = 0; i < entries.size(); ++i) {
      CHECK(entries[i].second == job + "-" + std::to_string(i));
      if (i > 0) CHECK(entries[i].first > entries[i - 1].first);
    }
  }
  CHECK(f.output->stats().records_delivered == 800);
}

TEST_CASE("retryable answers are retried until delivered, without reordering a stream") {
  Fixture f(Labels{{"level", "{fields.level}"}});
  f.loki->script({429, 500, 0, 503, 260, 0, 0, 502, 429, 500});
  uint64_t sequence = 0;
  for (int b = 0; b < 30; ++b) {
    std::vector<TestLine> lines = numbered("info-", b * 4, 4, "info");
    for (auto& line : numbered("warn-", b * 4, 4, "warn")) lines.push_back(line);
    REQUIRE(f.output->send(make_batch(make_source({}), lines, f.sink, sequence++), {}));
  }
  REQUIRE(f.drain());
  for (const auto& [seq, fate] : f.sink->fates()) CHECK(fate == Fate::kDelivered);
  auto streams = f.loki->streams();
  for (const char* level : {"info", "warn"}) {
    const auto& entries = streams[std::string("{level=\"") + level + "\"}"];
    REQUIRE(entries.size() == 120);
    for (size_t i = 0; i < entries.size(); ++i) {
      CHECK(entries[i].second == std::string(level) + "-" + std::to_string(i));
    }
  }
  CHECK(f.output->stats().retries == 10);
  CHECK(f.output->counters().retries == 10);
  CHECK(f.output->counters().in_flight == 0);
  // Every attempt is timed and every failed one reported: the agent's log rate-limits.
  CHECK(f.latencies == f.output->stats().requests);
  std::lock_guard lock(f.log_mutex);
  CHECK(std::ranges::count_if(
            f.log, [](const LokiEvent& e) { return e.kind == LokiEvent::Kind::kRetrying; }) == 10);
}

TEST_CASE("a 400 for every entry rejects each alone, logs each, and later batches flow") {
  Fixture f(Labels{{"job", "{job}"}}, 1);
  // Three entries: the request, its halves (1 + 2), the second half's halves: five 400s.
  f.loki->script({400, 400, 400, 400, 400});
  auto ledger = std::make_shared<Ledger>();
  REQUIRE(f.output->send(
      make_batch(make_source({{"job", "x"}}), numbered("r", 0, 3), f.sink, 0, ledger), {}));
  REQUIRE(f.drain());
  REQUIRE(f.output->send(
      make_batch(make_source({{"job", "x"}}), numbered("d", 0, 3), f.sink, 1, ledger), {}));
  REQUIRE(f.drain());
  auto fates = f.sink->fates();
  CHECK(fates[0] == Fate::kRejected);
  CHECK(fates[1] == Fate::kDelivered);
  CHECK(f.loki->attempts() == 6);
  CHECK(f.output->stats().requests_rejected == 5);
  CHECK(f.output->stats().records_rejected == 3);
  CHECK(f.loki->streams()["{job=\"x\"}"].size() == 3);
  const LedgerSnapshot counted = ledger->snapshot();
  CHECK(counted.delivered == 3);
  CHECK(counted.rejected == std::map<std::string, uint64_t, std::less<>>{{"other", 3}});
  CHECK(counted.in_flight() == 0);
  std::lock_guard lock(f.log_mutex);
  REQUIRE(f.log.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(f.log[i].kind == LokiEvent::Kind::kRejected);
    CHECK(f.log[i].status == 400);
    CHECK(f.log[i].reason == "other");
    CHECK(f.log[i].path == "/var/log/a.log");
    CHECK(f.log[i].offset == 3 * i);  // "r0\n", "r1\n", "r2\n"
    CHECK(f.log[i].error.find("line one") != std::string::npos);
    CHECK(f.log[i].error.find("line two") == std::string::npos);
  }
}

TEST_CASE("a 400 costs only the entries Loki refused; nothing it stored is doubled") {
  Fixture f(Labels{{"level", "{fields.level}"}}, 2);
  auto ledger = std::make_shared<Ledger>();
  std::vector<std::string> expected_info, expected_warn;
  uint64_t sequence = 0;
  int poison = 0;
  for (int b = 0; b < 10; ++b) {
    std::vector<TestLine> lines;
    for (int i = 0; i < 50; ++i) {
      const int n = b * 50 + i;
      const bool bad = n % 37 == 5;
      const std::string level = n % 3 == 0 ? "warn" : "info";
      const std::string text = (bad ? "poison-" : "ok-") + std::to_string(n);
      lines.push_back({text, 1'700'000'000'000'000'000 + n, {{"level", level}}});
      if (bad) {
        ++poison;
      } else {
        (level == "warn" ? expected_warn : expected_info).push_back(text);
      }
    }
    REQUIRE(f.output->send(make_batch(make_source({}), lines, f.sink, sequence++, ledger), {}));
  }
  REQUIRE(f.drain());
  auto streams = f.loki->streams();
  auto lines_of = [&](const std::string& labels) {
    std::vector<std::string> out;
    for (const auto& [ts, line] : streams[labels]) out.push_back(line);
    return out;
  };
  CHECK(lines_of("{level=\"info\"}") == expected_info);
  CHECK(lines_of("{level=\"warn\"}") == expected_warn);
  const LedgerSnapshot counted = ledger->snapshot();
  CHECK(counted.rejected == std::map<std::string, uint64_t, std::less<>>{{"too_old", poison}});
  CHECK(counted.delivered == 500 - poison);
  CHECK(counted.in_flight() == 0);
  CHECK(f.output->stats().records_rejected == static_cast<uint64_t>(poison));
  // Bisection is bounded: about 2 x log2(entries) pushes per poison entry, not per entry.
  CHECK(f.loki->attempts() < 20 * poison);
}

TEST_CASE("401, 403 and 404 are retried as endpoint faults: nothing is rejected") {
  Fixture f(Labels{{"job", "{job}"}}, 1);
  f.loki->script({401, 403, 404, 405, 407});
  auto ledger = std::make_shared<Ledger>();
  REQUIRE(f.output->send(
      make_batch(make_source({{"job", "x"}}), numbered("a", 0, 4), f.sink, 0, ledger), {}));
  REQUIRE(f.drain());
  CHECK(f.sink->fates()[0] == Fate::kDelivered);
  CHECK(ledger->snapshot().delivered == 4);
  CHECK(f.output->stats().records_rejected == 0);
  CHECK(f.output->counters().up);
  CHECK(f.output->counters().last_success_unix_ns > 0);
  std::lock_guard lock(f.log_mutex);
  CHECK(std::ranges::count_if(f.log, [](const LokiEvent& e) {
          return e.kind == LokiEvent::Kind::kEndpointFault;
        }) == 5);
}

TEST_CASE("the output is down from a failed attempt until Loki answers again") {
  Fixture f(Labels{{"job", "{job}"}}, 1);
  CHECK(f.output->counters().up);
  CHECK(f.output->counters().last_success_unix_ns == 0);
  f.loki->script({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  REQUIRE(
      f.output->send(make_batch(make_source({{"job", "x"}}), numbered("a", 0, 1), f.sink, 0), {}));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (f.output->counters().up && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  CHECK_FALSE(f.output->counters().up);
  REQUIRE(f.drain());
  CHECK(f.output->counters().up);
}

TEST_CASE("a batch spread over streams is rejected if any part is, once all parts settle") {
  Fixture f(Labels{{"level", "{fields.level}"}}, 2);
  std::vector<TestLine> lines = numbered("i", 0, 2, "info");
  lines.push_back({"poison-w0", 1'700'000'000'000'000'100, {{"level", "warn"}}});
  lines.push_back({"w1", 1'700'000'000'000'000'101, {{"level", "warn"}}});
  auto ledger = std::make_shared<Ledger>();
  REQUIRE(f.output->send(make_batch(make_source({}), lines, f.sink, 0, ledger), {}));
  REQUIRE(f.drain());
  CHECK(f.sink->fates()[0] == Fate::kRejected);
  CHECK(ledger->snapshot().delivered == 3);
  CHECK(ledger->snapshot().rejected_total() == 1);
}

TEST_CASE("an unreachable Loki keeps batches unsettled; destroying the output drops them") {
  Fixture f;
  f.loki->script(std::deque<int>(100000, 503));
  REQUIRE(
      f.output->send(make_batch(make_source({{"job", "x"}}), numbered("l", 0, 3), f.sink, 0), {}));
  CHECK_FALSE(f.output->drain(std::chrono::steady_clock::now() + 50ms));
  CHECK(f.sink->fates().empty());
  f.output.reset();
  CHECK(f.sink->fates()[0] == Fate::kDropped);
}

TEST_CASE("records over max_streams ship without field labels, counted and reported per batch") {
  Fixture f(Labels{{"level", "{fields.level}"}}, 2, 2);
  std::vector<TestLine> first = numbered("i", 0, 2, "info");
  for (auto& line : numbered("w", 0, 2, "warn")) first.push_back(line);
  REQUIRE(f.output->send(make_batch(make_source({}), first, f.sink, 0), {}));
  std::vector<TestLine> over = numbered("e", 0, 3, "error");
  for (auto& line : numbered("i", 2, 1, "info")) over.push_back(line);
  REQUIRE(f.output->send(make_batch(make_source({}), over, f.sink, 1), {}));
  REQUIRE(f.output->send(make_batch(make_source({}), numbered("w", 2, 2, "warn"), f.sink, 2), {}));
  REQUIRE(f.drain());
  CHECK(f.output->stats().records_over_stream_limit == 3);
  auto streams = f.loki->streams();
  CHECK(streams["{level=\"info\"}"].size() == 3);
  CHECK(streams["{level=\"warn\"}"].size() == 4);
  CHECK(streams.size() == 3);  // and one without the level label, for the three errors
  std::lock_guard lock(f.log_mutex);
  REQUIRE(f.log.size() == 1);  // the batches within the cap report nothing
  CHECK(f.log[0].kind == LokiEvent::Kind::kOverStreamLimit);
  CHECK(f.log[0].entries == 3);
}

TEST_CASE("while memory is tight a request is sealed after a tenth of its linger") {
  // Rung 1 of the degradation ladder: a request holding batches gives their bytes back
  // sooner. With the budget at its high-water mark, a 20 s linger seals after 2 s.
  MemoryBudget budget(64 << 20);
  const MemoryLease high_water = budget.take_now(budget.limit() / 4 * 3);
  REQUIRE(budget.tight());
  Fixture f(Labels{{"job", "{job}"}}, 1, 10000, 20s, &budget);
  REQUIRE(
      f.output->send(make_batch(make_source({{"job", "a"}}), numbered("a-", 0, 3), f.sink, 0), {}));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (f.loki->streams().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE_MESSAGE(!f.loki->streams().empty(), "not pushed within 10 s of a 20 s linger");
  CHECK(f.loki->streams().begin()->second.size() == 3);
}

TEST_CASE("an empty batch is settled delivered at once") {
  Fixture f;
  REQUIRE(f.output->send(make_batch(make_source({}), {}, f.sink, 0), {}));
  CHECK(f.sink->fates()[0] == Fate::kDelivered);
  CHECK(f.loki->attempts() == 0);
}

}  // namespace
}  // namespace logship
