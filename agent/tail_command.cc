// `logship tail`: one input (the given files) into one output, in the foreground.
#include <cstdio>
#include <iostream>
#include <variant>

#include "agent/commands.h"
#include "agent/config.h"
#include "agent/output_factory.h"
#include "agent/pipeline.h"
#include "agent/signals.h"
#include "agent/units.h"
#include "inputs/file/file_input.h"

namespace logship {
namespace {

constexpr uint64_t kDefaultTailLines = 10;

int usage_error(const std::string& message) {
  std::cerr << "logship tail: " << message << "\n";
  return kExitUsage;
}

// Flags that belong to capabilities not built yet answer clearly instead of being ignored.
std::optional<std::string> unsupported_flag(const TailOptions& options) {
  if (options.parser != "none") return "--parser " + options.parser + " is not yet supported";
  if (options.output == "kafka" || options.output == "loki") {
    return "--output " + options.output + " is not yet supported";
  }
  if (!options.kafka_brokers.empty() || !options.kafka_topic.empty()) {
    return "--kafka-brokers/--kafka-topic are not yet supported";
  }
  if (!options.loki_url.empty() || !options.labels.empty()) {
    return "--loki-url/--label are not yet supported";
  }
  if (!options.data_dir.empty()) return "--data-dir is not yet supported";
  return std::nullopt;
}

Result<OutputConfig> output_config(const TailOptions& options) {
  OutputConfig config{.name = "tail", .type = options.output};
  const RecordFormat format = options.format == "json" ? RecordFormat::kJson : RecordFormat::kRaw;
  if (options.output == "stdout") {
    config.settings = StdoutOutputConfig{.format = format};
  } else if (options.output == "null") {
    config.settings = NullOutputConfig{};
  } else {
    return make_error(ErrorCode::kInvalidConfig, "unknown --output " + options.output);
  }
  return config;
}

void report(const FileInput& input) {
  const FileInputCounts counts = input.counts();
  std::fprintf(stderr,
               "logship: files=%llu bytes=%llu lines=%llu split_lines=%llu truncated_lines=%llu\n",
               static_cast<unsigned long long>(counts.files),
               static_cast<unsigned long long>(counts.bytes),
               static_cast<unsigned long long>(counts.lines.lines),
               static_cast<unsigned long long>(counts.lines.split_lines),
               static_cast<unsigned long long>(counts.lines.truncated_lines));
}

}  // namespace

int run_tail(const TailOptions& options) {
  if (auto unsupported = unsupported_flag(options)) return usage_error(*unsupported);
  const auto max_line_bytes = parse_size(options.max_line_bytes);
  if (!max_line_bytes || *max_line_bytes == 0) {
    return usage_error("--max-line-bytes: expected a size such as 1MiB");
  }
  AgentConfig agent;
  if (!options.memory_limit.empty()) {
    agent.memory_limit = parse_size(options.memory_limit);
    if (!agent.memory_limit) return usage_error("--memory-limit: expected a size such as 64MiB");
  }
  auto output_settings = output_config(options);
  if (!output_settings) return usage_error(output_settings.error().message);

  FileInputOptions input_options{
      .name = "tail",
      .paths = options.paths,
      .follow = options.follow,
      .flush_partial_after = InputConfig{}.flush_partial_after,
  };
  input_options.tailer.max_line_bytes = *max_line_bytes;
  if (options.from_head) {
    input_options.start = {StartPosition::Kind::kHead};
  } else {
    input_options.start = {StartPosition::Kind::kLastLines,
                           options.last_lines.value_or(kDefaultTailLines)};
  }

  ShutdownSignals signals;
  MemoryBudget budget(effective_memory_limit(agent).bytes);
  auto output = make_output(*output_settings, OutputContext{.budget = &budget});
  if (!output) {
    std::cerr << "logship tail: " << output.error().message << "\n";
    return kExitFailure;
  }
  auto input = std::make_unique<FileInput>(std::move(input_options), budget);
  const FileInput& file_input = *input;
  Pipeline pipeline(std::move(input), std::move(*output), budget.limit() / 2);
  const PipelineOutcome outcome = pipeline.run(signals.stop_token(), agent.shutdown_timeout);
  if (!outcome.drained) {
    std::cerr << "logship tail: output did not drain within the shutdown timeout\n";
    std::fflush(stderr);
    std::_Exit(kExitFailure);
  }
  if (outcome.input_error) {
    std::cerr << "logship tail: " << outcome.input_error->message << "\n";
    return kExitFailure;
  }
  report(file_input);
  if (outcome.output_error) {
    std::cerr << "logship tail: " << outcome.output_error->message << "\n";
    return kExitFailure;
  }
  // After a stop, what was read but not acknowledged is re-read next time (with
  // --data-dir); a one-shot run that finished by itself must have shipped everything.
  if (!signals.stop_token().stop_requested() && outcome.unacknowledged > 0) {
    std::cerr << "logship tail: " << outcome.unacknowledged
              << " batches were not acknowledged by the output\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace logship
