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
// lane holds every lane (RetryGate). A request Loki refuses (400, 413) is split in halves,
// each pushed again with the same entries (Loki de-duplicates what it stored already),
// down to the single entries that still fail alone: only those are rejected, each with
// the reason Loki gave (at most about 2x entries extra pushes when every entry is bad). Memory: at
// most four requests (open, sealed, in flight, one spare) and one body buffer, each charged to the
// memory budget at the capacity it holds; lines are not copied (a protobuf request borrows them
// from its batches, which are charged already). Thread: append/flush from the send() thread; the
// lane's own thread sends.

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
  // `record` is one of `batch`'s; its line is sent with `timestamp_ns`.
  bool append(std::unique_lock<std::mutex>& lock, const std::shared_ptr<PendingBatch>& batch,
              const Record& record, uint32_t stream_id, const StreamLabels& labels,
              int64_t timestamp_ns, const std::stop_token& stop);
  // Seals the open request now and every later one without waiting for linger.
  void flush();

 private:
  // Where an entry of a request came from: its batch (an index into `batches`) and record.
  struct EntryOrigin {
    uint32_t batch = 0;
    const Record* record = nullptr;
  };
  struct Request {
    explicit Request(const LaneShared& shared);
    uint64_t buffer_bytes() const;
    PushRequestBuilder builder;
    MemoryLease charged;  // the builder's buffers and `origins`
    std::vector<std::shared_ptr<PendingBatch>> batches;
    std::vector<EntryOrigin> origins;  // one per entry, in the builder's order
    std::chrono::steady_clock::time_point opened;
  };
  // Entries [first, end) of a request, pushed as one body.
  struct EntryRange {
    uint32_t first = 0;
    uint32_t end = 0;
  };
  // An entry Loki refused alone.
  struct RefusedEntry {
    uint32_t entry = 0;
    std::string_view reason;
  };
  struct Refusal {
    int status = 0;
    std::string error;  // the response body's first line
  };

  // A cleared request to fill next, reusing a delivered one's buffers. Lock held.
  Request fresh_request();
  void run(std::stop_token stop);
  bool next_request(std::stop_token stop, Request& out);
  std::chrono::steady_clock::duration linger() const;
  void deliver(Request& request, std::stop_token stop);
  // Pushes `range` until Loki stores it (nullopt) or refuses it; false in `stopped` when
  // the lane stopped first.
  std::optional<Refusal> push(const Request& request, EntryRange range, std::stop_token stop,
                              bool& stopped);
  void refuse(const Request& request, uint32_t entry, const Refusal& refusal);
  void finish(Request& request);
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
  // Lane thread only:
  bool failing_ = false;               // inside a retry episode
  std::string body_;                   // the encoded body, capacity reused
  std::vector<EntryRange> ranges_;     // still to push, the next one last
  std::vector<RefusedEntry> refused_;  // of the request being delivered
  MemoryLease body_charged_;
  std::jthread thread_;  // last: stops and joins before the members above go
};

}  // namespace logship
