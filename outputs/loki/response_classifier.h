#pragma once
// The one place that decides what a push attempt's outcome means. Pure and table-tested.
//   200, 204 and other 2xx       delivered
//   260 (Loki: ingestion refused) retryable
//   408, 429, 5xx                 retryable (Retry-After honoured when present)
//   1xx, 3xx                      retryable: we follow no redirects, and dropping data
//                                 because of a proxy's answer would be worse than waiting
//   other 4xx                     rejected: the batch is counted and the file moves on
//   no response (network error)   retryable

#include <chrono>
#include <optional>
#include <string_view>

namespace logship {

enum class PushVerdict { kDelivered, kRetryable, kRejected };

struct PushOutcome {
  PushVerdict verdict;
  // When the server named a time to come back; the caller waits at least this long.
  std::optional<std::chrono::milliseconds> retry_after;
};

// Retry-After as delta-seconds or an IMF-fixdate ("Wed, 21 Oct 2015 07:28:00 GMT"),
// relative to `now`; nullopt when absent or unparseable. Capped at 10 minutes.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

// `status` is nullopt when the attempt got no HTTP response.
PushOutcome classify_push_response(std::optional<int> status,
                                   std::optional<std::chrono::milliseconds> retry_after);

}  // namespace logship
