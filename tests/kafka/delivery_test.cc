#include "outputs/kafka/delivery.h"

#include <doctest/doctest.h>

using logship::classify_delivery;
using logship::DeliveryOutcome;

TEST_CASE("delivery reports are classified as delivered, retried, rejected or abandoned") {
  struct Row {
    rd_kafka_resp_err_t err;
    DeliveryOutcome outcome;
  };
  const Row table[] = {
      {RD_KAFKA_RESP_ERR_NO_ERROR, DeliveryOutcome::kDelivered},
      // Brokers away or busy: produce again, however long it takes.
      {RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, DeliveryOutcome::kRetry},
      {RD_KAFKA_RESP_ERR__TIMED_OUT, DeliveryOutcome::kRetry},
      {RD_KAFKA_RESP_ERR__TRANSPORT, DeliveryOutcome::kRetry},
      {RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, DeliveryOutcome::kRetry},
      {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, DeliveryOutcome::kRetry},
      {RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, DeliveryOutcome::kRetry},
      {RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, DeliveryOutcome::kRetry},
      {RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, DeliveryOutcome::kRetry},
      {RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, DeliveryOutcome::kRetry},
      // Fixable by an operator: keep the logs until they fix it.
      {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, DeliveryOutcome::kRetry},
      {RD_KAFKA_RESP_ERR__AUTHENTICATION, DeliveryOutcome::kRetry},
      {RD_KAFKA_RESP_ERR_UNKNOWN, DeliveryOutcome::kRetry},
      // The record itself can never be accepted.
      {RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, DeliveryOutcome::kRejected},
      {RD_KAFKA_RESP_ERR_INVALID_MSG, DeliveryOutcome::kRejected},
      {RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE, DeliveryOutcome::kRejected},
      {RD_KAFKA_RESP_ERR_INVALID_RECORD, DeliveryOutcome::kRejected},
      {RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP, DeliveryOutcome::kRejected},
      {RD_KAFKA_RESP_ERR_POLICY_VIOLATION, DeliveryOutcome::kRejected},
      {RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, DeliveryOutcome::kRejected},
      {RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION, DeliveryOutcome::kRejected},
      // The producer is going away: leave the batch unsettled.
      {RD_KAFKA_RESP_ERR__PURGE_QUEUE, DeliveryOutcome::kAbandoned},
      {RD_KAFKA_RESP_ERR__PURGE_INFLIGHT, DeliveryOutcome::kAbandoned},
      {RD_KAFKA_RESP_ERR__DESTROY, DeliveryOutcome::kAbandoned},
      {RD_KAFKA_RESP_ERR__FATAL, DeliveryOutcome::kAbandoned},
  };
  for (const Row& row : table) {
    CAPTURE(rd_kafka_err2name(row.err));
    CHECK(classify_delivery(row.err) == row.outcome);
  }
}
