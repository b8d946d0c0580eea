#pragma once
// LokiStats: what the Loki output reports, as counters the agent reads (metrics, exit
// summary), plus LokiEvents, through which the agent decides what is logged and where
// latencies go. Thread-safe: counters are atomics written by lanes and the send() thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "outputs/output.h"

namespace logship {

// A plain copy of the counters, to add up and keep after the output is gone.
struct LokiCounts {
  uint64_t requests = 0;
  uint64_t requests_rejected = 0;
  uint64_t records_delivered = 0;
  uint64_t body_bytes_sent = 0;
  uint64_t records_over_stream_limit = 0;
  uint64_t streams = 0;

  LokiCounts& operator+=(const LokiCounts& more);
};

struct LokiStats {
  std::atomic<uint64_t> requests{0};  // push attempts, including retries
  std::atomic<uint64_t> retries{0};   // attempts answered retryable
  std::atomic<uint64_t> records_delivered{0};
  std::atomic<uint64_t> requests_rejected{0};  // pushes answered 400 or 413 (then split)
  std::atomic<uint64_t> records_rejected{0};   // entries refused alone, for good
  std::atomic<uint64_t> body_bytes_sent{0};    // of delivered requests, as on the wire
  std::atomic<uint64_t> records_over_stream_limit{0};
  std::atomic<uint64_t> streams{0};
  std::atomic<uint64_t> in_flight{0};  // pushes sent and not answered yet
  // Health: false from a failed attempt until Loki answers again (2xx, 400 or 413).
  std::atomic<bool> up{true};
  std::atomic<int64_t> last_success_unix_ns{0};

  LokiCounts counts() const;
};

// A notable moment of the output. Every failed attempt is reported (the agent's log
// rate-limits repeats), so a long outage is visible as a count rather than one line.
struct LokiEvent {
  enum class Kind {
    kRetrying,  // an attempt failed retryably; the push is tried again after `delay`
    // The same, for an answer about the endpoint (401, 403, 404, ...): someone must fix
    // the URL or the credentials; the entries wait.
    kEndpointFault,
    kRecovered,  // a push succeeded after failed attempts
    // An entry Loki refused alone (400, 413): counted by `reason`, not retried. `path`
    // and `offset` say where its line starts.
    kRejected,
    // Records of a batch would have opened streams past `max_streams`: they were shipped
    // without their field-templated labels. `entries` is how many (reported per batch).
    kOverStreamLimit,
  };
  Kind kind;
  std::optional<int> status;  // HTTP status; absent for network errors
  std::string error;          // the network error, or the response body's first line
  uint64_t entries = 0;       // entries in the push
  std::chrono::milliseconds delay{0};
  std::string_view reason;  // kRejected: the ledger's reason
  std::string path;         // kRejected: the entry's file
  uint64_t offset = 0;
};

// Must be thread-safe: lanes call them from their threads.
struct LokiEvents {
  std::function<void(const LokiEvent&)> log;
  LatencyObserver latency;
};

}  // namespace logship
