// kafka_consume: a real librdkafka consumer for tests. Reads every partition of a topic from
// the beginning and prints what it got in a form tests compare byte for byte.
//
//   kafka_consume --brokers B --topic T [--expect N] [--timeout SECONDS]
//                 [--print records|values|none]
//   kafka_consume --brokers B --topic T --watermarks [--expect N] [--timeout SECONDS]
//
// Reading stops once every partition is at its end and at least N messages were read (N
// defaults to 0: stop at the first end of every partition). Output per message:
//   records: "PARTITION\tOFFSET\tKEY\tVALUE\n" (KEY empty when the message has none)
//   values:  "VALUE\n"
// The message count goes to stderr. --watermarks prints "PARTITION LOW HIGH" per partition
// and "messages SUM_OF_HIGH" (what was ever produced, even after librdkafka's mock broker
// dropped old segments: it keeps only the newest ~5 MiB per partition), polling until the
// sum reaches N. Exit codes: 0 ok, 2 usage, 3 timed out before N messages, 1 other errors.
// The consumer API cannot see a record batch's compression codec; tests read it off the
// wire with tests/kafka/kafka_wire.py instead.

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

enum class PrintMode { kRecords, kValues, kNone };

struct Options {
  std::string brokers;
  std::string topic;
  uint64_t expect = 0;
  std::chrono::milliseconds timeout{30000};
  PrintMode print = PrintMode::kRecords;
  bool watermarks = false;
};

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};

std::optional<Options> parse_args(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--watermarks") {
      options.watermarks = true;
      continue;
    }
    if (i + 1 >= argc) return std::nullopt;
    std::string value = argv[++i];
    if (arg == "--brokers") {
      options.brokers = value;
    } else if (arg == "--topic") {
      options.topic = value;
    } else if (arg == "--expect") {
      options.expect = std::stoull(value);
    } else if (arg == "--timeout") {
      options.timeout = std::chrono::milliseconds(static_cast<int64_t>(std::stod(value) * 1000));
    } else if (arg == "--print") {
      if (value == "records") {
        options.print = PrintMode::kRecords;
      } else if (value == "values") {
        options.print = PrintMode::kValues;
      } else if (value == "none") {
        options.print = PrintMode::kNone;
      } else {
        return std::nullopt;
      }
    } else {
      return std::nullopt;
    }
  }
  if (options.brokers.empty() || options.topic.empty()) return std::nullopt;
  return options;
}

KafkaHandle make_consumer(const Options& options) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::pair<const char*, const char*> settings[] = {
      {"bootstrap.servers", options.brokers.c_str()},
      {"group.id", "kafka_consume"},
      {"enable.auto.commit", "false"},
      {"enable.partition.eof", "true"},
      {"auto.offset.reset", "earliest"},
      {"fetch.wait.max.ms", "100"},
      // Every record batch's CRC is verified: logship's librdkafka writes record headers
      // its own way (packaging/patches), and a batch that fails is reported, not counted.
      {"check.crcs", "true"},
      {"log_level", "3"},
  };
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
      std::cerr << "kafka_consume: " << key << ": " << errstr << "\n";
      rd_kafka_conf_destroy(conf);
      return nullptr;
    }
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (rk == nullptr) {
    std::cerr << "kafka_consume: rd_kafka_new: " << errstr << "\n";
    rd_kafka_conf_destroy(conf);
    return nullptr;
  }
  rd_kafka_poll_set_consumer(rk);
  return KafkaHandle(rk);
}

// Partition count of the topic, retried until the deadline (brokers may still be starting).
std::optional<int> partition_count(rd_kafka_t* rk, const std::string& topic,
                                   Clock::time_point deadline) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  std::optional<int> count;
  while (!count && Clock::now() < deadline) {
    const rd_kafka_metadata_t* metadata = nullptr;
    if (rd_kafka_metadata(rk, 0, handle, &metadata, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
          metadata->topics[0].partition_cnt > 0) {
        count = metadata->topics[0].partition_cnt;
      }
      rd_kafka_metadata_destroy(metadata);
    }
  }
  rd_kafka_topic_destroy(handle);
  return count;
}

int watermarks(rd_kafka_t* rk, const Options& options, int partitions, Clock::time_point deadline) {
  for (;;) {
    std::vector<std::pair<int64_t, int64_t>> marks(partitions);
    uint64_t total = 0;
    bool complete = true;
    for (int p = 0; p < partitions; ++p) {
      auto err = rd_kafka_query_watermark_offsets(rk, options.topic.c_str(), p, &marks[p].first,
                                                  &marks[p].second, 2000);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) complete = false;
      total += static_cast<uint64_t>(marks[p].second);
    }
    bool done = complete && total >= options.expect;
    if (done || Clock::now() >= deadline) {
      for (int p = 0; p < partitions; ++p) {
        std::printf("%d %lld %lld\n", p, static_cast<long long>(marks[p].first),
                    static_cast<long long>(marks[p].second));
      }
      std::printf("messages %llu\n", static_cast<unsigned long long>(total));
      if (done) return 0;
      std::cerr << "kafka_consume: timed out with " << total << " of " << options.expect
                << " messages in " << options.topic << "\n";
      return 3;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling interval
  }
}

void print_message(const rd_kafka_message_t& message, PrintMode mode) {
  if (mode == PrintMode::kNone) return;
  if (mode == PrintMode::kRecords) {
    std::printf("%d\t%lld\t", message.partition, static_cast<long long>(message.offset));
    if (message.key != nullptr) std::fwrite(message.key, 1, message.key_len, stdout);
    std::fputc('\t', stdout);
  }
  std::fwrite(message.payload, 1, message.len, stdout);
  std::fputc('\n', stdout);
}

int consume(rd_kafka_t* rk, const Options& options, int partitions, Clock::time_point deadline) {
  std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter> list(
      rd_kafka_topic_partition_list_new(partitions));
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list.get(), options.topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  if (auto err = rd_kafka_assign(rk, list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::cerr << "kafka_consume: assign: " << rd_kafka_err2str(err) << "\n";
    return 1;
  }
  std::vector<bool> at_end(partitions, false);
  int partitions_at_end = 0;
  uint64_t count = 0;
  while (!(partitions_at_end == partitions && count >= options.expect)) {
    if (Clock::now() >= deadline) {
      std::fflush(stdout);
      std::cerr << "kafka_consume: timed out with " << count << " of " << options.expect
                << " messages from " << options.topic << "\n";
      return 3;
    }
    rd_kafka_message_t* message = rd_kafka_consumer_poll(rk, 100);
    if (message == nullptr) continue;
    int p = message->partition;
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (!at_end[p]) ++partitions_at_end;
      at_end[p] = true;
    } else if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::cerr << "kafka_consume: " << rd_kafka_message_errstr(message) << "\n";
    } else {
      if (at_end[p]) --partitions_at_end;
      at_end[p] = false;
      ++count;
      print_message(*message, options.print);
    }
    rd_kafka_message_destroy(message);
  }
  std::fflush(stdout);
  std::cerr << "kafka_consume: " << count << " messages from " << partitions << " partitions of "
            << options.topic << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<Options> options;
  try {
    options = parse_args(argc, argv);
  } catch (const std::exception&) {
    options.reset();
  }
  if (!options) {
    std::cerr << "usage: kafka_consume --brokers B --topic T [--expect N] [--timeout S]\n"
                 "         [--print records|values|none] [--watermarks]\n";
    return 2;
  }
  auto deadline = Clock::now() + options->timeout;
  KafkaHandle rk = make_consumer(*options);
  if (!rk) return 1;
  auto partitions = partition_count(rk.get(), options->topic, deadline);
  if (!partitions) {
    std::cerr << "kafka_consume: no metadata for topic " << options->topic << "\n";
    return 3;
  }
  if (options->watermarks) return watermarks(rk.get(), *options, *partitions, deadline);
  return consume(rk.get(), *options, *partitions, deadline);
}
