#pragma once
// LokiStats: what the Loki output reports, as counters the agent reads (metrics, exit
// summary), plus the log callback through which the agent decides where messages go.
// Thread-safe: counters are atomics written by lanes and the send() thread.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string_view>

namespace logship {

struct LokiStats {
  std::atomic<uint64_t> requests{0};  // push attempts, including retries
  std::atomic<uint64_t> retries{0};   // attempts answered retryable
  std::atomic<uint64_t> records_delivered{0};
  std::atomic<uint64_t> requests_rejected{0};  // pushes refused for good (4xx)
  std::atomic<uint64_t> records_rejected{0};
  std::atomic<uint64_t> body_bytes_sent{0};  // of delivered requests, as on the wire
  std::atomic<uint64_t> records_over_stream_limit{0};
  std::atomic<uint64_t> streams{0};
};

// Receives one human-readable line per notable event (rejections, retry episodes).
using LokiLog = std::function<void(std::string_view)>;

}  // namespace logship
