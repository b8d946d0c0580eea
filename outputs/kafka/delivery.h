#pragma once
// classify_delivery: what a delivery report's error means for the record it carries. The
// one place that decides delivered / retry / rejected for the Kafka output. Pure.
//
//   kDelivered  the broker acknowledged the message (with the configured acks).
//   kRetry      transient, or not the message's fault (broker down, timeout, leader moved,
//               authorization not granted yet): produce it again. Logs are never dropped
//               for something an operator can fix; backpressure pauses the inputs meanwhile.
//   kRejected   the message itself can never be accepted (too large, invalid record,
//               topic that does not exist): count it, report it, let the file move on.
//   kAbandoned  the producer is shutting down or unusable (purged, destroyed, fatal):
//               leave the batch unsettled so its offsets do not advance.

#include <librdkafka/rdkafka.h>

namespace logship {

enum class DeliveryOutcome { kDelivered, kRetry, kRejected, kAbandoned };

DeliveryOutcome classify_delivery(rd_kafka_resp_err_t err);

}  // namespace logship
