#pragma once
// KafkaOutputConfig: the settings of one `type = "kafka"` output as plain, validated data,
// defaults beside each field. parse_kafka_output() reads it while the config loads and has
// librdkafka itself check every passthrough property, so a typo fails `logship check` with
// librdkafka's own message. make_producer_conf() turns it into the rd_kafka_conf_t the
// producer is built from (the one place that knows which librdkafka settings we pin).
// Thread: config loading writes it; any thread may read it afterwards.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "agent/result.h"

struct rd_kafka_conf_s;

namespace logship {

class TableReader;

enum class KafkaFormat { kRaw, kJson };
enum class KafkaCompression { kNone, kGzip, kSnappy, kLz4, kZstd };

struct KafkaOutputConfig {
  // Bootstrap servers, "host:port".
  std::vector<std::string> brokers;
  // Topic, literal or a template: "{NAME}" is a label of the input, "{fields.NAME}" a
  // parsed field of the record ("logs-{job}"). A missing value renders as "unknown".
  std::string topic;
  // Message key: the parsed field of this name, else the input label of this name; "file"
  // (when no field or label is so named) keys by the source file's path, which keeps each
  // file in order within one partition. Empty: no key (sticky partitioning).
  std::string key_field;
  // Message value: the raw line, or the JSON record (ts, line, fields, labels, file, offset).
  KafkaFormat format = KafkaFormat::kRaw;
  KafkaCompression compression = KafkaCompression::kZstd;
  // "all", "1" or "0". Idempotence is on with "all" (Kafka requires acks=all for it).
  std::string acks = "all";
  // Send the input's labels as message headers.
  bool label_headers = false;
  // Bytes of producer-side state (librdkafka's per-message bookkeeping, keys, JSON values)
  // reserved from the agent's memory budget; sending waits when it is spent. Unset: 1/4 of
  // the memory limit, at least 1 MiB.
  std::optional<uint64_t> buffer_bytes;
  // Any librdkafka property (TLS, SASL, tuning), e.g. "security.protocol" = "ssl".
  // Applied after logship's defaults, so e.g. "message.timeout.ms" or "linger.ms" can be
  // tuned; the keys above and the queue caps (derived from buffer_bytes) cannot be.
  std::map<std::string, std::string> properties;
};

// Reads the Kafka keys of one [[outputs]] table into `out` (errors go to the reader).
void parse_kafka_output(TableReader& reader, KafkaOutputConfig& out);

// Writes the effective settings as TOML keys (`logship check`); secret properties masked.
void format_settings(std::ostream& out, const KafkaOutputConfig& settings);

struct KafkaConfDeleter {
  void operator()(rd_kafka_conf_s* conf) const;
};
using KafkaConfPtr = std::unique_ptr<rd_kafka_conf_s, KafkaConfDeleter>;

// librdkafka's producer configuration for `config`, with its queues capped to hold at most
// `max_messages` messages (the caller's buffer budget). The error names the property and
// carries librdkafka's message.
Result<KafkaConfPtr> make_producer_conf(const KafkaOutputConfig& config, uint64_t max_messages);

// Whether keyless batches go whole to one partition each (KafkaOutput's partitioner) rather
// than through librdkafka's time-based sticky partitioner. Only without compression: spread
// over all partitions at once, compressed requests get smaller and librdkafka 2.0.2 builds
// a zstd context per request (measured: zstd 10 -> 14 CPU s/GiB, 3x the page faults).
bool partitions_by_batch(const KafkaOutputConfig& config);

// librdkafka's working memory outside its message queue, estimated: per broker, request
// buffers up to batch.size and, when compressing, the codec's context and output buffer.
// Reserved from the memory budget next to buffer_bytes.
uint64_t producer_working_bytes(const KafkaOutputConfig& config);

// The property librdkafka uses for `compression` ("zstd", "none", ...).
const char* compression_name(KafkaCompression compression);

}  // namespace logship
