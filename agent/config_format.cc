#include "agent/config_format.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <sstream>
#include <variant>

#include "agent/config.h"
#include "agent/memory_limit.h"
#include "agent/units.h"

namespace logship {
namespace {

constexpr std::string_view kMasked = "***";

std::string_view start_at_name(StartAt value) { return value == StartAt::kHead ? "head" : "tail"; }

std::string_view parser_name(ParserKind value) {
  switch (value) {
    case ParserKind::kNone:
      return "none";
    case ParserKind::kJson:
      return "json";
    case ParserKind::kLogfmt:
      return "logfmt";
    case ParserKind::kRegex:
      return "regex";
    case ParserKind::kCri:
      return "cri";
    case ParserKind::kDocker:
      return "docker";
  }
  return "none";
}

void format_settings(std::ostream& out, const StdoutOutputConfig& settings) {
  write_toml(out, "format", settings.format == RecordFormat::kJson ? "json" : "raw");
}

void format_settings(std::ostream&, const NullOutputConfig&) {}

}  // namespace

bool is_secret_key(std::string_view key) {
  std::string lower(key);
  std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return std::tolower(c); });
  static constexpr std::array<std::string_view, 5> kSecretWords{"password", "secret", "token",
                                                                "key.pem", "private"};
  return std::ranges::any_of(kSecretWords,
                             [&](std::string_view word) { return lower.contains(word); });
}

std::string toml_quote(std::string_view text) {
  std::string quoted = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\t':
        quoted += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned char>(c));
          quoted += escape;
        } else {
          quoted += c;
        }
    }
  }
  return quoted + "\"";
}

void write_toml(std::ostream& out, std::string_view key, std::string_view value) {
  out << key << " = " << toml_quote(is_secret_key(key) && !value.empty() ? kMasked : value) << "\n";
}

void write_toml(std::ostream& out, std::string_view key, bool value) {
  out << key << " = " << (value ? "true" : "false") << "\n";
}

void write_toml(std::ostream& out, std::string_view key, int64_t value) {
  out << key << " = " << value << "\n";
}

void write_toml(std::ostream& out, std::string_view key, const std::vector<std::string>& values) {
  out << key << " = [";
  for (size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << toml_quote(values[i]);
  out << "]\n";
}

void write_toml(std::ostream& out, std::string_view key,
                const std::map<std::string, std::string>& values) {
  out << key << " = {";
  bool first = true;
  for (const auto& [name, value] : values) {
    out << (first ? " " : ", ") << toml_quote(name) << " = "
        << toml_quote(is_secret_key(name) ? kMasked : std::string_view(value));
    first = false;
  }
  out << (first ? "}\n" : " }\n");
}

void write_toml_size(std::ostream& out, std::string_view key, uint64_t bytes) {
  write_toml(out, key, format_size(bytes));
}

void write_toml_duration(std::ostream& out, std::string_view key,
                         std::chrono::milliseconds duration) {
  write_toml(out, key, format_duration(duration));
}

std::string format_config(const Config& config) {
  std::ostringstream out;
  const MemoryLimit limit = effective_memory_limit(config.agent);
  out << "# effective configuration of " << config.source_file << "\n[agent]\n";
  write_toml(out, "data_dir", config.agent.data_dir);
  out << "memory_limit = " << toml_quote(format_size(limit.bytes)) << "  # from " << limit.origin
      << "\n";
  out << "spool_max_bytes = " << toml_quote(format_size(config.agent.spool_max_bytes)) << "\n";
  write_toml_duration(out, "checkpoint_interval", config.agent.checkpoint_interval);
  write_toml_duration(out, "shutdown_timeout", config.agent.shutdown_timeout);
  write_toml(out, "metrics_listen", config.agent.metrics_listen);
  write_toml_duration(out, "ready_grace", config.agent.ready_grace);
  write_toml(out, "log_level", log_level_name(config.agent.log_level));
  write_toml(out, "log_format", log_format_name(config.agent.log_format));
  for (const auto& input : config.inputs) {
    out << "\n[[inputs]]\n";
    if (!input.preset.empty()) write_toml(out, "preset", input.preset);
    write_toml(out, "name", input.name);
    write_toml(out, "type", input.type);
    write_toml(out, "paths", input.paths);
    write_toml(out, "exclude", input.exclude);
    write_toml(out, "start_at", start_at_name(input.start_at));
    write_toml(out, "parser", parser_name(input.parser));
    write_toml_size(out, "max_line_bytes", input.max_line_bytes);
    write_toml(out, "long_lines", input.long_lines == LongLines::kSplit ? "split" : "truncate");
    write_toml_duration(out, "flush_partial_after", input.flush_partial_after);
    write_toml_duration(out, "rescan_interval", input.rescan_interval);
    write_toml(out, "watch", input.use_inotify ? "inotify" : "poll");
    write_toml(out, "max_open_files", input.max_open_files);
    write_toml(out, "labels", input.labels);
    write_toml(out, "kubernetes_labels", input.parse.kubernetes_labels);
  }
  for (const auto& output : config.outputs) {
    out << "\n[[outputs]]\n";
    write_toml(out, "name", output.name);
    write_toml(out, "type", output.type);
    write_toml(out, "inputs", output.inputs);
    std::visit([&](const auto& settings) { format_settings(out, settings); }, output.settings);
  }
  return out.str();
}

}  // namespace logship
