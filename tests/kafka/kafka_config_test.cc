#include "outputs/kafka/kafka_config.h"

#include <doctest/doctest.h>
#include <librdkafka/rdkafka.h>

#include <string>

#include "agent/config_reader.h"

namespace {

using logship::KafkaOutputConfig;

struct Parsed {
  KafkaOutputConfig config;
  std::string errors;  // every message, one per line
};

Parsed parse(const std::string& toml_text) {
  toml::table table = toml::parse(toml_text);
  logship::ConfigErrors errors{"test.toml", {}};
  logship::TableReader reader(table, "outputs[0]", errors);
  Parsed parsed;
  logship::parse_kafka_output(reader, parsed.config);
  reader.finish();
  for (const auto& message : errors.messages) parsed.errors += message + "\n";
  return parsed;
}

std::string conf_value(rd_kafka_conf_t* conf, const char* name) {
  char value[512];
  size_t size = sizeof(value);
  REQUIRE(rd_kafka_conf_get(conf, name, value, &size) == RD_KAFKA_CONF_OK);
  return value;
}

constexpr const char* kMinimal = "brokers = [\"127.0.0.1:9092\"]\ntopic = \"logs\"\n";

}  // namespace

TEST_CASE("a minimal kafka output ships raw lines, zstd, acks=all, idempotent, unkeyed") {
  auto parsed = parse(kMinimal);
  REQUIRE(parsed.errors.empty());
  CHECK(parsed.config.format == logship::KafkaFormat::kRaw);
  CHECK(parsed.config.compression == logship::KafkaCompression::kZstd);
  CHECK(parsed.config.acks == "all");
  CHECK(parsed.config.key_field.empty());

  auto conf = logship::make_producer_conf(parsed.config, 5000);
  REQUIRE(conf.has_value());
  CHECK(conf_value(conf->get(), "compression.codec") == "zstd");
  CHECK(conf_value(conf->get(), "compression.level") == "1");
  CHECK(conf_value(conf->get(), "enable.idempotence") == "true");
  CHECK(conf_value(conf->get(), "acks") == "-1");
  CHECK(conf_value(conf->get(), "bootstrap.servers") == "127.0.0.1:9092");
  CHECK(conf_value(conf->get(), "queue.buffering.max.messages") == "5000");
}

TEST_CASE("every key of a kafka output is read and properties pass through to librdkafka") {
  auto parsed = parse(R"(
brokers = ["a:1", "b:2"]
topic = "logs-{job}"
key_field = "trace_id"
format = "json"
compression = "lz4"
acks = "1"
label_headers = true
buffer_bytes = "2MiB"
properties = { "linger.ms" = "20", "message.timeout.ms" = "2000" }
)");
  REQUIRE(parsed.errors.empty());
  CHECK(parsed.config.format == logship::KafkaFormat::kJson);
  CHECK(parsed.config.buffer_bytes == 2 * 1024 * 1024);
  auto conf = logship::make_producer_conf(parsed.config, 5000);
  REQUIRE(conf.has_value());
  CHECK(conf_value(conf->get(), "bootstrap.servers") == "a:1,b:2");
  CHECK(conf_value(conf->get(), "compression.codec") == "lz4");
  CHECK(conf_value(conf->get(), "enable.idempotence") == "false");
  CHECK(conf_value(conf->get(), "linger.ms") == "20");
  CHECK(conf_value(conf->get(), "message.timeout.ms") == "2000");
}

TEST_CASE("librdkafka's working memory is estimated per broker from batch.size and codec") {
  KafkaOutputConfig config;
  config.brokers = {"a:1,b:2", "c:3"};
  CHECK(logship::producer_working_bytes(config) == 3 * (2 * 1'000'000 + (1 << 20)));
  config.properties["compression.level"] = "3";
  CHECK(logship::producer_working_bytes(config) == 3 * (2 * 1'000'000 + (3 << 20)));
  config.compression = logship::KafkaCompression::kLz4;
  CHECK(logship::producer_working_bytes(config) == 3 * 4 * 1'000'000);
  config.compression = logship::KafkaCompression::kNone;
  config.properties = {{"batch.size", "100000"}};
  CHECK(logship::producer_working_bytes(config) == 3 * 2 * 100000);
}

TEST_CASE("a misspelt librdkafka property fails the load with librdkafka's own message") {
  auto parsed = parse(std::string(kMinimal) + "properties = { \"linger.mss\" = \"5\" }\n");
  CHECK(parsed.errors.find("test.toml:3:") != std::string::npos);
  CHECK(parsed.errors.find("outputs[0].properties") != std::string::npos);
  CHECK(parsed.errors.find("No such configuration property: \"linger.mss\"") != std::string::npos);
}

TEST_CASE("an invalid librdkafka property value fails the load") {
  auto parsed = parse(std::string(kMinimal) + "properties = { \"linger.ms\" = \"soon\" }\n");
  CHECK(parsed.errors.find("\"linger.ms\"") != std::string::npos);
}

TEST_CASE("properties may not override what logship sets itself") {
  auto parsed =
      parse(std::string(kMinimal) + "properties = { \"compression.codec\" = \"gzip\" }\n");
  CHECK(parsed.errors.find("is set by logship") != std::string::npos);
}

TEST_CASE("a kafka output without brokers or topic, or with a bad choice, names the key") {
  CHECK(parse("topic = \"t\"\n").errors.find("'outputs[0].brokers'") != std::string::npos);
  CHECK(parse("brokers = [\"a:1\"]\n").errors.find("'outputs[0].topic'") != std::string::npos);
  auto bad = parse(std::string(kMinimal) + "compression = \"brotli\"\n");
  CHECK(bad.errors.find("'outputs[0].compression'") != std::string::npos);
  auto topic = parse("brokers = [\"a:1\"]\ntopic = \"logs/{job}\"\n");
  CHECK(topic.errors.find("not allowed in a Kafka topic name") != std::string::npos);
}
