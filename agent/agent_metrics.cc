#include "agent/agent_metrics.h"

#include <string>
#include <utility>
#include <vector>

namespace logship {
namespace {

template <typename Metric>
Result<void> add(MetricsRegistry& registry, MetricFamily<Metric>*& out, MetricInfo info) {
  Result<MetricFamily<Metric>*> family;
  if constexpr (std::is_same_v<Metric, Counter>) {
    family = registry.counter(std::move(info));
  } else if constexpr (std::is_same_v<Metric, Gauge>) {
    family = registry.gauge(std::move(info));
  } else {
    family = registry.histogram(std::move(info));
  }
  if (!family) return std::unexpected(family.error());
  out = *family;
  return {};
}

}  // namespace

Result<std::unique_ptr<AgentMetrics>> AgentMetrics::create(std::string_view version) {
  std::unique_ptr<AgentMetrics> metrics(new AgentMetrics());
  if (auto ok = metrics->register_all(); !ok) return std::unexpected(ok.error());
  if (auto ok = register_build_info(metrics->registry_, version); !ok) {
    return std::unexpected(ok.error());
  }
  return metrics;
}

Result<void> AgentMetrics::register_all() {
  const std::vector<std::string> input = {"input"};
  const std::vector<std::string> file = {"input", "path"};
  const std::vector<std::string> output = {"output"};
  Result<void> ok;
  auto reg = [&](auto*& family, std::string name, std::string help,
                 const std::vector<std::string>& labels, size_t max_series = kDefaultMaxSeries,
                 std::vector<double> bounds = {}) {
    if (!ok) return;
    ok = add(registry_, family,
             {.name = std::move(name),
              .help = std::move(help),
              .label_names = labels,
              .max_series = max_series,
              .bounds = std::move(bounds)});
  };
  reg(input_read_bytes_, "logship_input_read_bytes_total", "Bytes read from files.", input);
  reg(input_read_lines_, "logship_input_read_lines_total", "Lines read from files.", input);
  reg(input_rotations_, "logship_input_rotations_total",
      "Files found rotated (renamed away or replaced).", input);
  reg(input_truncations_, "logship_input_truncations_total",
      "Files found truncated (size below the read offset), re-read from 0.", input);
  reg(input_open_files_, "logship_input_open_files", "Files held open.", input);
  reg(file_read_bytes_, "logship_file_read_bytes_total", "Bytes read, per file.", file,
      kMaxFileSeries);
  reg(file_read_lines_, "logship_file_read_lines_total", "Lines read, per file.", file,
      kMaxFileSeries);
  reg(file_lag_bytes_, "logship_file_lag_bytes",
      "File size minus the acknowledged offset: bytes not yet shipped.", file, kMaxFileSeries);
  reg(output_sent_records_, "logship_output_sent_records_total",
      "Records acknowledged by the destination.", output);
  reg(output_sent_bytes_, "logship_output_sent_bytes_total",
      "Bytes of records acknowledged by the destination.", output);
  reg(output_sent_batches_, "logship_output_sent_batches_total",
      "Batches acknowledged by the destination.", output);
  reg(output_retries_, "logship_output_retries_total", "Requests retried.", output);
  reg(output_rejected_, "logship_output_rejected_records_total",
      "Records permanently refused by the destination (counted, not retried).", output);
  reg(output_dropped_, "logship_output_dropped_records_total",
      "Records dropped without delivery (spool full).", output);
  reg(output_in_flight_, "logship_output_in_flight_requests", "Requests sent and not yet answered.",
      output);
  reg(output_duration_, "logship_output_request_duration_seconds",
      "Time from sending a request to its answer.", output, kDefaultMaxSeries, kLatencyBuckets);
  reg(memory_used_, "logship_memory_used_bytes", "Bytes held from the memory budget.", {});
  reg(memory_limit_, "logship_memory_limit_bytes", "The memory budget (memory_limit).", {});
  reg(memory_rung_, "logship_memory_degradation_rung",
      "Degradation ladder: 0 none, 1 shrunk reads, 2 inputs paused, 3 spooling, 4 dropping.", {});
  reg(spool_bytes_, "logship_spool_bytes", "Compressed bytes in the spool under data_dir.", {});
  reg(spool_files_, "logship_spool_files_total",
      "Rotated files spooled and closed while their output was blocked.", input);
  reg(spool_dropped_, "logship_spool_dropped_lines_total",
      "Spooled lines deleted unshipped because the spool reached spool_max_bytes.", input);
  reg(memory_tight_, "logship_memory_tight_total",
      "Times the memory budget passed its high-water mark (reads shrink).", {});
  reg(input_pauses_, "logship_input_pauses_total",
      "Times reading paused: memory budget spent or the output's queue full.", input);
  return ok;
}

InputMetrics AgentMetrics::input(std::string_view input) {
  return {.read_bytes = input_read_bytes_->with({input}),
          .read_lines = input_read_lines_->with({input}),
          .rotations = input_rotations_->with({input}),
          .truncations = input_truncations_->with({input}),
          .open_files = input_open_files_->with({input}),
          .spooled_files = spool_files_->with({input}),
          .spool_dropped = spool_dropped_->with({input}),
          .pauses = input_pauses_->with({input})};
}

FileMetrics AgentMetrics::file(std::string_view input, std::string_view path) {
  return {.read_bytes = file_read_bytes_->with({input, path}),
          .read_lines = file_read_lines_->with({input, path}),
          .lag_bytes = file_lag_bytes_->with({input, path})};
}

void AgentMetrics::forget_file(std::string_view input, std::string_view path) {
  const std::vector<std::string> labels = {std::string(input), std::string(path)};
  file_read_bytes_->remove(labels);
  file_read_lines_->remove(labels);
  file_lag_bytes_->remove(labels);
}

OutputMetrics AgentMetrics::output(std::string_view output) {
  return {.sent_records = output_sent_records_->with({output}),
          .sent_bytes = output_sent_bytes_->with({output}),
          .sent_batches = output_sent_batches_->with({output}),
          .retries = output_retries_->with({output}),
          .rejected_records = output_rejected_->with({output}),
          .dropped_records = output_dropped_->with({output}),
          .in_flight_requests = output_in_flight_->with({output}),
          .request_duration = output_duration_->with({output})};
}

BudgetMetrics AgentMetrics::budget() {
  return {.used_bytes = memory_used_->with({}),
          .limit_bytes = memory_limit_->with({}),
          .rung = memory_rung_->with({}),
          .spool_bytes = spool_bytes_->with({}),
          .tightened = memory_tight_->with({})};
}

}  // namespace logship
