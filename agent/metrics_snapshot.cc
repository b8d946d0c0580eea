#include "agent/metrics_snapshot.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <tuple>

namespace logship {
namespace {

bool name_char(char c, bool first) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  return alpha || (!first && c >= '0' && c <= '9');
}

std::string_view take_name(std::string_view& rest) {
  size_t n = 0;
  while (n < rest.size() && name_char(rest[n], n == 0)) ++n;
  const std::string_view name = rest.substr(0, n);
  rest.remove_prefix(n);
  return name;
}

// A quoted label value after its opening quote, escapes undone; consumes the closing quote.
Result<std::string> take_quoted(std::string_view& rest) {
  std::string value;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '"') {
      rest.remove_prefix(i + 1);
      return value;
    }
    if (rest[i] != '\\') {
      value += rest[i];
      continue;
    }
    if (++i == rest.size()) break;
    if (rest[i] == 'n') {
      value += '\n';
    } else if (rest[i] == '\\' || rest[i] == '"') {
      value += rest[i];
    } else {
      return make_error(ErrorCode::kInvalidConfig, "bad escape in a label value");
    }
  }
  return make_error(ErrorCode::kInvalidConfig, "unterminated label value");
}

Result<void> take_labels(std::string_view& rest, MetricSample& sample) {
  rest.remove_prefix(1);  // '{'
  while (!rest.empty() && rest.front() != '}') {
    const std::string_view label = take_name(rest);
    if (label.empty() || rest.size() < 2 || rest[0] != '=' || rest[1] != '"') {
      return make_error(ErrorCode::kInvalidConfig, "expected label=\"value\"");
    }
    rest.remove_prefix(2);
    auto value = take_quoted(rest);
    if (!value) return std::unexpected(value.error());
    sample.labels.emplace_back(label, std::move(*value));
    if (!rest.empty() && rest.front() == ',') rest.remove_prefix(1);
  }
  if (rest.empty()) return make_error(ErrorCode::kInvalidConfig, "labels without their '}'");
  rest.remove_prefix(1);
  return {};
}

Result<double> parse_value(std::string_view text) {
  if (text == "+Inf") return HUGE_VAL;
  if (text == "-Inf") return -HUGE_VAL;
  if (text == "NaN") return NAN;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return make_error(ErrorCode::kInvalidConfig, "not a number: '" + std::string(text) + "'");
  }
  return value;
}

std::string label(const MetricSample& sample, std::string_view name) {
  for (const auto& [key, value] : sample.labels) {
    if (key == name) return value;
  }
  return {};
}

uint64_t count(double value) {
  return std::isfinite(value) && value > 0 ? static_cast<uint64_t>(std::llround(value)) : 0;
}

// Builds the snapshot from samples as they come, whatever their order.
class SnapshotBuilder {
 public:
  // Whether the sample was one of ours (a logship_ series).
  bool add(const MetricSample& sample);
  MetricsSnapshot finish();

 private:
  PipelineSnapshot& pipeline(const MetricSample& sample) {
    const auto key = std::make_pair(label(sample, "input"), label(sample, "output"));
    auto& found = pipelines_[key];
    found.input = key.first;
    found.output = key.second;
    return found;
  }
  void add_ledger(const MetricSample& sample);
  bool add_input(const MetricSample& sample);
  bool add_output(const MetricSample& sample);

  MetricsSnapshot snapshot_;
  std::map<std::pair<std::string, std::string>, PipelineSnapshot> pipelines_;
};

void SnapshotBuilder::add_ledger(const MetricSample& sample) {
  PipelineSnapshot& line = pipeline(sample);
  const uint64_t value = count(sample.value);
  const std::string outcome = label(sample, "outcome");
  if (outcome == "delivered") {
    line.delivered += value;
  } else if (outcome == "filtered") {
    line.filtered += value;
  } else if (outcome == "rejected") {
    line.rejected[label(sample, "reason")] += value;
  } else if (outcome == "dropped") {
    line.dropped[label(sample, "reason")] += value;
  }
}

bool SnapshotBuilder::add_input(const MetricSample& sample) {
  const std::string_view name = sample.name;
  const auto of_input = [&] { return &snapshot_.inputs[label(sample, "input")]; };
  if (name == "logship_input_read_bytes_total") {
    of_input()->read_bytes = count(sample.value);
  } else if (name == "logship_input_read_lines_total") {
    of_input()->read_lines = count(sample.value);
  } else if (name == "logship_input_lag_bytes") {
    of_input()->lag_bytes = count(sample.value);
  } else if (name == "logship_input_pauses_total") {
    of_input()->pauses = count(sample.value);
  } else if (name == "logship_file_lag_bytes") {
    snapshot_.files.push_back({label(sample, "input"), label(sample, "path"), count(sample.value)});
  } else {
    return false;
  }
  return true;
}

bool SnapshotBuilder::add_output(const MetricSample& sample) {
  const std::string_view name = sample.name;
  const auto of_output = [&] { return &snapshot_.outputs[label(sample, "output")]; };
  if (name == "logship_output_sent_records_total") {
    of_output()->sent_records = count(sample.value);
  } else if (name == "logship_output_sent_bytes_total") {
    of_output()->sent_bytes = count(sample.value);
  } else if (name == "logship_output_retries_total") {
    of_output()->retries = count(sample.value);
  } else if (name == "logship_output_up") {
    of_output()->up = sample.value != 0;
  } else if (name == "logship_output_last_success_timestamp_seconds") {
    of_output()->last_success_unix = sample.value;
  } else {
    return false;
  }
  return true;
}

bool SnapshotBuilder::add(const MetricSample& sample) {
  const std::string_view name = sample.name;
  if (!name.starts_with("logship_")) return false;
  if (name == "logship_lines_total") {
    add_ledger(sample);
  } else if (name == "logship_lines_read_total") {
    pipeline(sample).read = count(sample.value);
  } else if (name == "logship_lines_in_flight") {
    pipeline(sample).in_flight = count(sample.value);
  } else if (name == "logship_memory_used_bytes") {
    snapshot_.memory.used_bytes = count(sample.value);
  } else if (name == "logship_memory_limit_bytes") {
    snapshot_.memory.limit_bytes = count(sample.value);
  } else if (name == "logship_memory_degradation_rung") {
    snapshot_.memory.rung = static_cast<int>(count(sample.value));
  } else if (!add_input(sample)) {
    add_output(sample);
  }
  return true;
}

MetricsSnapshot SnapshotBuilder::finish() {
  for (auto& [key, line] : pipelines_) snapshot_.pipelines.push_back(std::move(line));
  std::ranges::sort(snapshot_.files, {},
                    [](const FileSnapshot& file) { return std::tie(file.input, file.path); });
  return std::move(snapshot_);
}

}  // namespace

uint64_t PipelineSnapshot::rejected_total() const {
  return std::accumulate(rejected.begin(), rejected.end(), uint64_t{0},
                         [](uint64_t sum, const auto& entry) { return sum + entry.second; });
}

uint64_t PipelineSnapshot::dropped_total() const {
  return std::accumulate(dropped.begin(), dropped.end(), uint64_t{0},
                         [](uint64_t sum, const auto& entry) { return sum + entry.second; });
}

Result<MetricSample> parse_metric_sample(std::string_view line) {
  MetricSample sample;
  std::string_view rest = line;
  sample.name = take_name(rest);
  if (sample.name.empty()) {
    return make_error(ErrorCode::kInvalidConfig, "expected a metric name");
  }
  if (!rest.empty() && rest.front() == '{') {
    if (auto labels = take_labels(rest, sample); !labels) return std::unexpected(labels.error());
  }
  if (rest.empty() || rest.front() != ' ') {
    return make_error(ErrorCode::kInvalidConfig, "expected a space before the value");
  }
  rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
  // An optional timestamp may follow the value.
  auto value = parse_value(rest.substr(0, rest.find(' ')));
  if (!value) return std::unexpected(value.error());
  sample.value = *value;
  return sample;
}

Result<MetricsSnapshot> parse_metrics_snapshot(std::string_view text) {
  SnapshotBuilder builder;
  bool ours = false;
  size_t number = 0;
  while (!text.empty()) {
    const size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    ++number;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    auto sample = parse_metric_sample(line);
    if (!sample) {
      return make_error(
          ErrorCode::kInvalidConfig,
          "line " + std::to_string(number) + " is not Prometheus text: " + sample.error().message);
    }
    ours = builder.add(*sample) || ours;
  }
  if (!ours) return make_error(ErrorCode::kInvalidConfig, "no logship_ series in the answer");
  return builder.finish();
}

}  // namespace logship
