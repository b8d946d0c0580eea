#pragma once
// The subcommands behind the CLI. Each returns the process exit code:
// 0 ok, 2 bad usage or config, 1 runtime failure.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace logship {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct TailOptions {
  std::vector<std::string> paths;
  bool from_head = false;
  std::optional<uint64_t> last_lines;  // -n N; without it and --from-head: the last 10
  bool follow = false;
  std::string parser = "none";
  std::string output = "stdout";
  std::string format = "raw";
  std::string max_line_bytes = "256KiB";
  std::string memory_limit;  // empty: the agent's default
  std::vector<std::string> kafka_brokers;
  std::string kafka_topic;
  std::string loki_url;
  std::vector<std::string> labels;  // k=v
  std::string data_dir;
  std::string log_level = "info";  // the agent's own log on stderr, as [agent] log_level
  std::string log_format = "logfmt";
  std::string progress = "auto";  // auto | always | never
};

struct TopOptions {
  std::string url = "http://127.0.0.1:9598";  // the agent's metrics endpoint
  std::string interval = "1s";
  bool once = false;  // one plain snapshot, as when stdout is not a terminal
};

int run_tail(const TailOptions& options);
int run_check(const std::string& config_path);
// `log_level`: empty, or the level to use over the config's [agent] log_level.
int run_service(const std::string& config_path, const std::string& log_level);
int run_version();
int run_offsets(const std::string& action, const std::string& config_path);
int run_top(const TopOptions& options);
int run_status(const std::string& config_path);

}  // namespace logship
