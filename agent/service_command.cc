// `logship run` and `logship check`: the configured inputs and outputs as a service.
#include <algorithm>
#include <atomic>
#include <iostream>

#include "agent/agent_metrics.h"
#include "agent/commands.h"
#include "agent/config.h"
#include "agent/http_server.h"
#include "agent/input_factory.h"
#include "agent/runner.h"
#include "agent/signals.h"

namespace logship {
namespace {

bool feeds(const OutputConfig& output, const InputConfig& input) {
  return output.inputs.empty() ||
         std::ranges::find(output.inputs, input.name) != output.inputs.end();
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

namespace {

// One pipeline per input/output pair; its key changes when either definition does.
Result<std::vector<PipelinePlan>> plan_pipelines(const Config& config) {
  std::vector<PipelinePlan> plans;
  for (const auto& output : config.outputs) {
    for (const auto& input : config.inputs) {
      if (!feeds(output, input)) continue;
      const std::string scope = input.name + "/" + output.name;
      auto options = file_input_options(input, true, scope);
      if (!options) return std::unexpected(options.error());
      plans.push_back({scope + "\n" + input.definition + "\n" + output.definition,
                       std::move(*options), output});
    }
  }
  return plans;
}

}  // namespace

int run_service(const std::string& config_path) {
  auto config = load_config(config_path);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return kExitUsage;
  }
  auto plans = plan_pipelines(*config);
  if (!plans) {
    std::cerr << config_path << ": " << plans.error().message << "\n";
    return kExitUsage;
  }
  ShutdownSignals signals;  // first: the server's thread inherits its blocked signals
  Runner runner(config->agent, true, signals.stop_token());
  auto metrics = AgentMetrics::create(LOGSHIP_VERSION);
  if (!metrics) {
    std::cerr << "logship: metrics: " << metrics.error().message << "\n";
    return kExitFailure;
  }
  std::atomic<bool> ready = false;
  auto server =
      HttpServer::start(config->agent.metrics_listen, {.metrics =
                                                           [&] {
                                                             runner.collect(**metrics);
                                                             return (*metrics)->registry().render();
                                                           },
                                                       .ready = [&] { return ready.load(); }});
  if (!server) {
    std::cerr << "logship: metrics_listen " << config->agent.metrics_listen << ": "
              << server.error().message << "\n";
    return kExitFailure;
  }
  if (auto applied = runner.apply(std::move(*plans)); !applied) {
    std::cerr << "logship: " << applied.error().message << "\n";
    return kExitFailure;
  }
  ready = true;
  // SIGHUP: apply the file's inputs and outputs anew; [agent] settings need a restart.
  while (signals.wait_for_reload()) {
    auto reloaded = load_config(config_path);
    auto new_plans = reloaded
                         ? plan_pipelines(*reloaded)
                         : Result<std::vector<PipelinePlan>>(std::unexpected(reloaded.error()));
    Result<void> applied = new_plans ? runner.apply(std::move(*new_plans))
                                     : Result<void>(std::unexpected(new_plans.error()));
    if (!applied) {
      std::cerr << "logship: reload rejected, the running configuration stays: "
                << applied.error().message << "\n";
      continue;
    }
    std::cerr << "logship: reloaded " << config_path << "\n";
  }
  return runner.wait().exit_code;
}

}  // namespace logship
