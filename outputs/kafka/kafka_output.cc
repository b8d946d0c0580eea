#include "outputs/kafka/kafka_output.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "agent/thread_name.h"
#include "outputs/encoding/json_record.h"
#include "outputs/kafka/delivery.h"

namespace logship {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// What librdkafka keeps per queued message (rd_kafka_msg_t, allocator slack) plus our ref.
constexpr uint64_t kMessageCost = 256;
// A message refused for a transient reason is produced again after this pause, so an error
// that comes back at once (no leader yet) does not spin. Timeouts already waited long.
constexpr auto kRetryBackoff = 250ms;
// How long the destructor waits for librdkafka to hand back purged messages.
constexpr auto kPurgeWait = 5s;
// Delivery reports taken from an event at a time (one event: one ProduceRequest's messages).
constexpr size_t kReportsPerRead = 1024;

// The ledger's reason for a refused message: librdkafka's error name in lower case, without
// the leading '_' of its local errors ("MSG_SIZE_TOO_LARGE" -> "msg_size_too_large").
std::string rejection_reason(rd_kafka_resp_err_t code) {
  std::string_view name = rd_kafka_err2name(code);
  while (name.starts_with('_')) name.remove_prefix(1);
  std::string reason(name);
  for (char& c : reason) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return reason;
}

}  // namespace

// One message of a batch in flight: which record it is.
struct KafkaOutput::MessageRef {
  InFlight* flight;
  uint32_t index;
};

// A batch between send() and its last delivery report. Owned by its own messages: the
// last one to finish settles the batch and deletes it.
struct KafkaOutput::InFlight {
  KafkaOutput* output;
  Batch batch;
  std::vector<MessageRef> refs;
  std::string encoded;                 // JSON values, format = "json"
  std::vector<Slice> values;           // where each record's value is in `encoded`
  rd_kafka_topic_t* topic = nullptr;   // when the topic does not depend on the record
  uint32_t partition_seed = 0;         // keyless: where partition_of_batch() starts looking
  std::atomic<int32_t> partition{-1};  // keyless: the partition chosen for every message
  uint64_t cost = 0;
  std::atomic<uint32_t> remaining{0};
  std::atomic<bool> abandoned{false};
  // Messages refused for good, by error name; rare, so a lock is cheap enough.
  std::mutex rejections_mutex;
  std::vector<Rejection> rejections;
};

KafkaOutput::KafkaOutput(const KafkaOutputConfig& config, TopicTemplate topic, KafkaEvents events,
                         MemoryLease reservation, uint64_t buffer_bytes)
    : config_(config),
      topic_(std::move(topic)),
      events_(std::move(events)),
      reservation_(std::move(reservation)),
      buffer_bytes_(buffer_bytes),
      producer_(nullptr, rd_kafka_destroy),
      reports_(nullptr, rd_kafka_queue_destroy) {}

Result<std::unique_ptr<KafkaOutput>> KafkaOutput::create(const KafkaOutputConfig& config,
                                                         MemoryBudget& budget, KafkaEvents events,
                                                         uint32_t instances, std::stop_token stop) {
  auto topic = TopicTemplate::compile(config.topic);
  if (!topic) return std::unexpected(topic.error());
  // Never reserve more than half the budget, or the inputs could not read at all. The
  // default is a quarter: at an eighth, the messages in flight to a local cluster were too
  // few to keep its brokers busy (half the throughput, with the same CPU per byte). Each
  // instance takes its share: whole reservations for every input of one output used to
  // add up past the budget, and the instance that found none left waited for it forever.
  const uint64_t share = budget.limit() / std::max<uint32_t>(instances, 1);
  uint64_t buffer = config.buffer_bytes.value_or(std::max<uint64_t>(share / 4, 1 << 20));
  buffer = std::min(buffer, share / 2);
  const uint64_t reserved = std::min(buffer + producer_working_bytes(config), share / 2);
  auto lease = budget.acquire(reserved, stop);
  if (!lease) return make_error(ErrorCode::kShutdown, "kafka output: no memory budget");
  std::unique_ptr<KafkaOutput> output(
      new KafkaOutput(config, std::move(*topic), std::move(events), std::move(*lease), buffer));
  if (auto started = output->start(); !started) return std::unexpected(started.error());
  return output;
}

Result<void> KafkaOutput::start() {
  // Room for every message the buffer admits, plus those waiting to be produced again.
  auto made = make_producer_conf(config_, 2 * (buffer_bytes_ / kMessageCost));
  if (!made) return std::unexpected(made.error());
  KafkaConfPtr conf = std::move(*made);
  rd_kafka_conf_set_opaque(conf.get(), this);
  // Delivery reports as events rather than a callback per message: serve_events() settles
  // the run of a batch's messages in one report with one update of the batch's counters.
  rd_kafka_conf_set_events(conf.get(), RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR);
  rd_kafka_conf_set_log_cb(conf.get(), &KafkaOutput::on_log);
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof(errstr));
  if (rk == nullptr) {
    return make_error(ErrorCode::kInvalidConfig, std::string("kafka producer: ") + errstr);
  }
  (void)conf.release();  // rd_kafka_new took it
  producer_.reset(rk);
  reports_.reset(rd_kafka_queue_get_main(rk));
  poll_thread_ = std::jthread([this](std::stop_token stop) {
    name_this_thread("ls-kafka-poll");
    poll_loop(stop);
  });
  return {};
}

KafkaOutput::~KafkaOutput() {
  shutting_down_ = true;
  if (poll_thread_.joinable()) {
    poll_thread_.request_stop();
    poll_thread_.join();
  }
  if (producer_) {
    rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    const auto deadline = Clock::now() + kPurgeWait;
    while (rd_kafka_outq_len(producer_.get()) > 0 && Clock::now() < deadline) {
      serve_events(50);
    }
  }
  std::deque<std::pair<Clock::time_point, MessageRef*>> retries;
  {
    std::lock_guard lock(retry_mutex_);
    retries.swap(retries_);
  }
  for (auto& [due, ref] : retries) {
    ref->flight->abandoned = true;
    complete(*ref->flight, 1);
  }
  // Batches never (fully) handed to librdkafka: their remaining messages are abandoned.
  if (producing_ != nullptr) abandon_from(*producing_, handed_over_);
  for (InFlight* flight : pending_) abandon_from(*flight, 0);
  for (auto& [name, handle] : topics_) rd_kafka_topic_destroy(handle);
}

void KafkaOutput::abandon_from(InFlight& flight, size_t first) {
  flight.abandoned = true;
  const size_t count = flight.refs.size();
  if (first < count) complete(flight, static_cast<uint32_t>(count - first));
}

bool KafkaOutput::wait_for_room(uint64_t cost, std::stop_token stop) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, stop, [&] {
    return fatal_error_ || in_flight_cost_ == 0 || in_flight_cost_ + cost <= buffer_bytes_;
  });
  if (stop.stop_requested() || fatal_error_) return false;
  in_flight_cost_ += cost;
  ++in_flight_batches_;
  return true;
}

Result<void> KafkaOutput::send(Batch batch, std::stop_token stop) {
  const size_t count = batch.records().size();
  if (count == 0) {
    batch.settle(Fate::kDelivered);
    return {};
  }
  auto flight = std::make_unique<InFlight>(this, std::move(batch));
  const Batch& held = flight->batch;
  flight->refs.reserve(count);
  for (uint32_t i = 0; i < count; ++i) flight->refs.push_back({flight.get(), i});
  if (config_.format == KafkaFormat::kJson) {
    flight->values.reserve(count);
    for (const Record& record : held.records()) {
      const auto begin = static_cast<uint32_t>(flight->encoded.size());
      append_json_record(flight->encoded, held, record);
      flight->values.push_back({begin, static_cast<uint32_t>(flight->encoded.size() - begin)});
    }
  }
  if (!topic_.uses_fields()) {
    std::string name;
    topic_.render(held, held.records()[0], name);
    flight->topic = topic_handle(name);
  }
  flight->cost = count * kMessageCost + flight->encoded.size();
  if (!config_.key_field.empty()) {
    for (const Record& record : held.records()) {
      flight->cost += record_key(held, record, config_.key_field).size();
    }
  }
  if (!wait_for_room(flight->cost, stop)) {
    std::lock_guard lock(mutex_);
    if (fatal_error_) return make_error(ErrorCode::kIo, "kafka producer: " + *fatal_error_);
    return make_error(ErrorCode::kShutdown, "kafka output: stopped while brokers were busy");
  }
  flight->remaining = static_cast<uint32_t>(count);
  in_flight_messages_.fetch_add(count, std::memory_order_relaxed);
  flight->partition_seed = next_partition_++;
  {
    std::lock_guard lock(pending_mutex_);
    pending_.push_back(flight.release());
  }
  rd_kafka_yield(producer_.get());  // wakes the poll thread out of serve_events()
  return {};
}

bool KafkaOutput::produce_pending() {
  while (true) {
    if (producing_ == nullptr) {
      std::lock_guard lock(pending_mutex_);
      if (pending_.empty()) return true;
      producing_ = pending_.front();
      pending_.pop_front();
      handed_over_ = 0;
    }
    if (!hand_over(*producing_)) return false;
    producing_ = nullptr;
  }
}

bool KafkaOutput::hand_over(InFlight& flight) {
  // The last message to finish deletes the batch, here if its produce call fails, so
  // nothing of `flight` is read once its last message is handed over.
  const size_t count = flight.refs.size();
  MessageRef* refs = flight.refs.data();
  // rd_kafka_produce_batch() takes the clock, the topic lock and the partitioner's state
  // once per batch instead of once per message; it cannot carry headers, and a topic that
  // depends on the record needs one call per message.
  if (flight.topic == nullptr || config_.label_headers) {
    for (; handed_over_ < count; ++handed_over_) {
      const int err = produce(refs[handed_over_]);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) return false;
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) finish_message(refs[handed_over_], err);
    }
    return true;
  }
  if (handed_over_ == 0) {
    const Batch& batch = flight.batch;
    const auto records = batch.records();
    batch_messages_.resize(count);
    for (uint32_t i = 0; i < count; ++i) {
      rd_kafka_message_t& message = batch_messages_[i];
      const std::string_view value = value_of(flight, i);
      const std::string_view key = record_key(batch, records[i], config_.key_field);
      message = {};
      message.payload = const_cast<char*>(value.data());  // not copied, not freed: no flags
      message.len = value.size();
      message.key = key.empty() ? nullptr : const_cast<char*>(key.data());  // keys are copied
      message.key_len = key.size();
      message._private = &refs[i];
    }
  }
  // Keyless: only the first message goes through partition_of_batch(); the rest follow it
  // to the partition it chose, which spares librdkafka's partitioner path per message (a
  // clock read, a partition reference and lookup). Before the topic's metadata is known the
  // partitioner is not consulted yet, and the rest go unassigned too.
  if (partitions_by_batch(config_) && handed_over_ == 0 &&
      !hand_over_range(flight.topic, RD_KAFKA_PARTITION_UA, 1)) {
    return false;
  }
  if (handed_over_ == count) return true;  // a batch of one: `flight` may be gone
  const int32_t partition = flight.partition.load(std::memory_order_relaxed);
  return hand_over_range(flight.topic, partition >= 0 ? partition : RD_KAFKA_PARTITION_UA, count);
}

bool KafkaOutput::hand_over_range(rd_kafka_topic_t* topic, int32_t partition, size_t end) {
  if (handed_over_ >= end) return true;
  rd_kafka_produce_batch(topic, partition, 0, &batch_messages_[handed_over_],
                         static_cast<int>(end - handed_over_));
  for (; handed_over_ < end; ++handed_over_) {
    const rd_kafka_message_t& message = batch_messages_[handed_over_];
    if (message.err == RD_KAFKA_RESP_ERR__QUEUE_FULL) return false;
    if (message.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      finish_message(*static_cast<MessageRef*>(message._private), message.err);
    }
  }
  return true;
}

std::string_view KafkaOutput::value_of(const InFlight& flight, uint32_t index) const {
  if (flight.values.empty()) return flight.batch.line(flight.batch.records()[index]);
  return std::string_view(flight.encoded)
      .substr(flight.values[index].begin, flight.values[index].size);
}

int KafkaOutput::produce(MessageRef& ref) {
  InFlight& flight = *ref.flight;
  const Batch& batch = flight.batch;
  const Record& record = batch.records()[ref.index];
  rd_kafka_topic_t* topic = flight.topic;
  if (topic == nullptr) {
    std::string name;
    topic_.render(batch, record, name);
    topic = topic_handle(name);
  }
  std::string_view value = value_of(flight, ref.index);
  std::string_view key = record_key(batch, record, config_.key_field);

  rd_kafka_vu_t args[5];
  size_t n = 0;
  args[n].vtype = RD_KAFKA_VTYPE_RKT;
  args[n++].u.rkt = topic;
  args[n].vtype = RD_KAFKA_VTYPE_VALUE;
  args[n].u.mem.ptr = const_cast<char*>(value.data());  // not copied, not freed: F_COPY unset
  args[n++].u.mem.size = value.size();
  args[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
  args[n++].u.ptr = &ref;
  if (!key.empty()) {
    args[n].vtype = RD_KAFKA_VTYPE_KEY;
    args[n].u.mem.ptr = const_cast<char*>(key.data());  // librdkafka copies keys
    args[n++].u.mem.size = key.size();
  }
  rd_kafka_headers_t* headers = nullptr;
  if (config_.label_headers && !batch.source().labels.empty()) {
    headers = rd_kafka_headers_new(batch.source().labels.size());
    for (const auto& [name, label] : batch.source().labels) {
      rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), label.data(),
                          static_cast<ssize_t>(label.size()));
    }
    args[n].vtype = RD_KAFKA_VTYPE_HEADERS;
    args[n++].u.headers = headers;
  }
  rd_kafka_error_t* error = rd_kafka_produceva(producer_.get(), args, n);
  if (error == nullptr) return RD_KAFKA_RESP_ERR_NO_ERROR;
  if (headers != nullptr) rd_kafka_headers_destroy(headers);  // only taken on success
  int err = rd_kafka_error_code(error);
  rd_kafka_error_destroy(error);
  return err;
}

void KafkaOutput::finish_message(MessageRef& ref, int err) {
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  DeliveryOutcome outcome = classify_delivery(code);
  if (outcome == DeliveryOutcome::kRetry && shutting_down_) outcome = DeliveryOutcome::kAbandoned;
  switch (outcome) {
    case DeliveryOutcome::kDelivered:
      stats_.delivered.fetch_add(1, std::memory_order_relaxed);
      break;
    case DeliveryOutcome::kRejected: {
      stats_.rejected.fetch_add(1, std::memory_order_relaxed);
      const Batch& batch = ref.flight->batch;
      add_rejection(*ref.flight, rejection_reason(code), batch.records()[ref.index].lines);
      if (events_.rejected) {
        events_.rejected({batch.source().path, batch.records()[ref.index].file_offset,
                          std::string(rd_kafka_err2name(code)) + ": " + rd_kafka_err2str(code)});
      }
      break;
    }
    case DeliveryOutcome::kRetry: {
      stats_.retried.fetch_add(1, std::memory_order_relaxed);
      stats_.up.store(false, std::memory_order_relaxed);
      std::lock_guard lock(retry_mutex_);
      retries_.emplace_back(Clock::now() + kRetryBackoff, &ref);
      return;
    }
    case DeliveryOutcome::kAbandoned:
      ref.flight->abandoned = true;
      break;
  }
  complete(*ref.flight, 1);
}

void KafkaOutput::add_rejection(InFlight& flight, std::string reason, uint64_t lines) {
  std::lock_guard lock(flight.rejections_mutex);
  for (Rejection& rejection : flight.rejections) {
    if (rejection.reason == reason) {
      rejection.lines += lines;
      return;
    }
  }
  flight.rejections.push_back({std::move(reason), lines});
}

void KafkaOutput::complete(InFlight& flight, uint32_t messages) {
  in_flight_messages_.fetch_sub(messages, std::memory_order_relaxed);
  if (flight.remaining.fetch_sub(messages, std::memory_order_acq_rel) != messages) return;
  // Abandoned batches stay unsettled: destroying them reports kDropped.
  if (!flight.abandoned) flight.batch.settle_partly(flight.rejections);
  const uint64_t cost = flight.cost;
  delete &flight;
  {
    std::lock_guard lock(mutex_);
    in_flight_cost_ -= cost;
    --in_flight_batches_;
  }
  changed_.notify_all();
}

rd_kafka_topic_t* KafkaOutput::topic_handle(const std::string& name) {
  std::lock_guard lock(topics_mutex_);
  auto it = topics_.find(name);
  if (it != topics_.end()) return it->second;
  rd_kafka_topic_conf_t* conf = nullptr;
  if (partitions_by_batch(config_)) {
    conf = rd_kafka_topic_conf_new();
    rd_kafka_topic_conf_set_partitioner_cb(conf, &KafkaOutput::partition_of_batch);
  }
  rd_kafka_topic_t* handle = rd_kafka_topic_new(producer_.get(), name.c_str(), conf);
  topics_.emplace(name, handle);
  return handle;
}

// Keyless messages: all of a batch's messages go to one partition, and batches take turns
// over the partitions that have a leader. Like librdkafka's sticky partitioner this fills
// a few large ProduceRequests instead of many small ones, without its clock read and
// random pick per message; and every partition gets batches at once, so the idempotent
// producer's limit of one request in flight per partition does not serialise them all.
int32_t KafkaOutput::partition_of_batch(const rd_kafka_topic_t* topic, const void*, size_t,
                                        int32_t partitions, void*, void* message_opaque) {
  InFlight& flight = *static_cast<MessageRef*>(message_opaque)->flight;
  const int32_t chosen = flight.partition.load(std::memory_order_relaxed);
  if (chosen >= 0 && chosen < partitions) return chosen;
  const auto first =
      static_cast<int32_t>(flight.partition_seed % static_cast<uint32_t>(partitions));
  int32_t partition = first;
  for (int32_t i = 0; i < partitions; ++i) {
    const int32_t candidate = (first + i) % partitions;
    if (rd_kafka_topic_partition_available(topic, candidate)) {
      partition = candidate;
      break;
    }
  }
  // Racing choices (send() and a retry) are equally valid: either one is kept.
  flight.partition.store(partition, std::memory_order_relaxed);
  return partition;
}

void KafkaOutput::poll_loop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    // Producing here rather than in send() keeps librdkafka's per-message allocation, its
    // queue accounting and their release in delivery reports on one thread: shared with
    // the output thread, their malloc arena and locks were contended once per message
    // (futex calls and cache-line transfers).
    int timeout_ms = produce_pending() ? 100 : 10;  // 10: librdkafka's queue is full
    {
      std::lock_guard lock(retry_mutex_);
      if (!retries_.empty()) timeout_ms = 10;
    }
    serve_events(timeout_ms);
    retry_due(Clock::now());
  }
}

void KafkaOutput::serve_events(int timeout_ms) {
  for (rd_kafka_event_t* event = rd_kafka_queue_poll(reports_.get(), timeout_ms); event != nullptr;
       event = rd_kafka_queue_poll(reports_.get(), 0)) {
    if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_DR) {
      settle_reports(event);
    } else if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_ERROR) {
      report_error(event);
    }
    rd_kafka_event_destroy(event);
  }
}

void KafkaOutput::settle_reports(rd_kafka_event_t* event) {
  const rd_kafka_message_t* reports[kReportsPerRead];
  size_t count = rd_kafka_event_message_array(event, reports, kReportsPerRead);
  // One observation per report: its oldest message, produce to report. A clock read per
  // message cost more than the rest of its report.
  if (const int64_t micros = count > 0 ? rd_kafka_message_latency(reports[0]) : -1;
      micros >= 0 && events_.latency) {
    events_.latency(static_cast<double>(micros) / 1e6);
  }
  // A report holds runs of consecutive messages of one batch: each delivered run settles
  // with one update; `run` is null between runs.
  InFlight* run = nullptr;
  uint32_t run_length = 0;
  auto end_run = [&] {
    if (run == nullptr) return;
    stats_.delivered.fetch_add(run_length, std::memory_order_relaxed);
    stats_.up.store(true, std::memory_order_relaxed);
    stats_.last_success_unix_ns.store(unix_now_ns(), std::memory_order_relaxed);
    complete(*run, run_length);  // may delete the batch: no message after the run is in it
    run = nullptr;
    run_length = 0;
  };
  for (; count > 0; count = rd_kafka_event_message_array(event, reports, kReportsPerRead)) {
    for (size_t i = 0; i < count; ++i) {
      auto& ref = *static_cast<MessageRef*>(reports[i]->_private);
      if (reports[i]->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        end_run();
        finish_message(ref, reports[i]->err);
        continue;
      }
      if (ref.flight != run) end_run();
      run = ref.flight;
      ++run_length;
    }
  }
  end_run();
}

void KafkaOutput::retry_due(Clock::time_point now) {
  std::vector<MessageRef*> due;
  {
    std::lock_guard lock(retry_mutex_);
    while (!retries_.empty() && retries_.front().first <= now) {
      due.push_back(retries_.front().second);
      retries_.pop_front();
    }
  }
  for (size_t i = 0; i < due.size(); ++i) {
    // Choose the batch's partition again: the one it had may have lost its leader.
    due[i]->flight->partition.store(-1, std::memory_order_relaxed);
    int err = produce(*due[i]);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      // librdkafka is full of older messages: put the rest back in order, try next round.
      std::lock_guard lock(retry_mutex_);
      for (size_t j = due.size(); j-- > i;) retries_.emplace_front(now, due[j]);
      return;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) finish_message(*due[i], err);
  }
}

bool KafkaOutput::drain(Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  auto settled = [&] { return in_flight_batches_ == 0 || fatal_error_.has_value(); };
  if (deadline == Clock::time_point::max()) {
    changed_.wait(lock, settled);
  } else {
    changed_.wait_until(lock, deadline, settled);
  }
  return in_flight_batches_ == 0;
}

OutputCounters KafkaOutput::counters() const {
  return {.retries = stats_.retried.load(std::memory_order_relaxed),
          .rejected_records = stats_.rejected.load(std::memory_order_relaxed),
          .in_flight = in_flight_messages_.load(std::memory_order_relaxed),
          .up = stats_.up.load(std::memory_order_relaxed),
          .last_success_unix_ns = stats_.last_success_unix_ns.load(std::memory_order_relaxed)};
}

void KafkaOutput::report_error(rd_kafka_event_t* event) {
  const rd_kafka_resp_err_t err = rd_kafka_event_error(event);
  const char* reason = rd_kafka_event_error_string(event);
  const bool fatal = rd_kafka_event_error_is_fatal(event) != 0;
  // Every broker unreachable: messages wait in librdkafka until message.timeout.ms, with
  // no delivery report to say so. The output is down until the next one is delivered.
  if (fatal || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
    stats_.up.store(false, std::memory_order_relaxed);
  }
  if (fatal) {
    {
      std::lock_guard lock(mutex_);
      fatal_error_ = reason;
    }
    changed_.notify_all();
  }
  if (events_.log) {
    constexpr int kError = 3;  // syslog levels, as librdkafka's logs use them
    constexpr int kWarning = 4;
    events_.log(fatal ? kError : kWarning, rd_kafka_err2name(err), reason);
  }
}

void KafkaOutput::on_log(const rd_kafka_t* rk, int level, const char* facility, const char* buf) {
  auto* output = static_cast<KafkaOutput*>(rd_kafka_opaque(rk));
  if (output != nullptr && output->events_.log) output->events_.log(level, facility, buf);
}

}  // namespace logship
