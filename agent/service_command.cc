// `logship run` and `logship check`: the configured inputs and outputs as a service.
#include <algorithm>
#include <iostream>
#include <thread>

#include "agent/commands.h"
#include "agent/config.h"
#include "agent/output_factory.h"
#include "agent/pipeline.h"
#include "agent/signals.h"
#include "inputs/file/file_input.h"

namespace logship {
namespace {

FileInputOptions file_input_options(const InputConfig& input) {
  FileInputOptions options{
      .name = input.name,
      .paths = input.paths,
      .exclude = input.exclude,
      .start = {input.start_at == StartAt::kHead ? StartPosition::Kind::kHead
                                                 : StartPosition::Kind::kEnd},
      .follow = true,
      .flush_partial_after = input.flush_partial_after,
      .labels = {input.labels.begin(), input.labels.end()},
  };
  options.tailer.max_line_bytes = input.max_line_bytes;
  options.tailer.long_lines = input.long_lines;
  return options;
}

bool feeds(const OutputConfig& output, const InputConfig& input) {
  return output.inputs.empty() || std::ranges::find(output.inputs, input.name) != output.inputs.end();
}

}  // namespace

int run_check(const std::string& config_path) {
  auto config = load_config(config_path);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return kExitUsage;
  }
  std::cout << format_config(*config);
  return kExitOk;
}

int run_service(const std::string& config_path) {
  auto config = load_config(config_path);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return kExitUsage;
  }
  for (const auto& input : config->inputs) {
    if (input.parser != ParserKind::kNone) {
      std::cerr << config_path << ": input \"" << input.name
                << "\": parsers are not yet supported\n";
      return kExitUsage;
    }
  }
  ShutdownSignals signals;
  MemoryBudget budget(effective_memory_limit(config->agent).bytes);
  std::vector<std::unique_ptr<Pipeline>> pipelines;
  for (const auto& output_config : config->outputs) {
    for (const auto& input_config : config->inputs) {
      if (!feeds(output_config, input_config)) continue;
      auto output = make_output(output_config, OutputContext{.budget = &budget});
      if (!output) {
        std::cerr << "output \"" << output_config.name << "\": " << output.error().message << "\n";
        return kExitFailure;
      }
      auto input = std::make_unique<FileInput>(file_input_options(input_config), budget);
      pipelines.push_back(std::make_unique<Pipeline>(std::move(input), std::move(*output),
                                                     budget.limit() / 2));
    }
  }
  std::vector<PipelineOutcome> outcomes(pipelines.size());
  {
    std::vector<std::jthread> runners;
    for (size_t i = 0; i < pipelines.size(); ++i) {
      runners.emplace_back([&, i] {
        outcomes[i] = pipelines[i]->run(signals.stop_token(), config->agent.shutdown_timeout);
      });
    }
  }
  int code = kExitOk;
  for (const auto& outcome : outcomes) {
    if (!outcome.drained) {
      std::cerr << "logship: an output did not drain within the shutdown timeout\n";
      std::_Exit(kExitFailure);
    }
    for (const auto& error : {outcome.input_error, outcome.output_error}) {
      if (error) {
        std::cerr << "logship: " << error->message << "\n";
        code = kExitFailure;
      }
    }
  }
  return code;
}

}  // namespace logship
