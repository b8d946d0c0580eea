#include "outputs/kafka/kafka_output.h"

#include <doctest/doctest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/kafka/test_batches.h"

namespace {

using namespace std::chrono_literals;
using logship::Fate;
using logship::KafkaOutput;
using logship::KafkaOutputConfig;
using logship::testing::make_batch;
using logship::testing::make_source;
using logship::testing::RecordingSink;
using Clock = std::chrono::steady_clock;

// An in-process mock cluster (librdkafka's rdkafka_mock) with one topic.
class MockCluster {
 public:
  explicit MockCluster(int brokers) {
    char errstr[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
    handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    REQUIRE(handle_ != nullptr);
    cluster_ = rd_kafka_mock_cluster_new(handle_, brokers);
    REQUIRE(cluster_ != nullptr);
    REQUIRE(rd_kafka_mock_topic_create(cluster_, "t", 2, 1) == RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(handle_);
  }
  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }
  void create_topic(const char* name) {
    REQUIRE(rd_kafka_mock_topic_create(cluster_, name, 2, 1) == RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void set_down(bool down) {
    auto fn = down ? rd_kafka_mock_broker_set_down : rd_kafka_mock_broker_set_up;
    REQUIRE(fn(cluster_, 1) == RD_KAFKA_RESP_ERR_NO_ERROR);
  }

 private:
  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

// One message as a consumer reads it back: key, value and headers.
struct Consumed {
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
};

// Reads every message of a two-partition `topic` (from the start) with a real
// librdkafka consumer, until `expected` arrived or 20 s passed.
std::vector<Consumed> consume(const MockCluster& cluster, const std::string& topic,
                              size_t expected) {
  char errstr[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", cluster.bootstraps().c_str(), errstr,
                    sizeof(errstr));
  rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
  rd_kafka_conf_set(conf, "group.id", "kafka-output-test", errstr, sizeof(errstr));
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  REQUIRE(consumer != nullptr);
  rd_kafka_topic_partition_list_t* partitions = rd_kafka_topic_partition_list_new(2);
  for (int32_t partition : {0, 1}) {
    rd_kafka_topic_partition_list_add(partitions, topic.c_str(), partition)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  REQUIRE(rd_kafka_assign(consumer, partitions) == RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(partitions);
  std::vector<Consumed> messages;
  const auto deadline = Clock::now() + 20s;
  while (messages.size() < expected && Clock::now() < deadline) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 100);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      Consumed consumed;
      if (message->key != nullptr)
        consumed.key.assign(static_cast<char*>(message->key), message->key_len);
      consumed.value.assign(static_cast<char*>(message->payload), message->len);
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                           RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
          consumed.headers[name] = std::string(static_cast<const char*>(value), size);
        }
      }
      messages.push_back(std::move(consumed));
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  return messages;
}

struct Rejections {
  std::mutex mutex;
  std::vector<logship::KafkaRejection> seen;
};

std::unique_ptr<KafkaOutput> make_output(const MockCluster& cluster, logship::MemoryBudget& budget,
                                         Rejections* rejections = nullptr,
                                         std::map<std::string, std::string> properties = {}) {
  KafkaOutputConfig config;
  config.brokers = {cluster.bootstraps()};
  config.topic = "t";
  config.key_field = "file";
  config.properties = std::move(properties);
  logship::KafkaEvents events;
  if (rejections != nullptr) {
    events.rejected = [rejections](const logship::KafkaRejection& rejection) {
      std::lock_guard lock(rejections->mutex);
      rejections->seen.push_back(rejection);
    };
  }
  auto output = KafkaOutput::create(config, budget, std::move(events));
  REQUIRE(output.has_value());
  return std::move(*output);
}

// Waits for `done` on the clock, bounded; the output's own threads make progress.
template <typename Predicate>
bool eventually(Predicate done, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

}  // namespace

TEST_CASE("each batch settles delivered once the brokers acknowledged all its messages") {
  MockCluster cluster(1);
  logship::MemoryBudget budget(64 << 20);
  auto sink = std::make_shared<RecordingSink>();
  auto output = make_output(cluster, budget);
  for (uint64_t sequence = 0; sequence < 3; ++sequence) {
    auto sent = output->send(
        make_batch(make_source("/a.log"), {{"one", {}}, {"two", {}}}, sink, sequence), {});
    REQUIRE(sent.has_value());
  }
  REQUIRE(output->drain(Clock::now() + 20s));
  auto fates = sink->fates();
  REQUIRE(fates.size() == 3);
  for (const auto& [sequence, fate] : fates) CHECK(fate == Fate::kDelivered);
  CHECK(output->stats().delivered == 6);
}

TEST_CASE("an oversized message is rejected with its file and offset; its batch moves on") {
  MockCluster cluster(1);
  logship::MemoryBudget budget(64 << 20);
  auto sink = std::make_shared<RecordingSink>();
  Rejections rejections;
  auto output = make_output(cluster, budget, &rejections, {{"message.max.bytes", "1000"}});
  auto batch = make_batch(make_source("/big.log"), {{"small", {}}, {std::string(5000, 'x'), {}}},
                          sink, 7, 100);
  REQUIRE(output->send(std::move(batch), {}).has_value());
  REQUIRE(output->drain(Clock::now() + 20s));
  CHECK(sink->fates().at(7) == Fate::kRejected);
  CHECK(output->stats().rejected == 1);
  CHECK(output->stats().delivered == 1);
  std::lock_guard lock(rejections.mutex);
  REQUIRE(rejections.seen.size() == 1);
  CHECK(rejections.seen[0].path == "/big.log");
  CHECK(rejections.seen[0].offset == 106);  // after "small\n"
  CHECK(rejections.seen[0].error.find("MSG_SIZE_TOO_LARGE") != std::string::npos);
}

TEST_CASE("messages that expire while the broker is down are produced again, not dropped") {
  MockCluster cluster(1);
  logship::MemoryBudget budget(64 << 20);
  auto sink = std::make_shared<RecordingSink>();
  auto output = make_output(cluster, budget, nullptr, {{"message.timeout.ms", "300"}});
  cluster.set_down(true);
  REQUIRE(output->send(make_batch(make_source("/a.log"), {{"kept", {}}}, sink, 1), {}));
  CHECK(eventually([&] { return output->stats().retried >= 2; }, 10s));
  CHECK(sink->fates().empty());
  cluster.set_down(false);
  REQUIRE(output->drain(Clock::now() + 20s));
  CHECK(sink->fates().at(1) == Fate::kDelivered);
}

TEST_CASE("an output destroyed with messages still queued reports their batches dropped") {
  MockCluster cluster(1);
  logship::MemoryBudget budget(64 << 20);
  auto sink = std::make_shared<RecordingSink>();
  auto output = make_output(cluster, budget);
  cluster.set_down(true);
  REQUIRE(output->send(make_batch(make_source("/a.log"), {{"queued", {}}}, sink, 1), {}));
  CHECK_FALSE(output->drain(Clock::now() + 200ms));
  output.reset();
  CHECK(sink->fates().at(1) == Fate::kDropped);
}

TEST_CASE("the output's buffer and librdkafka's working memory come from the budget") {
  MockCluster cluster(1);
  logship::MemoryBudget budget(16 << 20);
  auto output = make_output(cluster, budget);
  // 1/4 of the limit, plus one broker's request buffers and zstd context.
  CHECK(budget.used() == (4 << 20) + 2 * 1'000'000 + (1 << 20));
  output.reset();
  CHECK(budget.used() == 0);
}

TEST_CASE("a templated topic, a key from a field and label headers reach the consumer") {
  MockCluster cluster(1);
  logship::MemoryBudget budget(64 << 20);
  auto sink = std::make_shared<RecordingSink>();
  KafkaOutputConfig config;
  config.brokers = {cluster.bootstraps()};
  cluster.create_topic("t-app");
  config.topic = "t{job}";
  config.key_field = "trace";
  config.label_headers = true;
  auto output = KafkaOutput::create(config, budget, {});
  REQUIRE(output.has_value());
  const auto source = make_source("/app.log", {{"job", "-app"}, {"env", "prod"}});
  REQUIRE(
      (*output)
          ->send(make_batch(
                     source,
                     {{"first", {{"trace", "abc"}}}, {"second", {{"trace", "def"}}}, {"third", {}}},
                     sink, 0),
                 {})
          .has_value());
  REQUIRE((*output)->drain(Clock::now() + 20s));
  CHECK(sink->fates().at(0) == Fate::kDelivered);

  auto messages = consume(cluster, "t-app", 3);
  REQUIRE(messages.size() == 3);
  std::map<std::string, Consumed> by_value;
  for (auto& message : messages) by_value[message.value] = message;
  CHECK(by_value.at("first").key == "abc");
  CHECK(by_value.at("second").key == "def");
  CHECK(by_value.at("third").key.empty());  // no such field: no key, sticky partitioning
  for (const auto& [value, message] : by_value) {
    CAPTURE(value);
    CHECK(message.headers == std::map<std::string, std::string>{{"job", "-app"}, {"env", "prod"}});
  }
}
