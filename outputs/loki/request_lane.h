#pragma once
// RequestLane: one of the output's `max_concurrent_requests` request slots. It owns an
// open request (filled by the send() thread), a queue of at most one sealed request, one
// HTTP connection and a thread that sends one request at a time and retries it until it
// is delivered or rejected, or the lane stops. Streams are pinned to lanes, so a stream's
// entries are never in two requests at once and reach Loki in order, retries included.
// A request is sealed when it reaches `batch_bytes`, when its oldest entry is `linger`
// old (a tenth of it while the memory budget is tight, rung 1 of the degradation ladder,
// so held batches return their bytes sooner), or on flush(). append() blocks while a
// sealed request is already waiting (backpressure to the pipeline). Retry-After from any
// lane holds every lane (RetryGate). Memory: at most four requests (open, sealed, in
// flight, one spare) and one body buffer, each charged to the memory budget at the
// capacity it holds; lines are not copied (a protobuf request borrows them from its
// batches, which are charged already).
// Thread: append/flush from the send() thread; the lane's own thread sends.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

#include "agent/memory_budget.h"
#include "outputs/loki/http_transport.h"
#include "outputs/loki/loki_config.h"
#include "outputs/loki/loki_stats.h"
#include "outputs/loki/pending_batch.h"
#include "outputs/loki/push_encoder.h"

namespace logship {

// Not before this time may any lane send: the server asked all of us to wait.
class RetryGate {
 public:
  void hold_until(std::chrono::steady_clock::time_point when);
  // Returns false when `stop` was requested while waiting.
  bool wait_open(std::stop_token stop);

 private:
  std::mutex mutex_;
  std::condition_variable_any changed_;
  std::chrono::steady_clock::time_point not_before_{};
};

struct LaneShared {
  const LokiOutputConfig& config;
  LokiStats& stats;
  RetryGate& gate;
  const LokiEvents& events;
  MemoryBudget* budget;  // null: nothing charged (tests)
};

class RequestLane {
 public:
  RequestLane(LaneShared shared, std::unique_ptr<HttpTransport> transport, uint64_t seed);
  ~RequestLane();

  // The send() thread holds this lock across consecutive append() calls.
  std::unique_lock<std::mutex> lock() { return std::unique_lock(mutex_); }
  // Adds one entry; false when `stop` came while waiting for room. `stop` by reference:
  // copying a stop_token per entry is two atomic operations on its shared state, which
  // was an eighth of the output thread's time.
  bool append(std::unique_lock<std::mutex>& lock, const std::shared_ptr<PendingBatch>& batch,
              uint32_t stream_id, const StreamLabels& labels, int64_t timestamp_ns,
              std::string_view line, const std::stop_token& stop);
  // Seals the open request now and every later one without waiting for linger.
  void flush();

 private:
  struct Request {
    explicit Request(const LaneShared& shared);
    PushRequestBuilder builder;
    MemoryLease charged;  // the builder's buffers
    std::vector<std::shared_ptr<PendingBatch>> batches;
    std::chrono::steady_clock::time_point opened;
  };

  // A cleared request to fill next, reusing a delivered one's buffers. Lock held.
  Request fresh_request();
  void run(std::stop_token stop);
  bool next_request(std::stop_token stop, Request& out);
  std::chrono::steady_clock::duration linger() const;
  void deliver(Request& request, std::stop_token stop);
  void finish(Request& request, bool rejected);
  bool pause(std::chrono::milliseconds delay, std::stop_token stop);

  LaneShared shared_;
  std::unique_ptr<HttpTransport> transport_;
  uint64_t seed_;
  std::mutex mutex_;
  std::condition_variable_any work_;  // lane thread waits for a request
  std::condition_variable_any room_;  // send() waits for the sealed slot
  Request open_;
  std::deque<Request> sealed_;
  // Buffers of delivered requests, reused so that steady state allocates nothing.
  std::vector<Request> spares_;
  bool flushing_ = false;
  bool failing_ = false;  // lane thread only: inside a retry episode
  std::string body_;      // lane thread only: the encoded body, capacity reused
  MemoryLease body_charged_;
  std::jthread thread_;  // last: stops and joins before the members above go
};

}  // namespace logship
