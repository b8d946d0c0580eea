#include "outputs/loki/response_classifier.h"

#include <doctest/doctest.h>

#include <string_view>
#include <vector>

namespace logship {
namespace {

using std::chrono::milliseconds;

TEST_CASE("push responses are classified by one table") {
  struct Row {
    std::optional<int> status;
    PushVerdict verdict;
    bool endpoint_fault = false;
  };
  const std::vector<Row> table = {
      {200, PushVerdict::kDelivered},       {204, PushVerdict::kDelivered},
      {202, PushVerdict::kDelivered},       {260, PushVerdict::kRetryable},
      {429, PushVerdict::kRetryable},       {408, PushVerdict::kRetryable},
      {500, PushVerdict::kRetryable},       {502, PushVerdict::kRetryable},
      {503, PushVerdict::kRetryable},       {504, PushVerdict::kRetryable},
      {400, PushVerdict::kRefused},         {413, PushVerdict::kRefused},
      {401, PushVerdict::kRetryable, true}, {403, PushVerdict::kRetryable, true},
      {404, PushVerdict::kRetryable, true}, {405, PushVerdict::kRetryable, true},
      {407, PushVerdict::kRetryable, true}, {409, PushVerdict::kRetryable, true},
      {499, PushVerdict::kRetryable, true}, {301, PushVerdict::kRetryable, true},
      {100, PushVerdict::kRetryable, true}, {std::nullopt, PushVerdict::kRetryable},
  };
  for (const Row& row : table) {
    CAPTURE(row.status.value_or(-1));
    const PushOutcome outcome = classify_push_response(row.status, std::nullopt);
    CHECK(outcome.verdict == row.verdict);
    CHECK(outcome.endpoint_fault == row.endpoint_fault);
  }
}

TEST_CASE("an entry refused alone gets its reason from Loki's message") {
  struct Row {
    int status;
    std::string_view message;
    std::string_view reason;
  };
  const std::vector<Row> table = {
      {400,
       "entry for stream '{job=\"app\"}' has timestamp too old: 2020-01-01T00:00:00Z, "
       "oldest acceptable timestamp is: 2026-11-30T00:00:00Z",
       "too_old"},
      {400, "entry for stream '{job=\"app\"}' has timestamp too new: 2027-01-01T00:00:00Z",
       "too_new"},
      {400,
       "Max entry size '262144' bytes exceeded for stream '{job=\"app\"}' while adding an "
       "entry with length '300000' bytes",
       "line_too_long"},
      {400, "stream '{job=\"app\", user=\"xxx\"}' has label value too long: 'xxx'",
       "invalid_labels"},
      {400, "error parsing labels '{job=}': syntax error", "invalid_labels"},
      {400,
       "Maximum active stream limit exceeded, reduce the number of active streams (reduce "
       "labels or reduce label values), or contact your Loki administrator",
       "stream_limit"},
      {400,
       "entry with timestamp 1796636380506200633 ignored, reason: 'entry out of order' for "
       "stream: {file=\"a\"}",
       "out_of_order"},
      {400, "", "other"},
      {400, "\x01\x02\xff", "other"},
      {400, "injected failure", "other"},
      {413, "request entity too large", "line_too_long"},
  };
  for (const Row& row : table) {
    CAPTURE(row.message);
    CHECK(rejection_reason(row.status, row.message) == row.reason);
  }
}

TEST_CASE("Retry-After is kept only where a retry follows") {
  CHECK(classify_push_response(429, milliseconds(2000)).retry_after == milliseconds(2000));
  CHECK(classify_push_response(503, milliseconds(1000)).retry_after == milliseconds(1000));
  CHECK_FALSE(classify_push_response(400, milliseconds(1000)).retry_after);
  CHECK_FALSE(classify_push_response(204, milliseconds(1000)).retry_after);
}

TEST_CASE("Retry-After parses seconds and HTTP dates, capped") {
  const auto now = std::chrono::system_clock::from_time_t(1445412480);  // 07:28:00 GMT
  CHECK(parse_retry_after("5", now) == milliseconds(5000));
  CHECK(parse_retry_after(" 0 ", now) == milliseconds(0));
  CHECK(parse_retry_after("999999", now) == milliseconds(600000));
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now) == milliseconds(30000));
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now) == milliseconds(0));
  CHECK_FALSE(parse_retry_after("soon", now));
  CHECK_FALSE(parse_retry_after("", now));
  CHECK_FALSE(parse_retry_after("-3", now));
}

}  // namespace
}  // namespace logship
