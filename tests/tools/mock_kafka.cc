// mock_kafka: a real-protocol Kafka cluster for tests, in its own process, built on
// librdkafka's mock cluster (<librdkafka/rdkafka_mock.h>). Brokers listen on 127.0.0.1
// (ephemeral ports). The first stdout line is the bootstrap server list; then one command
// per stdin line, each answered by one line, "ok" or "error <why>":
//
//   broker_down ID                 stop broker ID (1-based): drop connections, refuse new
//   broker_up ID                   bring broker ID back
//   create_topic NAME PARTITIONS   create a topic (replication factor = min(3, brokers))
//   produce_errors COUNT ERR...    the next COUNT Produce requests (any broker) fail with
//                                  the named errors, cycling through the list
//                                  (e.g. NOT_LEADER_FOR_PARTITION REQUEST_TIMED_OUT)
//   rtt ID MS                      add MS of latency to broker ID's responses
//   quit                           exit (EOF on stdin does the same)
//
// Usage: mock_kafka --brokers N [--spread-leaders] [--topic T --partitions P]...
//   --spread-leaders: partition p's leader is broker p % replicas + 1, as a balanced
//   cluster's preferred leaders would be, instead of the mock's random pick (the benchmark
//   uses it so runs are comparable). Each leader change is a round trip to the mock's
//   thread that can take a second, so tests, which need no fixed layout, go without it.
// Note: librdkafka 2.0.2's mock broker keeps only the newest ~5 MiB of each partition.
// Thread: main reads commands; librdkafka's mock threads serve the protocol.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <charconv>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

constexpr int16_t kProduceApiKey = 0;

struct TopicSpec {
  std::string name;
  int partitions = 1;
};

struct Options {
  int brokers = 1;
  bool spread_leaders = false;
  std::vector<TopicSpec> topics;
};

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct MockDeleter {
  void operator()(rd_kafka_mock_cluster_t* cluster) const {
    rd_kafka_mock_cluster_destroy(cluster);
  }
};

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<Options> parse_args(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--spread-leaders") {
      options.spread_leaders = true;
      continue;
    }
    if (i + 1 >= argc) return std::nullopt;
    std::string_view value = argv[++i];
    if (arg == "--brokers") {
      auto n = parse_int(value);
      if (!n || *n < 1) return std::nullopt;
      options.brokers = *n;
    } else if (arg == "--topic") {
      options.topics.push_back({std::string(value), 1});
    } else if (arg == "--partitions") {
      auto n = parse_int(value);
      if (!n || *n < 1 || options.topics.empty()) return std::nullopt;
      options.topics.back().partitions = *n;
    } else {
      return std::nullopt;
    }
  }
  return options;
}

std::optional<rd_kafka_resp_err_t> error_by_name(std::string_view name) {
  const rd_kafka_err_desc* descs = nullptr;
  size_t count = 0;
  rd_kafka_get_err_descs(&descs, &count);
  for (size_t i = 0; i < count; ++i) {
    if (descs[i].name != nullptr && name == descs[i].name) return descs[i].code;
  }
  return std::nullopt;
}

class MockCluster {
 public:
  MockCluster(std::unique_ptr<rd_kafka_t, KafkaDeleter> handle, int brokers, bool spread_leaders)
      : handle_(std::move(handle)),
        cluster_(rd_kafka_mock_cluster_new(handle_.get(), brokers)),
        brokers_(brokers),
        spread_leaders_(spread_leaders) {}
  // The cluster must go before the handle it was created on.
  ~MockCluster() { cluster_.reset(); }

  bool ok() const { return cluster_ != nullptr; }
  const char* bootstraps() const { return rd_kafka_mock_cluster_bootstraps(cluster_.get()); }

  // With spread_leaders, leaders take turns over the replicas (brokers 1..replication).
  std::string create_topic(const std::string& name, int partitions) {
    int replication = brokers_ < 3 ? brokers_ : 3;
    auto created =
        rd_kafka_mock_topic_create(cluster_.get(), name.c_str(), partitions, replication);
    for (int partition = 0; spread_leaders_ && partition < partitions && !created; ++partition) {
      created = rd_kafka_mock_partition_set_leader(cluster_.get(), name.c_str(), partition,
                                                   partition % replication + 1);
    }
    return answer(created);
  }

  // One command line in, one answer line out.
  std::string execute(const std::string& line) {
    std::istringstream in(line);
    std::string verb;
    in >> verb;
    std::vector<std::string> args;
    for (std::string word; in >> word;) args.push_back(word);
    if (verb == "broker_down" || verb == "broker_up") {
      auto id = args.size() == 1 ? parse_int(args[0]) : std::nullopt;
      if (!id) return "error usage: " + verb + " ID";
      auto* fn =
          verb == "broker_down" ? rd_kafka_mock_broker_set_down : rd_kafka_mock_broker_set_up;
      return answer(fn(cluster_.get(), *id));
    }
    if (verb == "create_topic") {
      auto partitions = args.size() == 2 ? parse_int(args[1]) : std::nullopt;
      if (!partitions || *partitions < 1) return "error usage: create_topic NAME PARTITIONS";
      return create_topic(args[0], *partitions);
    }
    if (verb == "produce_errors") return produce_errors(args);
    if (verb == "rtt") {
      auto id = args.size() == 2 ? parse_int(args[0]) : std::nullopt;
      auto ms = args.size() == 2 ? parse_int(args[1]) : std::nullopt;
      if (!id || !ms) return "error usage: rtt ID MS";
      return answer(rd_kafka_mock_broker_set_rtt(cluster_.get(), *id, *ms));
    }
    return "error unknown command '" + verb + "'";
  }

 private:
  static std::string answer(rd_kafka_resp_err_t err) {
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return "ok";
    return std::string("error ") + rd_kafka_err2name(err) + ": " + rd_kafka_err2str(err);
  }

  std::string produce_errors(const std::vector<std::string>& args) {
    auto count = args.size() >= 2 ? parse_int(args[0]) : std::nullopt;
    if (!count || *count < 1) return "error usage: produce_errors COUNT ERRNAME...";
    std::vector<rd_kafka_resp_err_t> names;
    for (size_t i = 1; i < args.size(); ++i) {
      auto err = error_by_name(args[i]);
      if (!err) return "error unknown error name '" + args[i] + "'";
      names.push_back(*err);
    }
    std::vector<rd_kafka_resp_err_t> errors;
    for (int i = 0; i < *count; ++i) errors.push_back(names[i % names.size()]);
    rd_kafka_mock_push_request_errors_array(cluster_.get(), kProduceApiKey, errors.size(),
                                            errors.data());
    return "ok";
  }

  std::unique_ptr<rd_kafka_t, KafkaDeleter> handle_;
  std::unique_ptr<rd_kafka_mock_cluster_t, MockDeleter> cluster_;
  int brokers_;
  bool spread_leaders_;
};

std::unique_ptr<rd_kafka_t, KafkaDeleter> make_handle() {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The handle only hosts the cluster; keep it from logging about its own (absent) brokers.
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    std::cerr << "mock_kafka: rd_kafka_new: " << errstr << "\n";
  }
  return std::unique_ptr<rd_kafka_t, KafkaDeleter>(rk);
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parse_args(argc, argv);
  if (!options) {
    std::cerr << "usage: mock_kafka --brokers N [--spread-leaders] [--topic T --partitions P]...\n";
    return 2;
  }
  auto handle = make_handle();
  if (!handle) return 1;
  MockCluster cluster(std::move(handle), options->brokers, options->spread_leaders);
  if (!cluster.ok()) {
    std::cerr << "mock_kafka: rd_kafka_mock_cluster_new failed\n";
    return 1;
  }
  for (const auto& topic : options->topics) {
    std::string result = cluster.create_topic(topic.name, topic.partitions);
    if (result != "ok") {
      std::cerr << "mock_kafka: create topic " << topic.name << ": " << result << "\n";
      return 1;
    }
  }
  std::cout << cluster.bootstraps() << std::endl;

  for (std::string line; std::getline(std::cin, line);) {
    if (line.empty()) continue;
    if (line == "quit") break;
    std::cout << cluster.execute(line) << std::endl;
  }
  return 0;
}
