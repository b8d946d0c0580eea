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
  reg(input_open_files_, "logship_input_open_files",
      "Files held open (one per file and output the input feeds).", input);
  reg(input_lag_bytes_, "logship_input_lag_bytes",
      "Bytes of the input's open files not yet acknowledged by the slowest output.", input);
  reg(file_lag_bytes_, "logship_file_lag_bytes",
      "File size minus the offset the slowest output acknowledged: bytes not yet shipped. "
      "At most 100 files per input; the others are summed under path=\"_overflow\".",
      file, kMaxFileSeries);
  reg(output_sent_records_, "logship_output_sent_records_total",
      "Records acknowledged by the destination.", output);
  reg(output_sent_bytes_, "logship_output_sent_bytes_total",
      "Bytes of records acknowledged by the destination.", output);
  reg(output_sent_batches_, "logship_output_sent_batches_total",
      "Batches acknowledged by the destination.", output);
  reg(output_retries_, "logship_output_retries_total",
      "Attempts repeated after a retryable failure (Loki pushes, Kafka messages).", output);
  reg(output_rejected_, "logship_output_rejected_records_total",
      "Records permanently refused by the destination (counted, not retried).", output);
  reg(output_dropped_, "logship_output_dropped_batches_total",
      "Batches the output gave up on without a verdict (stopped past shutdown_timeout, "
      "producer failed); their offsets do not advance, so they are read again next start.",
      output);
  reg(output_in_flight_, "logship_output_in_flight_requests",
      "Loki pushes awaiting their answer; Kafka messages awaiting their delivery report.", output);
  reg(output_duration_, "logship_output_request_duration_seconds",
      "Loki: one push attempt, request to answer. Kafka: one delivery report (a produce "
      "request's messages), its oldest message's produce to the report.",
      output, kDefaultMaxSeries, kLatencyBuckets);
  reg(output_up_, "logship_output_up",
      "1 after a successful attempt (and at start), 0 after a failed one until the next success.",
      output);
  reg(output_last_success_, "logship_output_last_success_timestamp_seconds",
      "Unix time of the output's last successful attempt; 0 before the first.", output);
  reg(loki_requests_, "logship_loki_requests_total", "Push attempts, retries included.", output);
  reg(loki_rejected_requests_, "logship_loki_rejected_requests_total",
      "Pushes refused for good (4xx other than 429).", output);
  reg(loki_delivered_records_, "logship_loki_delivered_records_total",
      "Entries in pushes Loki accepted.", output);
  reg(loki_sent_body_bytes_, "logship_loki_sent_body_bytes_total",
      "Bytes of accepted push bodies, as on the wire (compressed).", output);
  reg(loki_over_stream_limit_, "logship_loki_records_over_stream_limit_total",
      "Records past max_streams, shipped without their field-templated labels.", output);
  reg(loki_streams_, "logship_loki_streams", "Distinct label sets (streams) in use.", output);
  reg(memory_used_, "logship_memory_used_bytes", "Bytes held from the memory budget.", {});
  reg(memory_limit_, "logship_memory_limit_bytes", "The memory budget (memory_limit).", {});
  reg(memory_rung_, "logship_memory_degradation_rung",
      "Degradation ladder: 0 none, 1 shrunk reads, 2 inputs paused, 3 spooling, 4 dropping.", {});
  reg(spool_bytes_, "logship_spool_bytes", "Compressed bytes in the spool under data_dir.", {});
  reg(spool_files_, "logship_spool_files_total",
      "Rotated files spooled and closed while their output was blocked.", input);
  reg(spool_dropped_, "logship_spool_dropped_lines_total",
      "Spooled lines deleted unshipped because the spool reached spool_max_bytes.", input);
  reg(checkpoint_write_errors_, "logship_checkpoint_write_errors_total",
      "Checkpoint saves that failed (disk full, data_dir unwritable); the last good file "
      "stays and saving is retried.",
      {});
  reg(memory_tight_, "logship_memory_tight_total",
      "Times the memory budget passed its high-water mark (reads shrink).", {});
  reg(input_pauses_, "logship_input_pauses_total",
      "Times reading paused: memory budget spent or the output's queue full.", input);
  reg(input_parse_failed_, "logship_input_parse_failed_records_total",
      "Records that did not parse, shipped raw (never dropped).", input);
  reg(input_timestamp_fallbacks_, "logship_input_timestamp_fallbacks_total",
      "Records whose timestamp field was missing or did not parse: stamped with the read time.",
      input);
  reg(input_split_lines_, "logship_input_split_lines_total",
      "Lines longer than max_line_bytes, shipped as several records.", input);
  reg(input_truncated_lines_, "logship_input_truncated_lines_total",
      "Lines longer than max_line_bytes, cut to it (long_lines = \"truncate\").", input);
  reg(input_limit_splits_, "logship_input_record_limit_splits_total",
      "Records cut at a limit: joined container pieces at max_line_bytes, multi-line records at "
      "max_lines or max_bytes.",
      input);
  reg(input_timeout_flushes_, "logship_input_record_timeout_flushes_total",
      "Held multi-line records or container pieces shipped unfinished: flush_after passed, or "
      "the file ended or was rotated.",
      input);
  reg(input_files_waiting_, "logship_input_files_waiting",
      "Files found but not open because max_open_files are.", input);
  reg(input_polled_directories_, "logship_input_polled_directories",
      "Directories of the input that got no inotify watch (fs.inotify.max_user_watches) and "
      "are polled instead.",
      input);
  reg(input_watch_overflows_, "logship_input_watch_overflows_total",
      "Times inotify's event queue overflowed (fs.inotify.max_queued_events); each is "
      "answered by a full rescan, so no file is missed.",
      input);
  reg(input_unreadable_paths_, "logship_input_unreadable_paths",
      "Paths and globs of the input that name nothing readable now (permission denied, a "
      "directory, no match); each is logged when it starts and when its reason changes.",
      input);
  const std::vector<std::string> pipeline = {"input", "output"};
  reg(lines_, "logship_lines_total",
      "The ledger: lines read by a pipeline that reached an outcome (delivered, filtered, "
      "rejected or dropped, the last two with a reason).",
      {"input", "output", "outcome", "reason"});
  reg(lines_read_, "logship_lines_read_total",
      "Lines a pipeline read; equals the sum of logship_lines_total and "
      "logship_lines_in_flight at every scrape.",
      pipeline);
  reg(lines_in_flight_, "logship_lines_in_flight",
      "Lines a pipeline read and has not settled yet (read again after a restart).", pipeline);
  return ok;
}

InputMetrics AgentMetrics::input(std::string_view input) {
  return {.read_bytes = input_read_bytes_->with({input}),
          .read_lines = input_read_lines_->with({input}),
          .rotations = input_rotations_->with({input}),
          .truncations = input_truncations_->with({input}),
          .open_files = input_open_files_->with({input}),
          .lag_bytes = input_lag_bytes_->with({input}),
          .spooled_files = spool_files_->with({input}),
          .spool_dropped = spool_dropped_->with({input}),
          .pauses = input_pauses_->with({input}),
          .parse_failed = input_parse_failed_->with({input}),
          .timestamp_fallbacks = input_timestamp_fallbacks_->with({input}),
          .split_lines = input_split_lines_->with({input}),
          .truncated_lines = input_truncated_lines_->with({input}),
          .limit_splits = input_limit_splits_->with({input}),
          .timeout_flushes = input_timeout_flushes_->with({input}),
          .files_waiting = input_files_waiting_->with({input}),
          .unreadable_paths = input_unreadable_paths_->with({input}),
          .polled_directories = input_polled_directories_->with({input}),
          .watch_overflows = input_watch_overflows_->with({input})};
}

void AgentMetrics::set_ledger(std::string_view input, std::string_view output,
                              const LedgerSnapshot& lines) {
  // Counters only go up; a total read at scrape time becomes the increment since last time.
  const auto advance = [](Counter& counter, uint64_t total) {
    if (total > counter.value()) counter.inc(total - counter.value());
  };
  advance(*lines_read_->with({input, output}), lines.read);
  advance(*lines_->with({input, output, "delivered", ""}), lines.delivered);
  advance(*lines_->with({input, output, "filtered", ""}), lines.filtered);
  for (const auto& [reason, count] : lines.rejected) {
    advance(*lines_->with({input, output, "rejected", reason}), count);
  }
  for (const auto& [reason, count] : lines.dropped) {
    advance(*lines_->with({input, output, "dropped", reason}), count);
  }
  lines_in_flight_->with({input, output})->set(static_cast<double>(lines.in_flight()));
}

void AgentMetrics::set_file_lags(std::string_view input,
                                 const std::map<std::string, uint64_t>& lags) {
  std::lock_guard lock(files_mutex_);
  auto& published = published_files_[std::string(input)];
  std::erase_if(published, [&](const std::string& path) {
    if (lags.contains(path)) return false;
    file_lag_bytes_->remove({std::string(input), path});
    return true;
  });
  uint64_t overflow = 0;
  bool overflowed = false;
  for (const auto& [path, lag] : lags) {
    if (!published.contains(path) && published.size() >= kMaxFilesPerInput) {
      overflow += lag;
      overflowed = true;
      continue;
    }
    published.insert(path);
    file_lag_bytes_->with({input, path})->set(static_cast<double>(lag));
  }
  const std::vector<std::string> overflow_labels = {std::string(input),
                                                    std::string(kOverflowLabel)};
  if (overflowed) {
    file_lag_bytes_->with(overflow_labels)->set(static_cast<double>(overflow));
  } else {
    file_lag_bytes_->remove(overflow_labels);
  }
}

OutputMetrics AgentMetrics::output(std::string_view output) {
  return {.sent_records = output_sent_records_->with({output}),
          .sent_bytes = output_sent_bytes_->with({output}),
          .sent_batches = output_sent_batches_->with({output}),
          .retries = output_retries_->with({output}),
          .rejected_records = output_rejected_->with({output}),
          .dropped_batches = output_dropped_->with({output}),
          .in_flight_requests = output_in_flight_->with({output}),
          .request_duration = output_duration_->with({output}),
          .up = output_up_->with({output}),
          .last_success = output_last_success_->with({output})};
}

LokiMetrics AgentMetrics::loki(std::string_view output) {
  return {.requests = loki_requests_->with({output}),
          .rejected_requests = loki_rejected_requests_->with({output}),
          .delivered_records = loki_delivered_records_->with({output}),
          .sent_body_bytes = loki_sent_body_bytes_->with({output}),
          .records_over_stream_limit = loki_over_stream_limit_->with({output}),
          .streams = loki_streams_->with({output})};
}

std::shared_ptr<Counter> AgentMetrics::checkpoint_write_errors() {
  return checkpoint_write_errors_->with({});
}

BudgetMetrics AgentMetrics::budget() {
  return {.used_bytes = memory_used_->with({}),
          .limit_bytes = memory_limit_->with({}),
          .rung = memory_rung_->with({}),
          .spool_bytes = spool_bytes_->with({}),
          .tightened = memory_tight_->with({})};
}

}  // namespace logship
