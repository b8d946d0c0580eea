// `logship run` and `logship check`: the configured inputs and outputs as a service.
#include <algorithm>
#include <iostream>

#include "agent/commands.h"
#include "agent/config.h"
#include "agent/input_factory.h"
#include "agent/runner.h"
#include "agent/signals.h"

namespace logship {
namespace {

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
  for (const auto& input : config->inputs) {
    if (auto options = file_input_options(input, true, input.name); !options) {
      std::cerr << config_path << ": " << options.error().message << "\n";
      return kExitUsage;
    }
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
  RunPlan plan{.agent = config->agent, .persist_offsets = true};
  for (const auto& output : config->outputs) {
    for (const auto& input : config->inputs) {
      if (!feeds(output, input)) continue;
      auto options = file_input_options(input, true, input.name + "/" + output.name);
      if (!options) {
        std::cerr << config_path << ": " << options.error().message << "\n";
        return kExitUsage;
      }
      plan.pipelines.push_back({std::move(*options), output});
    }
  }
  ShutdownSignals signals;
  return run_plan(std::move(plan), signals.stop_token()).exit_code;
}

}  // namespace logship
