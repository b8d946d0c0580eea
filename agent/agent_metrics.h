#pragma once
// AgentMetrics: the agent's metric catalogue, the names operators alert on, defined once.
// Components get handles (shared series) for their input, file or output and update them
// with relaxed atomics; what is cheaper to read than to track (file lag, budget use) is set
// from a collector at scrape time (MetricsRegistry::on_render).
// Owner: the agent, for the process lifetime (handles may outlive a reload's components).
// Thread: any; handing out handles locks the family, so take them once per input, file
// or output, never per record.
// Cardinality: inputs and outputs are few (the config's). Per file there is one gauge, the
// lag: at most kMaxFilesPerInput files of an input have their own series, the rest are
// summed into `path="_overflow"`, and a file's series goes when it is closed. Per-file
// counters are deliberately absent: a path's counters would restart with each rotation,
// and the input's counters already carry the totals. kMaxFileSeries caps the family
// whatever the number of inputs (past it, one series with every label `_overflow`).

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "agent/ledger.h"
#include "agent/metrics.h"
#include "agent/result.h"

namespace logship {

inline constexpr size_t kMaxFilesPerInput = 100;
inline constexpr size_t kMaxFileSeries = 1000;

struct InputMetrics {
  std::shared_ptr<Counter> read_bytes;     // logship_input_read_bytes_total
  std::shared_ptr<Counter> read_lines;     // logship_input_read_lines_total
  std::shared_ptr<Counter> rotations;      // logship_input_rotations_total
  std::shared_ptr<Counter> truncations;    // logship_input_truncations_total
  std::shared_ptr<Gauge> open_files;       // logship_input_open_files
  std::shared_ptr<Gauge> lag_bytes;        // logship_input_lag_bytes: sum of its files' lag
  std::shared_ptr<Counter> spooled_files;  // logship_spool_files_total
  std::shared_ptr<Counter> spool_dropped;  // logship_spool_dropped_lines_total
  std::shared_ptr<Counter> pauses;         // logship_input_pauses_total
  // Counted, not lost: lines and records kept, but not as they came.
  std::shared_ptr<Counter> parse_failed;         // logship_input_parse_failed_records_total
  std::shared_ptr<Counter> timestamp_fallbacks;  // logship_input_timestamp_fallbacks_total
  std::shared_ptr<Counter> split_lines;          // logship_input_split_lines_total
  std::shared_ptr<Counter> truncated_lines;      // logship_input_truncated_lines_total
  std::shared_ptr<Counter> limit_splits;         // logship_input_record_limit_splits_total
  std::shared_ptr<Counter> timeout_flushes;      // logship_input_record_timeout_flushes_total
  std::shared_ptr<Gauge> files_waiting;          // logship_input_files_waiting
  std::shared_ptr<Gauge> unreadable_paths;       // logship_input_unreadable_paths
  std::shared_ptr<Gauge> polled_directories;     // logship_input_polled_directories
  std::shared_ptr<Counter> watch_overflows;      // logship_input_watch_overflows_total
};

struct OutputMetrics {
  std::shared_ptr<Counter> sent_records;        // logship_output_sent_records_total
  std::shared_ptr<Counter> sent_bytes;          // logship_output_sent_bytes_total
  std::shared_ptr<Counter> sent_batches;        // logship_output_sent_batches_total
  std::shared_ptr<Counter> retries;             // logship_output_retries_total
  std::shared_ptr<Counter> rejected_records;    // logship_output_rejected_records_total
  std::shared_ptr<Counter> dropped_batches;     // logship_output_dropped_batches_total
  std::shared_ptr<Gauge> in_flight_requests;    // logship_output_in_flight_requests
  std::shared_ptr<Histogram> request_duration;  // logship_output_request_duration_seconds
  std::shared_ptr<Gauge> up;                    // logship_output_up
  std::shared_ptr<Gauge> last_success;          // logship_output_last_success_timestamp_seconds
};

// What only the Loki output counts (its retries and rejections are in OutputMetrics).
struct LokiMetrics {
  std::shared_ptr<Counter> requests;                   // logship_loki_requests_total
  std::shared_ptr<Counter> rejected_requests;          // logship_loki_rejected_requests_total
  std::shared_ptr<Counter> delivered_records;          // logship_loki_delivered_records_total
  std::shared_ptr<Counter> sent_body_bytes;            // logship_loki_sent_body_bytes_total
  std::shared_ptr<Counter> records_over_stream_limit;  // ..._records_over_stream_limit_total
  std::shared_ptr<Gauge> streams;                      // logship_loki_streams
};

struct BudgetMetrics {
  std::shared_ptr<Gauge> used_bytes;   // logship_memory_used_bytes
  std::shared_ptr<Gauge> limit_bytes;  // logship_memory_limit_bytes
  std::shared_ptr<Gauge> rung;         // logship_memory_degradation_rung: 0 (none) to 4
  std::shared_ptr<Gauge> spool_bytes;  // logship_spool_bytes
  std::shared_ptr<Counter> tightened;  // logship_memory_tight_total
};

class AgentMetrics {
 public:
  // Registers every family and logship_build_info{version}.
  static Result<std::unique_ptr<AgentMetrics>> create(std::string_view version);

  MetricsRegistry& registry() { return registry_; }
  InputMetrics input(std::string_view input);
  // Publishes the lag (bytes) of every open file of `input`, by path: the first
  // kMaxFilesPerInput paths keep their own series while they stay open, the others are
  // summed into `_overflow`; series of paths no longer given are dropped.
  void set_file_lags(std::string_view input, const std::map<std::string, uint64_t>& lags);
  // Publishes one pipeline's ledger: logship_lines_total{input,output,outcome,reason},
  // logship_lines_read_total and logship_lines_in_flight, all from the one snapshot.
  void set_ledger(std::string_view input, std::string_view output, const LedgerSnapshot& lines);
  OutputMetrics output(std::string_view output);
  LokiMetrics loki(std::string_view output);
  BudgetMetrics budget();
  std::shared_ptr<Counter> checkpoint_write_errors();  // logship_checkpoint_write_errors_total

 private:
  AgentMetrics() = default;
  Result<void> register_all();

  MetricsRegistry registry_;
  MetricFamily<Counter>* input_read_bytes_ = nullptr;
  MetricFamily<Counter>* input_read_lines_ = nullptr;
  MetricFamily<Counter>* input_rotations_ = nullptr;
  MetricFamily<Counter>* input_truncations_ = nullptr;
  MetricFamily<Gauge>* input_open_files_ = nullptr;
  MetricFamily<Gauge>* input_lag_bytes_ = nullptr;
  MetricFamily<Counter>* spool_files_ = nullptr;
  MetricFamily<Counter>* spool_dropped_ = nullptr;
  MetricFamily<Counter>* memory_tight_ = nullptr;
  MetricFamily<Counter>* input_pauses_ = nullptr;
  MetricFamily<Counter>* input_parse_failed_ = nullptr;
  MetricFamily<Counter>* input_timestamp_fallbacks_ = nullptr;
  MetricFamily<Counter>* input_split_lines_ = nullptr;
  MetricFamily<Counter>* input_truncated_lines_ = nullptr;
  MetricFamily<Counter>* input_limit_splits_ = nullptr;
  MetricFamily<Counter>* input_timeout_flushes_ = nullptr;
  MetricFamily<Gauge>* input_files_waiting_ = nullptr;
  MetricFamily<Gauge>* input_unreadable_paths_ = nullptr;
  MetricFamily<Gauge>* input_polled_directories_ = nullptr;
  MetricFamily<Counter>* input_watch_overflows_ = nullptr;
  MetricFamily<Counter>* lines_ = nullptr;
  MetricFamily<Counter>* lines_read_ = nullptr;
  MetricFamily<Gauge>* lines_in_flight_ = nullptr;
  MetricFamily<Gauge>* file_lag_bytes_ = nullptr;
  MetricFamily<Counter>* output_sent_records_ = nullptr;
  MetricFamily<Counter>* output_sent_bytes_ = nullptr;
  MetricFamily<Counter>* output_sent_batches_ = nullptr;
  MetricFamily<Counter>* output_retries_ = nullptr;
  MetricFamily<Counter>* output_rejected_ = nullptr;
  MetricFamily<Counter>* output_dropped_ = nullptr;
  MetricFamily<Gauge>* output_in_flight_ = nullptr;
  MetricFamily<Histogram>* output_duration_ = nullptr;
  MetricFamily<Gauge>* output_up_ = nullptr;
  MetricFamily<Gauge>* output_last_success_ = nullptr;
  MetricFamily<Counter>* loki_requests_ = nullptr;
  MetricFamily<Counter>* loki_rejected_requests_ = nullptr;
  MetricFamily<Counter>* loki_delivered_records_ = nullptr;
  MetricFamily<Counter>* loki_sent_body_bytes_ = nullptr;
  MetricFamily<Counter>* loki_over_stream_limit_ = nullptr;
  MetricFamily<Gauge>* loki_streams_ = nullptr;
  MetricFamily<Gauge>* memory_used_ = nullptr;
  MetricFamily<Gauge>* memory_limit_ = nullptr;
  MetricFamily<Gauge>* memory_rung_ = nullptr;
  MetricFamily<Gauge>* spool_bytes_ = nullptr;
  MetricFamily<Counter>* checkpoint_write_errors_ = nullptr;
  std::mutex files_mutex_;
  std::map<std::string, std::set<std::string>, std::less<>> published_files_;  // by input
};

}  // namespace logship
