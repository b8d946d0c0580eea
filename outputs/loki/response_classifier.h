#pragma once
// The one place that decides what a push attempt's outcome means. Pure and table-tested.
//   200, 204 and other 2xx       delivered
//   400                          refused: some entries are invalid. Loki stored the valid
//                                ones; the lane splits the request to find the entries that
//                                still fail alone and rejects only those
//   413                          refused the same way: the body is too large; halves are
//                                sent, and only a single entry still too large is rejected
//   260 (Loki: ingestion refused) retryable
//   408, 429, 5xx                 retryable (Retry-After honoured when present)
//   401, 403, 404, 405, 407 and   retryable, and an endpoint fault: they are about the URL,
//   any other status              the credentials or a proxy, never the entries, so the
//                                entries wait (logged at error level) until someone fixes it
//   no response (network error)   retryable

#include <chrono>
#include <optional>
#include <string_view>

namespace logship {

enum class PushVerdict { kDelivered, kRetryable, kRefused };

struct PushOutcome {
  PushVerdict verdict;
  // When the server named a time to come back; the caller waits at least this long.
  std::optional<std::chrono::milliseconds> retry_after;
  // Retryable because the endpoint is misconfigured (auth, URL, proxy), not overloaded.
  bool endpoint_fault = false;
};

// Retry-After as delta-seconds or an IMF-fixdate ("Wed, 21 Oct 2015 07:28:00 GMT"),
// relative to `now`; nullopt when absent or unparseable. Capped at 10 minutes.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

// `status` is nullopt when the attempt got no HTTP response.
PushOutcome classify_push_response(std::optional<int> status,
                                   std::optional<std::chrono::milliseconds> retry_after);

// The ledger's reason for an entry refused alone, from the status and Loki's message:
// "too_old", "too_new", "line_too_long", "invalid_labels", "stream_limit", "out_of_order"
// or "other" (an empty, binary or unknown message).
std::string_view rejection_reason(int status, std::string_view message);

}  // namespace logship
