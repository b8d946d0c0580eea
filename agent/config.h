#pragma once
// Config: the agent's settings as plain, validated, immutable data. Defaults live here,
// beside each field; config.example.toml documents every key with the same defaults.
// Loaded once by load_config() (config_load.cc); runtime state lives elsewhere.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "agent/logger.h"
#include "agent/result.h"
#include "inputs/parse/parse_config.h"
#include "outputs/kafka/kafka_config.h"
#include "outputs/loki/loki_config.h"

namespace logship {

using namespace std::chrono_literals;

enum class StartAt { kHead, kTail };
enum class ParserKind { kNone, kJson, kLogfmt, kRegex, kCri, kDocker };
enum class LongLines { kSplit, kTruncate };
enum class RecordFormat { kRaw, kJson };

struct AgentConfig {
  std::string data_dir = "/var/lib/logship";
  // Unset: derived from the cgroup memory limit when there is one, else 64 MiB.
  std::optional<uint64_t> memory_limit;
  // Cap on the spool under data_dir (compressed bytes of rotated files closed while an
  // output was blocked); past it the oldest spooled lines are dropped and counted. 0: no
  // spool, rotated files stay open until shipped.
  uint64_t spool_max_bytes = uint64_t{1} << 30;
  std::chrono::milliseconds checkpoint_interval = 1s;
  std::chrono::milliseconds shutdown_timeout = 10s;
  std::string metrics_listen = "127.0.0.1:9598";
  // /ready answers 503 naming an output whose last attempt failed and that has not
  // succeeded for this long (a start counts as a success).
  std::chrono::milliseconds ready_grace = 60s;
  // The agent's own log on stderr (agent/agent_log.h).
  LogLevel log_level = LogLevel::kInfo;
  LogFormat log_format = LogFormat::kLogfmt;
};

struct InputConfig {
  // The section's TOML as written; on SIGHUP an input whose definition is unchanged keeps
  // running untouched.
  std::string definition;
  // "" or "kubernetes": sets the defaults of paths, exclude, parser, kubernetes_labels
  // and name (config_load.cc, apply_preset); keys set beside it override them.
  std::string preset;
  std::string name;
  std::string type = "file";
  std::vector<std::string> paths;
  std::vector<std::string> exclude;
  StartAt start_at = StartAt::kTail;
  ParserKind parser = ParserKind::kNone;
  uint64_t max_line_bytes = 256 * 1024;
  LongLines long_lines = LongLines::kSplit;
  // A final line without '\n' is shipped as a line once the file was quiet this long.
  std::chrono::milliseconds flush_partial_after = 5s;
  // New files are found through inotify on their directories, and by a rescan this often
  // (the only way when watch = "poll", inotify is unavailable or its watch limit is hit).
  std::chrono::milliseconds rescan_interval = 5s;
  bool use_inotify = true;  // watch = "inotify" | "poll"
  // Open files at most; rotated files still unshipped count too. More wait, counted.
  int64_t max_open_files = 1024;
  std::map<std::string, std::string> labels;
  // regex, timestamp, multiline, drop_if/keep_if, rename, remove (inputs/parse).
  ParseConfig parse;
};

struct StdoutOutputConfig {
  RecordFormat format = RecordFormat::kRaw;
};

struct NullOutputConfig {};

using OutputSettings =
    std::variant<StdoutOutputConfig, NullOutputConfig, KafkaOutputConfig, LokiOutputConfig>;

struct OutputConfig {
  std::string definition;  // as InputConfig::definition
  std::string name;
  std::string type;
  // Input names this output ships; empty means every input.
  std::vector<std::string> inputs;
  OutputSettings settings;
};

struct Config {
  std::string source_file;  // where it was loaded from, for messages
  AgentConfig agent;
  std::vector<InputConfig> inputs;
  std::vector<OutputConfig> outputs;
};

// Whether load_config also checks the host as `run` needs it at start: every file the
// config names is readable and data_dir can be created and written to (nothing is
// created). `run`, `check` and reloads check; `offsets` only reads the checkpoints.
enum class HostChecks { kSkip, kCheck };

// Reads, interpolates and validates a TOML config file. The error message lists every
// problem found, each as "file:line:col: key 'k': what is wrong".
Result<Config> load_config(const std::string& path, HostChecks host = HostChecks::kSkip);

// The effective config as TOML, secrets masked (`logship check`).
std::string format_config(const Config& config);

// Effective memory limit and where it came from ("config", "half of cgroup memory.max
// (path)", ...): computed by effective_memory_limit() (agent/memory_limit.h).
struct MemoryLimit {
  uint64_t bytes;
  std::string origin;
};

}  // namespace logship
