#include "outputs/kafka/kafka_config.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <string_view>

#include "agent/config_format.h"
#include "agent/config_reader.h"
#include "outputs/kafka/routing.h"

namespace logship {
namespace {

// Set through their own keys or derived from the memory budget; a property may not
// override them.
constexpr std::array<std::string_view, 9> kPinnedProperties = {
    "bootstrap.servers",
    "metadata.broker.list",
    "compression.codec",
    "compression.type",
    "acks",
    "request.required.acks",
    "queue.buffering.max.messages",
    "queue.buffering.max.kbytes",
    "transactional.id",
};

// librdkafka's own default, pinned because producer_working_bytes() sizes the reservation
// from it. The idempotent producer keeps one ProduceRequest in flight per partition, so a
// partition ships at most batch.size per round trip: at 256 KiB the agent needed a fifth
// more CPU per GiB for the extra requests and their wake-ups (measured, 1 GiB bench).
constexpr uint64_t kDefaultBatchSize = 1'000'000;
// librdkafka's 5 ms is shorter than a round trip under load. A partition waiting for its
// one request in flight while its oldest queued message is past linger.ms makes the broker
// thread poll() with a zero timeout until the response comes (librdkafka 2.0.2): 300k polls
// per GiB at 5 ms, a few thousand at 100 ms. Full batches never wait for it; a trickle of
// lines waits up to this long.
constexpr int kDefaultLingerMs = 100;
// zstd level 1 rather than librdkafka's 3: a third of the CPU and memory per batch for log
// lines that still compress several times over. `properties` may raise it.
constexpr int kDefaultZstdLevel = 1;

std::string join(const std::vector<std::string>& parts, char separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

Result<void> set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
      RD_KAFKA_CONF_OK) {
    return make_error(ErrorCode::kInvalidConfig, "librdkafka property \"" + name + "\": " + errstr);
  }
  return {};
}

}  // namespace

void KafkaConfDeleter::operator()(rd_kafka_conf_s* conf) const { rd_kafka_conf_destroy(conf); }

const char* compression_name(KafkaCompression compression) {
  switch (compression) {
    case KafkaCompression::kNone:
      return "none";
    case KafkaCompression::kGzip:
      return "gzip";
    case KafkaCompression::kSnappy:
      return "snappy";
    case KafkaCompression::kLz4:
      return "lz4";
    case KafkaCompression::kZstd:
      return "zstd";
  }
  return "none";
}

Result<KafkaConfPtr> make_producer_conf(const KafkaOutputConfig& config, uint64_t max_messages) {
  for (const auto& [name, value] : config.properties) {
    if (std::ranges::find(kPinnedProperties, name) != kPinnedProperties.end()) {
      return make_error(ErrorCode::kInvalidConfig,
                        "librdkafka property \"" + name +
                            "\" is set by logship (brokers, compression, acks, buffer_bytes)");
    }
  }
  KafkaConfPtr conf(rd_kafka_conf_new());
  // librdkafka rejects more than 10M queued messages (2.0.2); fewer than 1000 starves it.
  max_messages = std::clamp<uint64_t>(max_messages, 1000, 10'000'000);
  const bool idempotent = config.acks == "all";
  const std::pair<std::string, std::string> defaults[] = {
      {"client.id", "logship"},
      {"bootstrap.servers", join(config.brokers, ',')},
      {"compression.codec", compression_name(config.compression)},
      {"acks", config.acks},
      {"enable.idempotence", idempotent ? "true" : "false"},
      // Queued payload lives in the batches, whose bytes the memory budget already covers;
      // the message count bounds librdkafka's own per-message state (buffer_bytes).
      {"queue.buffering.max.messages", std::to_string(max_messages)},
      {"queue.buffering.max.kbytes", "2097151"},
      {"batch.size", std::to_string(kDefaultBatchSize)},
      {"linger.ms", std::to_string(kDefaultLingerMs)},
      // The output's own partitioner (kafka_output.cc) is only consulted for keyless
      // messages when librdkafka's time-based sticky partitioner is off.
      {"sticky.partitioning.linger.ms", partitions_by_batch(config) ? "0" : "10"},
  };
  if (config.compression == KafkaCompression::kZstd) {
    if (auto ok = set(conf.get(), "compression.level", std::to_string(kDefaultZstdLevel)); !ok) {
      return std::unexpected(ok.error());
    }
  }
  for (const auto& [name, value] : defaults) {
    if (auto ok = set(conf.get(), name, value); !ok) return std::unexpected(ok.error());
  }
  for (const auto& [name, value] : config.properties) {
    if (auto ok = set(conf.get(), name, value); !ok) return std::unexpected(ok.error());
  }
  return conf;
}

bool partitions_by_batch(const KafkaOutputConfig& config) {
  return config.key_field.empty() && config.compression == KafkaCompression::kNone;
}

void format_settings(std::ostream& out, const KafkaOutputConfig& settings) {
  write_toml(out, "brokers", settings.brokers);
  write_toml(out, "topic", settings.topic);
  write_toml(out, "key_field", settings.key_field);
  write_toml(out, "format", settings.format == KafkaFormat::kJson ? "json" : "raw");
  write_toml(out, "compression", compression_name(settings.compression));
  write_toml(out, "acks", settings.acks);
  write_toml(out, "label_headers", settings.label_headers);
  if (settings.buffer_bytes) write_toml_size(out, "buffer_bytes", *settings.buffer_bytes);
  write_toml(out, "properties", settings.properties);
}

uint64_t producer_working_bytes(const KafkaOutputConfig& config) {
  uint64_t brokers = 0;
  for (const auto& entry : config.brokers) brokers += 1 + std::ranges::count(entry, ',');
  uint64_t batch_size = kDefaultBatchSize;
  if (auto it = config.properties.find("batch.size"); it != config.properties.end()) {
    batch_size = std::strtoull(it->second.c_str(), nullptr, 10);
  }
  // Measured on librdkafka 2.0.2 at 256 KiB batches: a zstd context takes about 1 MiB at
  // level 1 and 3 MiB at level 3 (its window grows with the level) per broker compressing
  // at once; lz4, snappy and gzip about a batch more than none.
  uint64_t per_broker = 2 * batch_size;
  if (config.compression == KafkaCompression::kZstd) {
    int64_t level = kDefaultZstdLevel;
    if (auto it = config.properties.find("compression.level"); it != config.properties.end()) {
      level = std::strtoll(it->second.c_str(), nullptr, 10);
    }
    per_broker += level <= 1 ? (1 << 20) : (3 << 20);
  } else if (config.compression != KafkaCompression::kNone) {
    per_broker += 2 * batch_size;
  }
  return std::max<uint64_t>(brokers, 1) * per_broker;
}

void parse_kafka_output(TableReader& reader, KafkaOutputConfig& out) {
  reader.read("brokers", out.brokers);
  if (out.brokers.empty()) reader.fail("brokers", "a kafka output needs at least one broker");
  reader.read("topic", out.topic);
  if (out.topic.empty()) {
    reader.fail("topic", "a kafka output needs a topic");
  } else if (auto topic = TopicTemplate::compile(out.topic); !topic) {
    reader.fail("topic", topic.error().message);
  }
  reader.read("key_field", out.key_field);
  reader.read_choice("format", out.format,
                     {{"raw", KafkaFormat::kRaw}, {"json", KafkaFormat::kJson}});
  reader.read_choice("compression", out.compression,
                     {{"zstd", KafkaCompression::kZstd},
                      {"lz4", KafkaCompression::kLz4},
                      {"snappy", KafkaCompression::kSnappy},
                      {"gzip", KafkaCompression::kGzip},
                      {"none", KafkaCompression::kNone}});
  reader.read_choice(
      "acks", out.acks,
      {{"all", std::string("all")}, {"1", std::string("1")}, {"0", std::string("0")}});
  reader.read("label_headers", out.label_headers);
  reader.read_size("buffer_bytes", out.buffer_bytes);
  if (out.buffer_bytes && *out.buffer_bytes < 64 * 1024) {
    reader.fail("buffer_bytes", "must be at least 64KiB");
  }
  reader.read("properties", out.properties);
  // librdkafka checks every property name and value now, so typos fail at load.
  if (auto conf = make_producer_conf(out, 100'000); !conf) {
    reader.fail("properties", conf.error().message);
  }
}

}  // namespace logship
