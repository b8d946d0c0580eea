// `logship tail`: the given files into one output, in the foreground.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>

#include "agent/agent_log.h"
#include "agent/commands.h"
#include "agent/config.h"
#include "agent/data_dir_lock.h"
#include "agent/input_factory.h"
#include "agent/progress.h"
#include "agent/runner.h"
#include "agent/signals.h"
#include "agent/units.h"
#include "inputs/file/discovery.h"

namespace logship {
namespace {

constexpr uint64_t kDefaultTailLines = 10;

Result<OutputConfig> output_config(const TailOptions& options) {
  OutputConfig config{.name = options.output, .type = options.output};
  const bool json = options.format == "json";
  if (options.output == "stdout") {
    config.settings = StdoutOutputConfig{.format = json ? RecordFormat::kJson : RecordFormat::kRaw};
  } else if (options.output == "null") {
    config.settings = NullOutputConfig{};
  } else if (options.output == "kafka") {
    if (options.kafka_brokers.empty() || options.kafka_topic.empty()) {
      return make_error(ErrorCode::kInvalidConfig,
                        "--output kafka needs --kafka-brokers and --kafka-topic");
    }
    // Keyed by file, so each file's lines stay in order within one partition.
    config.settings = KafkaOutputConfig{.brokers = options.kafka_brokers,
                                        .topic = options.kafka_topic,
                                        .key_field = "file",
                                        .format = json ? KafkaFormat::kJson : KafkaFormat::kRaw};
  } else if (options.output == "loki") {
    if (options.loki_url.empty()) {
      return make_error(ErrorCode::kInvalidConfig, "--output loki needs --loki-url");
    }
    config.settings = LokiOutputConfig{.url = options.loki_url};
  } else {
    return make_error(ErrorCode::kInvalidConfig, "unknown --output " + options.output);
  }
  return config;
}

Result<InputConfig> input_config(const TailOptions& options) {
  InputConfig input{.name = "tail", .paths = options.paths};
  const auto max_line_bytes = parse_size(options.max_line_bytes);
  if (!max_line_bytes || *max_line_bytes == 0) {
    return make_error(ErrorCode::kInvalidConfig, "--max-line-bytes: expected a size such as 1MiB");
  }
  input.max_line_bytes = *max_line_bytes;
  static const std::map<std::string, ParserKind> kParsers{
      {"none", ParserKind::kNone},   {"json", ParserKind::kJson}, {"logfmt", ParserKind::kLogfmt},
      {"regex", ParserKind::kRegex}, {"cri", ParserKind::kCri},   {"docker", ParserKind::kDocker}};
  input.parser = kParsers.at(options.parser);
  for (const auto& label : options.labels) {
    const size_t equals = label.find('=');
    if (equals == std::string::npos || equals == 0) {
      return make_error(ErrorCode::kInvalidConfig, "--label " + label + ": expected k=v");
    }
    input.labels[label.substr(0, equals)] = label.substr(equals + 1);
  }
  return input;
}

// The one-shot's answer, not a log line: printed as it is whatever the log format. The
// ledger's outcomes come last: read == delivered + filtered + rejected + dropped + in_flight.
void print_counts(const FileInputCounts& counts, const LedgerSnapshot& lines) {
  std::fprintf(stderr,
               "logship: files=%llu bytes=%llu lines=%llu split_lines=%llu truncated_lines=%llu "
               "parse_failed=%llu rotations=%llu truncations=%llu delivered=%llu filtered=%llu "
               "rejected=%llu dropped=%llu in_flight=%llu\n",
               static_cast<unsigned long long>(counts.files),
               static_cast<unsigned long long>(counts.bytes),
               static_cast<unsigned long long>(counts.lines.lines),
               static_cast<unsigned long long>(counts.lines.split_lines),
               static_cast<unsigned long long>(counts.lines.truncated_lines),
               static_cast<unsigned long long>(counts.parse.parse_failed),
               static_cast<unsigned long long>(counts.rotations),
               static_cast<unsigned long long>(counts.truncations),
               static_cast<unsigned long long>(lines.delivered),
               static_cast<unsigned long long>(lines.filtered),
               static_cast<unsigned long long>(lines.rejected_total()),
               static_cast<unsigned long long>(lines.dropped_total()),
               static_cast<unsigned long long>(lines.in_flight()));
}

// --data-dir locked, created if need be; none without it. One that cannot be used is the
// command line's error, found before anything is read.
Result<std::optional<DataDirLock>> lock_data_dir(const std::string& dir) {
  if (dir.empty()) return std::nullopt;
  auto locked = DataDirLock::acquire(dir);
  if (!locked) return std::unexpected(locked.error());
  return std::move(*locked);
}

int usage_error(const std::string& message) {
  std::cerr << "logship tail: " << message << "\n";
  return kExitUsage;
}

}  // namespace

int run_tail(const TailOptions& options) {
  // The CLI admits only valid spellings.
  configure_agent_log(parse_log_level(options.log_level).value_or(LogLevel::kInfo),
                      parse_log_format(options.log_format).value_or(LogFormat::kLogfmt));
  AgentConfig agent;
  if (!options.memory_limit.empty()) {
    agent.memory_limit = parse_size(options.memory_limit);
    if (!agent.memory_limit) return usage_error("--memory-limit: expected a size such as 64MiB");
  }
  if (!options.data_dir.empty()) agent.data_dir = options.data_dir;
  auto input = input_config(options);
  if (!input) return usage_error(input.error().message);
  auto output = output_config(options);
  if (!output) return usage_error(output.error().message);
  auto input_options = file_input_options(*input, options.follow, "tail");
  if (!input_options) return usage_error(input_options.error().message);
  if (options.from_head) {
    input_options->start = {StartPosition::Kind::kHead};
  } else {
    input_options->start = {StartPosition::Kind::kLastLines,
                            options.last_lines.value_or(kDefaultTailLines)};
  }
  // A progress line on a terminal, for one-shot reads of whole files.
  uint64_t total_bytes = 0;
  if (options.from_head && !options.follow) {
    for (const auto& path : discover(options.paths, {}).files) {
      struct stat info {};
      if (::stat(path.c_str(), &info) == 0) total_bytes += static_cast<uint64_t>(info.st_size);
    }
  }

  // Held until the process ends: one agent per data_dir.
  auto data_dir = lock_data_dir(options.data_dir);
  if (!data_dir) return usage_error(data_dir.error().message);
  ShutdownSignals signals;
  Runner runner(agent, data_dir->has_value() ? &data_dir->value() : nullptr, signals.stop_token());
  std::vector<PipelinePlan> plans;
  plans.push_back({"tail", std::move(*input_options), std::move(*output)});
  if (auto applied = runner.apply(std::move(plans)); !applied) {
    agent_log().log(LogLevel::kError, "cannot start", {{"error", applied.error().message}});
    return kExitFailure;
  }
  std::unique_ptr<ProgressReporter> progress;
  if (total_bytes > 0 &&
      progress_wanted(options.progress, STDERR_FILENO, STDOUT_FILENO, options.output == "stdout")) {
    progress = ProgressReporter::start(STDERR_FILENO, [&runner, total_bytes] {
      return ProgressCounts{runner.sent_total().file_bytes, total_bytes};
    });
  }
  const RunReport report = runner.wait();
  progress.reset();  // erases the line before the summary
  for (const auto& counts : report.counts) print_counts(counts, report.ledger);
  // Lines given up, by the destination or by the agent, fail the run so a script notices;
  // filtered lines were given up on purpose and do not. So does a named path that could not
  // be read, as with tail(1), though every readable one was shipped.
  const bool unreadable = std::ranges::any_of(
      report.counts, [](const FileInputCounts& counts) { return counts.unreadable_paths > 0; });
  if (report.exit_code == kExitOk &&
      (report.ledger.rejected_total() > 0 || report.ledger.dropped_total() > 0 || unreadable)) {
    return kExitFailure;
  }
  return report.exit_code;
}

}  // namespace logship
