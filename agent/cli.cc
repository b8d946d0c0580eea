#include "agent/cli.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <string_view>

#include "agent/commands.h"

namespace logship {
namespace {

void add_tail(CLI::App& app, TailOptions& tail) {
  auto* cmd = app.add_subcommand("tail", "Ship files once (or follow them with -f)");
  cmd->add_flag("--from-head", tail.from_head, "Read each file from its start");
  cmd->add_option("-n", tail.last_lines, "Start at the last N lines of each file (default 10)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("-f", tail.follow, "Follow appends until SIGINT/SIGTERM");
  cmd->add_option("--parser", tail.parser, "Parser for each line")
      ->check(CLI::IsMember({"none", "json", "logfmt", "cri", "docker", "regex"}));
  cmd->add_option("--output", tail.output, "Where records go")
      ->check(CLI::IsMember({"stdout", "null", "kafka", "loki"}));
  cmd->add_option("--format", tail.format, "stdout format: the raw line or a JSON record")
      ->check(CLI::IsMember({"raw", "json"}));
  cmd->add_option("--max-line-bytes", tail.max_line_bytes,
                  "Longer lines are split into pieces of this size (default 256KiB)");
  // expected(1): a repeatable option takes one value each time, never the paths after it.
  cmd->add_option("--kafka-brokers", tail.kafka_brokers, "HOST:PORT,...")
      ->delimiter(',')
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--kafka-topic", tail.kafka_topic, "Kafka topic");
  cmd->add_option("--loki-url", tail.loki_url, "Loki push URL");
  cmd->add_option("--label", tail.labels, "Label k=v (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--data-dir", tail.data_dir, "Persist offsets here and resume from them");
  cmd->add_option("--memory-limit", tail.memory_limit, "Memory budget, e.g. 64MiB");
  cmd->add_option("--log-level", tail.log_level, "The agent's own log: debug|info|warn|error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  cmd->add_option("--log-format", tail.log_format, "The agent's own log: logfmt|json")
      ->check(CLI::IsMember({"logfmt", "json"}));
  cmd->add_option("--progress", tail.progress,
                  "Progress line on stderr for --from-head without -f: auto (stderr a terminal "
                  "that is not also where the records go), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  cmd->add_option("paths", tail.paths, "Files or globs")->required();
  cmd->callback([&tail] {
    if (tail.from_head && tail.last_lines) {
      throw CLI::ValidationError("--from-head and -n", "are mutually exclusive");
    }
  });
}

CLI::App* add_top(CLI::App& app, TopOptions& top) {
  auto* cmd = app.add_subcommand("top", "Watch a running agent: pipelines, outputs, file lag");
  cmd->add_option("--url", top.url, "The agent's metrics endpoint (default " + top.url + ")");
  cmd->add_option("--interval", top.interval, "Refresh interval (default 1s)");
  cmd->add_flag("--once", top.once, "Print one plain snapshot and exit");
  return cmd;
}

constexpr std::string_view kCommands = "run, check, tail, offsets, top, status, version, help";

int usage(const std::string& message) {
  std::cerr << "logship: " << message << "\n";
  return kExitUsage;
}

CLI::App* find_command(CLI::App& app, std::string_view name) {
  auto named = app.get_subcommands([&](CLI::App* sub) { return sub->get_name() == name; });
  return named.empty() ? nullptr : named.front();
}

// `logship help [COMMAND]`: the same text as --help, on stdout.
int run_help(CLI::App& app, const std::string& command) {
  if (command.empty()) {
    // Not app.help(): once `help` is parsed, that shows the help of `help`.
    std::cout << app.get_formatter()->make_help(&app, "logship", CLI::AppFormatMode::Normal);
    return kExitOk;
  }
  if (CLI::App* sub = find_command(app, command)) {
    std::cout << sub->help("logship");
    return kExitOk;
  }
  return usage("no command \"" + command + "\"; the commands are " + std::string(kCommands));
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app("logship: ship log files to Kafka, Loki or stdout, losing nothing", "logship");
  app.require_subcommand(0, 1);
  bool show_version = false;
  app.add_flag("-V,--version", show_version, "Print the version and linked libraries");
  std::string config_path;
  TailOptions tail;
  auto* run = app.add_subcommand("run", "Run as a service with a config file");
  run->add_option("-c,--config", config_path, "TOML config file")->required();
  std::string run_log_level;
  run->add_option("--log-level", run_log_level,
                  "The agent's own log: debug|info|warn|error, over [agent] log_level")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  auto* check = app.add_subcommand("check", "Validate a config file and print it");
  check->add_option("-c,--config", config_path, "TOML config file")->required();
  add_tail(app, tail);
  auto* offsets = app.add_subcommand("offsets", "Inspect or reset checkpoints");
  std::string offsets_action;
  offsets->add_option("action", offsets_action, "list or reset")
      ->required()
      ->check(CLI::IsMember({"list", "reset"}));
  offsets->add_option("-c,--config", config_path, "TOML config file")->required();
  TopOptions top_options;
  auto* top = add_top(app, top_options);
  auto* status = app.add_subcommand("status", "Where a stopped agent would resume, per file");
  status->add_option("-c,--config", config_path, "TOML config file")->required();
  auto* version = app.add_subcommand("version", "Print the version and linked libraries");
  auto* help = app.add_subcommand("help", "Show the help of logship or of one command");
  std::string help_command;
  help->add_option("command", help_command, "The command");

  // CLI11 would call an unknown command an unexpected argument.
  if (argc > 1 && argv[1][0] != '-' && !find_command(app, argv[1])) {
    return usage("unknown command \"" + std::string(argv[1]) + "\"; the commands are " +
                 std::string(kCommands));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    return kExitUsage;
  }

  if (show_version || version->parsed()) return run_version();
  if (help->parsed()) return run_help(app, help_command);
  if (app.get_subcommands().empty()) {
    std::cerr << app.help();
    return usage("a command is required: " + std::string(kCommands));
  }
  if (run->parsed()) return run_service(config_path, run_log_level);
  if (check->parsed()) return run_check(config_path);
  if (offsets->parsed()) return run_offsets(offsets_action, config_path);
  if (top->parsed()) return run_top(top_options);
  if (status->parsed()) return run_status(config_path);
  return run_tail(tail);
}

}  // namespace logship
