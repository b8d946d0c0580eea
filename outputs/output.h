#pragma once
// Output: where batches go. The pipeline's output thread calls send() for every batch in
// queue order and drain() once at the end; an output settles each batch exactly once
// (delivered or rejected), synchronously inside send() or later from its own threads
// (delivery reports, concurrent requests). Retries and backpressure live inside the
// output; send() may block while the destination is unavailable, until `stop`.
// counters() may be called from any thread (the metrics scrape).

#include <chrono>
#include <cstdint>
#include <functional>
#include <stop_token>

#include "agent/batch.h"
#include "agent/result.h"

namespace logship {

// What an output reports beyond what the pipeline counts, read at scrape time.
struct OutputCounters {
  uint64_t retries = 0;           // attempts repeated after a retryable failure
  uint64_t rejected_records = 0;  // refused for good: counted, reported, not retried
  uint64_t in_flight = 0;         // Loki: pushes awaiting their answer; Kafka: messages
                                  // awaiting their delivery report (or their retry)
  // Health (/ready): false after a failed attempt until the next success.
  bool up = true;
  int64_t last_success_unix_ns = 0;  // 0: none yet
};

// The wall clock as OutputCounters::last_success_unix_ns holds it.
inline int64_t unix_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Receives each request's latency in seconds (Loki: one HTTP push attempt; Kafka: one
// delivery report, i.e. one ProduceRequest's messages to a partition, from producing its
// oldest message to the report). Called from the output's threads.
using LatencyObserver = std::function<void(double seconds)>;

class Output {
 public:
  virtual ~Output() = default;

  // Takes ownership of the batch. An error is fatal for the output (e.g. stdout closed).
  virtual Result<void> send(Batch batch, std::stop_token stop) = 0;

  // Waits until every batch sent so far is settled, or the deadline passes. Returns
  // whether everything settled; unsettled batches are reported dropped when destroyed.
  virtual bool drain(std::chrono::steady_clock::time_point deadline) = 0;

  // Thread-safe. Outputs that neither retry nor reject (stdout, null) report zeros.
  virtual OutputCounters counters() const { return {}; }
};

}  // namespace logship
