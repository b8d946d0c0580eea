#pragma once
// KafkaOutput: ships batches to Kafka through one librdkafka producer and settles each batch
// from delivery reports, once every one of its messages has its final outcome (delivered,
// or rejected and counted: the batch then settles kRejected so its file moves on).
// Retryable failures, including messages librdkafka expired after message.timeout.ms while
// brokers were away, are produced again, forever, from the output's poll thread: nothing
// is dropped. Message values point into the batch's buffer (no copy); librdkafka's own
// per-message state, keys and JSON values are bounded by `buffer_bytes`, which is reserved
// from the agent's memory budget up front, and send() blocks while it is spent.
// Thread: send() and drain() from the pipeline's output thread; send() queues the batch for
// the poll thread this object owns, which hands it to librdkafka, serves delivery reports
// and produces retries; events may be raised from librdkafka's threads.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "agent/memory_budget.h"
#include "outputs/kafka/kafka_config.h"
#include "outputs/kafka/routing.h"
#include "outputs/output.h"

struct rd_kafka_s;
struct rd_kafka_topic_s;
struct rd_kafka_message_s;
struct rd_kafka_op_s;
struct rd_kafka_queue_s;

namespace logship {

struct KafkaOutputStats {
  std::atomic<uint64_t> delivered{0};  // messages acknowledged by the brokers
  std::atomic<uint64_t> rejected{0};   // messages permanently refused
  std::atomic<uint64_t> retried{0};    // messages produced again (timeouts, transient errors)
  // Health: a delivery report with an error the output retries makes it down; a delivered
  // one makes it up again.
  std::atomic<bool> up{true};
  std::atomic<int64_t> last_success_unix_ns{0};
};

struct KafkaRejection {
  std::string path;
  uint64_t offset;  // where the record starts in its file
  std::string error;
};

// How the output reports; the agent decides where that goes. Must be thread-safe.
struct KafkaEvents {
  std::function<void(const KafkaRejection&)> rejected;
  // librdkafka's errors and logs, with their syslog level (errors: 4, or 3 when fatal).
  // Errors repeat for as long as a broker is away: the agent's log rate-limits them.
  std::function<void(int level, std::string_view what, std::string_view message)> log;
  LatencyObserver latency;  // per delivery report: its oldest message, produce to report
};

class KafkaOutput final : public Output {
 public:
  // `instances`: how many KafkaOutputs of this config run, one per input it serves; each
  // reserves its share of the budget (see README, Memory), waiting for it until `stop`.
  static Result<std::unique_ptr<KafkaOutput>> create(const KafkaOutputConfig& config,
                                                     MemoryBudget& budget, KafkaEvents events,
                                                     uint32_t instances = 1,
                                                     std::stop_token stop = {});
  KafkaOutput(const KafkaOutput&) = delete;
  KafkaOutput& operator=(const KafkaOutput&) = delete;
  // Purges what is still queued: those batches are reported dropped, never delivered.
  ~KafkaOutput() override;

  Result<void> send(Batch batch, std::stop_token stop) override;
  bool drain(std::chrono::steady_clock::time_point deadline) override;

  OutputCounters counters() const override;
  const KafkaOutputStats& stats() const { return stats_; }

 private:
  struct InFlight;
  struct MessageRef;

  KafkaOutput(const KafkaOutputConfig& config, TopicTemplate topic, KafkaEvents events,
              MemoryLease reservation, uint64_t buffer_bytes);
  Result<void> start();
  void poll_loop(std::stop_token stop);
  void retry_due(std::chrono::steady_clock::time_point now);
  void serve_events(int timeout_ms);
  static void add_rejection(InFlight& flight, std::string reason, uint64_t lines);
  void settle_reports(rd_kafka_op_s* event);
  void report_error(rd_kafka_op_s* event);
  bool produce_pending();
  bool hand_over(InFlight& flight);
  bool hand_over_range(rd_kafka_topic_s* topic, int32_t partition, size_t end);
  void abandon_from(InFlight& flight, size_t first);
  int produce(MessageRef& ref);
  std::string_view value_of(const InFlight& flight, uint32_t index) const;
  void finish_message(MessageRef& ref, int err);
  void complete(InFlight& flight, uint32_t messages);
  rd_kafka_topic_s* topic_handle(const std::string& name);
  bool wait_for_room(uint64_t cost, std::stop_token stop);

  static int32_t partition_of_batch(const rd_kafka_topic_s* topic, const void* key, size_t key_size,
                                    int32_t partitions, void* topic_opaque, void* message_opaque);
  static void on_log(const rd_kafka_s* rk, int level, const char* facility, const char* buf);

  const KafkaOutputConfig config_;
  const TopicTemplate topic_;
  const KafkaEvents events_;
  const MemoryLease reservation_;
  const uint64_t buffer_bytes_;
  KafkaOutputStats stats_;
  std::atomic<uint64_t> in_flight_messages_{0};  // admitted, final outcome not known yet

  std::unique_ptr<rd_kafka_s, void (*)(rd_kafka_s*)> producer_;
  // librdkafka's main queue: delivery reports and errors, served by the poll thread.
  std::unique_ptr<rd_kafka_queue_s, void (*)(rd_kafka_queue_s*)> reports_;
  std::mutex topics_mutex_;
  std::map<std::string, rd_kafka_topic_s*, std::less<>> topics_;

  uint32_t next_partition_ = 0;  // output thread: the round-robin start of keyless batches

  // Batches sent and waiting for the poll thread to hand them to librdkafka.
  std::mutex pending_mutex_;
  std::deque<InFlight*> pending_;
  // Poll thread only: the batch being handed over (librdkafka's queue was full), how many
  // of its messages are, and the array given to rd_kafka_produce_batch(), reused.
  InFlight* producing_ = nullptr;
  size_t handed_over_ = 0;
  std::vector<rd_kafka_message_s> batch_messages_;

  std::mutex mutex_;  // guards the in-flight totals and fatal_error_
  std::condition_variable_any changed_;
  uint64_t in_flight_cost_ = 0;
  uint64_t in_flight_batches_ = 0;
  std::optional<std::string> fatal_error_;

  std::mutex retry_mutex_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, MessageRef*>> retries_;
  std::atomic<bool> shutting_down_{false};

  std::jthread poll_thread_;  // last: stops before anything it uses goes away
};

}  // namespace logship
