// `logship run` and `logship check`: the configured inputs and outputs as a service.
#include <algorithm>
#include <atomic>
#include <iostream>

#include "agent/agent_log.h"
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
  // Config errors are the command's answer, as `check` prints them: before the config
  // is loaded there is no log format to follow.
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
  configure_agent_log(config->agent.log_level, config->agent.log_format);
  Logger& log = agent_log();
  ShutdownSignals signals;  // first: the server's thread inherits its blocked signals
  auto metrics = AgentMetrics::create(LOGSHIP_VERSION);
  if (!metrics) {
    log.log(LogLevel::kError, "cannot register metrics", {{"error", metrics.error().message}});
    return kExitFailure;
  }
  Runner runner(config->agent, true, signals.stop_token(), metrics->get());
  std::atomic<bool> ready = false;
  auto server =
      HttpServer::start(config->agent.metrics_listen,
                        {.metrics =
                             [&] {
                               runner.collect();
                               return (*metrics)->registry().render();
                             },
                         .unready =
                             [&] {
                               if (!ready) {
                                 return std::vector<std::string>{"the pipelines are starting"};
                               }
                               return runner.unready_outputs();
                             }});
  if (!server) {
    log.log(LogLevel::kError, "cannot serve metrics",
            {{"metrics_listen", config->agent.metrics_listen}, {"error", server.error().message}});
    return kExitFailure;
  }
  if (auto applied = runner.apply(std::move(*plans)); !applied) {
    log.log(LogLevel::kError, "cannot start the pipelines", {{"error", applied.error().message}});
    return kExitFailure;
  }
  ready = true;
  log.log(LogLevel::kInfo, "started",
          {{"config", config_path},
           {"inputs", config->inputs.size()},
           {"outputs", config->outputs.size()},
           {"metrics_listen", config->agent.metrics_listen}});
  // SIGHUP: apply the file's inputs and outputs anew; [agent] settings need a restart.
  while (signals.wait_for_reload()) {
    auto reloaded = load_config(config_path);
    auto new_plans = reloaded
                         ? plan_pipelines(*reloaded)
                         : Result<std::vector<PipelinePlan>>(std::unexpected(reloaded.error()));
    Result<void> applied = new_plans ? runner.apply(std::move(*new_plans))
                                     : Result<void>(std::unexpected(new_plans.error()));
    if (!applied) {
      log.log(LogLevel::kError, "reload rejected, the running configuration stays",
              {{"config", config_path}, {"error", applied.error().message}});
      continue;
    }
    log.log(LogLevel::kInfo, "reloaded", {{"config", config_path}});
  }
  return runner.wait().exit_code;
}

}  // namespace logship
