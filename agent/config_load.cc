// load_config: TOML file -> validated Config. One parse function per section; toml++'s
// exceptions are caught here and turned into file:line:col messages.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <sstream>

#include "agent/config.h"
#include "agent/config_reader.h"
#include "agent/data_dir_lock.h"
#include "agent/listen_address.h"
#include "agent/unique_fd.h"
#include "inputs/parse/regex.h"

namespace logship {
namespace {

// A file the config names must be readable now: `run` opens it at start.
void check_readable(TableReader& reader, std::string_view key, const std::string& path,
                    std::string_view what, bool directory_ok = false) {
  if (path.empty()) return;
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat info {};
  if (!fd) {
    reader.fail(key, std::string(what) + errno_message("open", path));
  } else if (!directory_ok && ::fstat(fd.get(), &info) == 0 && S_ISDIR(info.st_mode)) {
    reader.fail(key, std::string(what) + path + ": " + std::strerror(EISDIR));
  }
}

// A PCRE2 pattern, compiled here so that a bad one is named at its key; the input
// compiles it again for its parser.
void read_regex(TableReader& reader, std::string_view key, std::string& out) {
  reader.read(key, out);
  std::string error;
  if (!out.empty() && !Regex::compile(out, error)) reader.fail(key, error);
}

void parse_agent(TableReader& reader, AgentConfig& out) {
  reader.read("data_dir", out.data_dir);
  reader.read_size("memory_limit", out.memory_limit);
  reader.read_size("spool_max_bytes", out.spool_max_bytes);
  reader.read_duration("checkpoint_interval", out.checkpoint_interval);
  reader.read_duration("shutdown_timeout", out.shutdown_timeout);
  reader.read("metrics_listen", out.metrics_listen);
  if (auto listen = parse_listen_address(out.metrics_listen);
      !out.metrics_listen.empty() && !listen) {
    reader.fail("metrics_listen", listen.error().message);
  }
  reader.read_duration("ready_grace", out.ready_grace);
  reader.read_choice("log_level", out.log_level,
                     {{"debug", LogLevel::kDebug},
                      {"info", LogLevel::kInfo},
                      {"warn", LogLevel::kWarn},
                      {"error", LogLevel::kError}});
  reader.read_choice("log_format", out.log_format,
                     {{"logfmt", LogFormat::kLogfmt}, {"json", LogFormat::kJson}});
  reader.finish();
}

// The parsing keys of an input (inputs/parse/parse_config.h).
void parse_input_parsing(TableReader& reader, ParseConfig& out) {
  read_regex(reader, "regex", out.regex);
  if (auto timestamp = reader.table("timestamp")) {
    timestamp->read("field", out.timestamp.field);
    timestamp->read_choice("format", out.timestamp.format,
                           {{"rfc3339", TimestampFormat::kRfc3339},
                            {"unix", TimestampFormat::kUnixSeconds},
                            {"unix_ms", TimestampFormat::kUnixMillis},
                            {"unix_ns", TimestampFormat::kUnixNanos},
                            {"pattern", TimestampFormat::kPattern}});
    timestamp->read("pattern", out.timestamp.pattern);
    timestamp->finish();
  }
  if (auto multiline = reader.table("multiline")) {
    MultilineConfig& m = out.multiline;
    multiline->read_choice("mode", m.mode,
                           {{"off", MultilineMode::kOff},
                            {"start_pattern", MultilineMode::kStartPattern},
                            {"java", MultilineMode::kJava},
                            {"python", MultilineMode::kPython},
                            {"go", MultilineMode::kGo}});
    read_regex(*multiline, "start_pattern", m.start_pattern);
    if (!m.start_pattern.empty() && m.mode == MultilineMode::kOff) {
      m.mode = MultilineMode::kStartPattern;
    }
    int64_t max_lines = m.max_lines;
    multiline->read("max_lines", max_lines);
    if (max_lines < 1) multiline->fail("max_lines", "must be at least 1");
    m.max_lines = static_cast<uint32_t>(std::max<int64_t>(1, max_lines));
    multiline->read_size("max_bytes", m.max_bytes);
    multiline->read_duration("flush_after", m.flush_after);
    multiline->finish();
  }
  for (auto [key, list] : {std::pair{"drop_if", &out.drop_if}, {"keep_if", &out.keep_if}}) {
    for (auto& match : reader.tables(key)) {
      FieldMatch& m = list->emplace_back();
      match.read("field", m.field);
      read_regex(match, "matches", m.matches);
      if (m.field.empty()) match.fail("field", "name the field to match");
      match.finish();
    }
  }
  std::map<std::string, std::string> rename;
  reader.read("rename", rename);
  out.rename.assign(rename.begin(), rename.end());
  reader.read("remove", out.remove);
  reader.read("kubernetes_labels", out.kubernetes_labels);
}

// `preset = "kubernetes"`: kubelet's pod logs in one line. The files under /var/log/pods
// rather than the /var/log/containers symlinks: they are the real files (no link to
// resolve per file, the pod UID is in the path), kubelet rotates them in place
// (0.log -> 0.log.<timestamp> -> 0.log.<timestamp>.gz, via a .tmp while compressing), and
// `*.log` names only the live file, so a rotated one is drained by its open fd, never
// opened again by name, and no .gz is ever read. Applied before the input's other keys,
// which override it.
void apply_preset(TableReader& reader, InputConfig& out) {
  reader.read_choice("preset", out.preset, {{"kubernetes", std::string("kubernetes")}});
  if (out.preset != "kubernetes") return;
  out.name = "kubernetes";
  out.paths = {"/var/log/pods/*/*/*.log"};
  out.exclude = {"*.gz", "*.tmp", "*.log.*"};
  out.parser = ParserKind::kCri;
  out.parse.kubernetes_labels = true;
}

// parser = "regex" takes its fields from the pattern's named groups: it needs some.
void check_regex_parser(TableReader& reader, const InputConfig& out) {
  if (out.parser != ParserKind::kRegex) return;
  if (out.parse.regex.empty()) {
    reader.fail("parser", "parser \"regex\" needs regex = '...' with named groups (?<name>...)");
    return;
  }
  std::string error;
  if (auto regex = Regex::compile(out.parse.regex, error); regex && regex->named_groups().empty()) {
    reader.fail("regex", "'" + out.parse.regex + "' has no named group (?<name>...)");
  }
}

void parse_input(TableReader& reader, InputConfig& out) {
  apply_preset(reader, out);
  reader.read("name", out.name);
  if (out.name.empty()) reader.fail("name", "every input needs a name");
  reader.read_choice("type", out.type, {{"file", std::string("file")}});
  reader.read("paths", out.paths);
  if (out.paths.empty()) reader.fail("paths", "an input needs at least one path or glob");
  reader.read("exclude", out.exclude);
  reader.read_choice("start_at", out.start_at,
                     {{"head", StartAt::kHead}, {"tail", StartAt::kTail}});
  reader.read_choice("parser", out.parser,
                     {{"none", ParserKind::kNone},
                      {"json", ParserKind::kJson},
                      {"logfmt", ParserKind::kLogfmt},
                      {"regex", ParserKind::kRegex},
                      {"cri", ParserKind::kCri},
                      {"docker", ParserKind::kDocker}});
  reader.read_size("max_line_bytes", out.max_line_bytes);
  if (out.max_line_bytes == 0) reader.fail("max_line_bytes", "must be at least 1 byte");
  reader.read_choice("long_lines", out.long_lines,
                     {{"split", LongLines::kSplit}, {"truncate", LongLines::kTruncate}});
  reader.read_duration("flush_partial_after", out.flush_partial_after);
  reader.read_duration("rescan_interval", out.rescan_interval);
  if (out.rescan_interval.count() <= 0) reader.fail("rescan_interval", "must be positive");
  reader.read_choice("watch", out.use_inotify, {{"inotify", true}, {"poll", false}});
  reader.read("max_open_files", out.max_open_files);
  if (out.max_open_files < 1) reader.fail("max_open_files", "must be at least 1");
  reader.read("labels", out.labels);
  parse_input_parsing(reader, out.parse);
  check_regex_parser(reader, out);
  reader.finish();
}

void parse_output_settings(TableReader& reader, OutputConfig& out) {
  if (out.type == "stdout") {
    StdoutOutputConfig settings;
    reader.read_choice("format", settings.format,
                       {{"raw", RecordFormat::kRaw}, {"json", RecordFormat::kJson}});
    out.settings = settings;
  } else if (out.type == "null") {
    out.settings = NullOutputConfig{};
  } else if (out.type == "kafka") {
    KafkaOutputConfig settings;
    parse_kafka_output(reader, settings);
    out.settings = std::move(settings);
  } else if (out.type == "loki") {
    LokiOutputConfig settings;
    parse_loki_output(reader, settings);
    out.settings = std::move(settings);
  }
}

// The files an output opens at start: Loki's token and CA bundle, Kafka's TLS files.
void check_output_files(TableReader& reader, const OutputConfig& out) {
  if (const auto* loki = std::get_if<LokiOutputConfig>(&out.settings)) {
    check_readable(reader, "bearer_token_file", loki->bearer_token_file, "");
    check_readable(reader, "ca_file", loki->ca_file, "");
  } else if (const auto* kafka = std::get_if<KafkaOutputConfig>(&out.settings)) {
    for (const std::string name :
         {"ssl.ca.location", "ssl.certificate.location", "ssl.key.location", "ssl.crl.location",
          "ssl.keystore.location"}) {
      const auto found = kafka->properties.find(name);
      if (found == kafka->properties.end()) continue;
      // librdkafka takes a directory of certificates for ssl.ca.location.
      check_readable(reader, "properties", found->second, name + ": ", name == "ssl.ca.location");
    }
  }
}

void parse_output(TableReader& reader, OutputConfig& out, HostChecks host) {
  reader.read("name", out.name);
  if (out.name.empty()) reader.fail("name", "every output needs a name");
  reader.read_choice("type", out.type,
                     {{"stdout", std::string("stdout")},
                      {"null", std::string("null")},
                      {"kafka", std::string("kafka")},
                      {"loki", std::string("loki")}});
  if (out.type.empty()) reader.fail("type", "every output needs a type");
  reader.read("inputs", out.inputs);
  parse_output_settings(reader, out);
  if (host == HostChecks::kCheck) check_output_files(reader, out);
  reader.finish();
}

// Without an [agent] table the default data_dir is at fault, named at the file.
void check_data_dir_key(TableReader& root, std::optional<TableReader>& agent,
                        const std::string& dir) {
  const auto usable = check_data_dir(dir);
  if (usable) return;
  if (agent) {
    agent->fail("data_dir", usable.error().message);
  } else {
    root.fail("agent.data_dir", usable.error().message);
  }
}

// Cross-section rules: unique names, outputs naming inputs that exist.
void validate(TableReader& root, const Config& config) {
  std::set<std::string> input_names;
  for (const auto& input : config.inputs) {
    if (!input.name.empty() && !input_names.insert(input.name).second) {
      root.fail("inputs", "two inputs are named \"" + input.name + "\"");
    }
  }
  std::set<std::string> output_names;
  for (const auto& output : config.outputs) {
    if (!output.name.empty() && !output_names.insert(output.name).second) {
      root.fail("outputs", "two outputs are named \"" + output.name + "\"");
    }
    for (const auto& input : output.inputs) {
      if (!input_names.contains(input)) {
        root.fail("outputs", "output \"" + output.name + "\" names input \"" + input +
                                 "\", which is not defined");
      }
    }
  }
  if (config.inputs.empty()) root.fail("inputs", "define at least one [[inputs]]");
  if (config.outputs.empty()) root.fail("outputs", "define at least one [[outputs]]");
}

}  // namespace

Result<Config> load_config(const std::string& path, HostChecks host) {
  ConfigErrors errors{path, {}};
  toml::table document;
  try {
    document = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    const auto& where = error.source();
    std::ostringstream message;
    message << path;
    if (where.begin.line != 0) message << ":" << where.begin.line << ":" << where.begin.column;
    message << ": " << error.description();
    return make_error(ErrorCode::kInvalidConfig, message.str());
  }

  Config config;
  config.source_file = path;
  TableReader root(document, "", errors);
  auto agent = root.table("agent");
  if (agent) parse_agent(*agent, config.agent);
  if (host == HostChecks::kCheck) check_data_dir_key(root, agent, config.agent.data_dir);
  for (auto& reader : root.tables("inputs")) {
    config.inputs.emplace_back().definition = reader.toml_text();
    parse_input(reader, config.inputs.back());
  }
  for (auto& reader : root.tables("outputs")) {
    config.outputs.emplace_back().definition = reader.toml_text();
    parse_output(reader, config.outputs.back(), host);
  }
  root.finish();
  if (errors.empty()) validate(root, config);

  if (!errors.empty()) {
    std::string message;
    for (const auto& line : errors.messages) message += line + "\n";
    message.pop_back();
    return make_error(ErrorCode::kInvalidConfig, message);
  }
  return config;
}

}  // namespace logship
