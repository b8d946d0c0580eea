#include "outputs/loki/response_classifier.h"

#include <doctest/doctest.h>

#include <vector>

namespace logship {
namespace {

using std::chrono::milliseconds;

TEST_CASE("push responses are classified by one table") {
  struct Row {
    std::optional<int> status;
    PushVerdict verdict;
  };
  const std::vector<Row> table = {
      {200, PushVerdict::kDelivered}, {204, PushVerdict::kDelivered},
      {202, PushVerdict::kDelivered}, {260, PushVerdict::kRetryable},
      {429, PushVerdict::kRetryable}, {408, PushVerdict::kRetryable},
      {500, PushVerdict::kRetryable}, {502, PushVerdict::kRetryable},
      {503, PushVerdict::kRetryable}, {504, PushVerdict::kRetryable},
      {400, PushVerdict::kRejected},  {401, PushVerdict::kRejected},
      {403, PushVerdict::kRejected},  {404, PushVerdict::kRejected},
      {413, PushVerdict::kRejected},  {301, PushVerdict::kRetryable},
      {100, PushVerdict::kRetryable}, {std::nullopt, PushVerdict::kRetryable},
  };
  for (const Row& row : table) {
    CAPTURE(row.status.value_or(-1));
    CHECK(classify_push_response(row.status, std::nullopt).verdict == row.verdict);
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
