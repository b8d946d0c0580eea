// `logship run` and `logship check`: the configured inputs and outputs as a service.
#include <algorithm>
#include <atomic>
#include <iostream>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/agent_log.h"
#include "agent/agent_metrics.h"
#include "agent/commands.h"
#include "agent/config.h"
#include "agent/data_dir_lock.h"
#include "agent/http_server.h"
#include "agent/input_factory.h"
#include "agent/runner.h"
#include "agent/signals.h"
#include "agent/systemd_notify.h"
#include "agent/watchdog.h"

namespace logship {
namespace {

bool feeds(const OutputConfig& output, const InputConfig& input) {
  return output.inputs.empty() ||
         std::ranges::find(output.inputs, input.name) != output.inputs.end();
}

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

// Everything `run` validates before it starts anything; `check` is exactly this. Config
// errors are the command's answer, printed as they are: before the config is loaded
// there is no log format to follow.
struct Validated {
  Config config;
  std::vector<PipelinePlan> plans;
};
Result<Validated> validate(const std::string& config_path) {
  auto config = load_config(config_path, HostChecks::kCheck);
  if (!config) return std::unexpected(config.error());
  auto plans = plan_pipelines(*config);
  if (!plans) {
    return make_error(ErrorCode::kInvalidConfig, config_path + ": " + plans.error().message);
  }
  return Validated{std::move(*config), std::move(*plans)};
}

// The [agent] keys whose values differ: they are read once, at start.
std::vector<std::string_view> changed_agent_keys(const AgentConfig& running,
                                                 const AgentConfig& loaded) {
  const std::pair<std::string_view, bool> keys[] = {
      {"data_dir", running.data_dir != loaded.data_dir},
      {"memory_limit", running.memory_limit != loaded.memory_limit},
      {"spool_max_bytes", running.spool_max_bytes != loaded.spool_max_bytes},
      {"checkpoint_interval", running.checkpoint_interval != loaded.checkpoint_interval},
      {"shutdown_timeout", running.shutdown_timeout != loaded.shutdown_timeout},
      {"metrics_listen", running.metrics_listen != loaded.metrics_listen},
      {"ready_grace", running.ready_grace != loaded.ready_grace},
      {"log_level", running.log_level != loaded.log_level},
      {"log_format", running.log_format != loaded.log_format},
  };
  std::vector<std::string_view> changed;
  for (const auto& [key, differs] : keys) {
    if (differs) changed.push_back(key);
  }
  return changed;
}

std::string joined(const auto& names) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

// SIGHUP: applies the file's inputs and outputs anew, and says what it did in one line that
// the repeat limiter never folds (an operator waits for it).
void reload(const std::string& config_path, const AgentConfig& running, Runner& runner) {
  Logger& log = agent_log();
  auto loaded = validate(config_path);  // what a start would refuse, a reload refuses
  auto applied = loaded ? runner.apply(std::move(loaded->plans))
                        : Result<ApplySummary>(std::unexpected(loaded.error()));
  if (!applied) {
    const LogField fields[] = {{"config", config_path}, {"error", applied.error().message}};
    log.log_always(LogLevel::kError, "reload rejected", fields);
    return;
  }
  std::vector<LogField> fields{{"config", config_path},
                               {"started", applied->started.size()},
                               {"stopped", applied->stopped.size()},
                               {"kept", applied->kept.size()}};
  if (!applied->abandoned.empty()) {
    // Their outputs did not drain by shutdown_timeout: what they had in flight is read again.
    fields.emplace_back("abandoned", applied->abandoned.size());
    fields.emplace_back("abandoned_pipelines", joined(applied->abandoned));
  }
  log.log_always(applied->abandoned.empty() ? LogLevel::kInfo : LogLevel::kWarn, "reloaded",
                 fields);
  if (const auto keys = changed_agent_keys(running, loaded->config.agent); !keys.empty()) {
    const LogField restart[] = {{"config", config_path}, {"keys", joined(keys)}};
    log.log_always(LogLevel::kWarn, "restart needed", restart);
  }
}

// The operations endpoint: /metrics from the runner, /ready once the pipelines run and
// every output has succeeded within ready_grace.
Result<std::unique_ptr<HttpServer>> serve_operations(const AgentConfig& agent, Runner& runner,
                                                     AgentMetrics& metrics,
                                                     const std::atomic<bool>& started) {
  return HttpServer::start(agent.metrics_listen,
                           {.metrics =
                                [&] {
                                  runner.collect();
                                  return metrics.registry().render();
                                },
                            .unready =
                                [&] {
                                  if (!started) {
                                    return std::vector<std::string>{"the pipelines are starting"};
                                  }
                                  return runner.unready_outputs();
                                }});
}

// systemd not listening is no reason to stop shipping: said, and carried on.
void tell_systemd(const Result<void>& sent) {
  if (!sent) {
    agent_log().log(LogLevel::kWarn, "cannot notify systemd", {{"error", sent.error().message}});
  }
}

// An input thread goes round its loop at least every rescan_interval, or every slice of a
// pause; one that has not for twice the longest of them (and 10 s more) is stuck.
std::chrono::steady_clock::duration stuck_after(const Config& config) {
  std::chrono::milliseconds longest{0};
  for (const auto& input : config.inputs) longest = std::max(longest, input.rescan_interval);
  return 2 * longest + std::chrono::seconds(10);
}

}  // namespace

int run_check(const std::string& config_path) {
  auto validated = validate(config_path);
  if (!validated) {
    std::cerr << validated.error().message << "\n";
    return kExitUsage;
  }
  std::cout << format_config(validated->config);
  return kExitOk;
}

int run_service(const std::string& config_path, const std::string& log_level) {
  auto validated = validate(config_path);
  if (!validated) {
    std::cerr << validated.error().message << "\n";
    return kExitUsage;
  }
  auto& config = validated->config;
  // Held until the process ends: one agent per data_dir.
  auto data_dir = DataDirLock::acquire(config.agent.data_dir);
  if (!data_dir) {
    std::cerr << "logship run: " << data_dir.error().message << "\n";
    return kExitUsage;
  }
  // --log-level wins over the file's key for this run (the CLI admits valid names only).
  configure_agent_log(
      log_level.empty() ? config.agent.log_level : parse_log_level(log_level).value(),
      config.agent.log_format);
  Logger& log = agent_log();
  ShutdownSignals signals;  // first: the server's thread inherits its blocked signals
  auto metrics = AgentMetrics::create(LOGSHIP_VERSION);
  if (!metrics) {
    log.log(LogLevel::kError, "cannot register metrics", {{"error", metrics.error().message}});
    return kExitFailure;
  }
  Runner runner(config.agent, &*data_dir, signals.stop_token(), metrics->get());
  std::atomic<bool> started = false;
  auto server = serve_operations(config.agent, runner, **metrics, started);
  if (!server) {
    log.log(LogLevel::kError, "cannot serve metrics",
            {{"metrics_listen", config.agent.metrics_listen}, {"error", server.error().message}});
    // A bind failure (address in use) is the host's state; validate() has checked the text.
    return server.error().code == ErrorCode::kInvalidConfig ? kExitUsage : kExitFailure;
  }
  if (auto applied = runner.apply(std::move(validated->plans)); !applied) {
    log.log(LogLevel::kError, "cannot start the pipelines", {{"error", applied.error().message}});
    // An output that cannot be built from its settings (a CA bundle that is no PEM, an
    // empty token file) is a config error too.
    return applied.error().code == ErrorCode::kInvalidConfig ? kExitUsage : kExitFailure;
  }
  started = true;
  const SystemdNotifier systemd = SystemdNotifier::from_environment();  // Type=notify
  tell_systemd(systemd.ready());
  log.log(LogLevel::kInfo, "started",
          {{"config", config_path},
           {"inputs", config.inputs.size()},
           {"outputs", config.outputs.size()},
           {"metrics_listen", config.agent.metrics_listen}});
  auto watchdog = Watchdog::start(
      systemd, [&runner, limit = stuck_after(config)] { return runner.stuck_pipelines(limit); });
  // [agent] settings stay as they were at start: a changed one needs a restart.
  while (signals.wait_for_reload()) {
    tell_systemd(systemd.reloading());
    reload(config_path, config.agent, runner);
    tell_systemd(systemd.ready());
  }
  tell_systemd(systemd.stopping());
  watchdog.reset();  // systemd does not watch a stopping service
  return runner.wait().exit_code;
}

}  // namespace logship
