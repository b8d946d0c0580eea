#pragma once
// AgentMetrics: the agent's metric catalogue, the names operators alert on, defined once.
// Components get handles (shared series) for their input, file or output and update them
// with relaxed atomics; what is cheaper to read than to track (file lag, budget use) is set
// from a collector at scrape time (MetricsRegistry::on_render).
// Owner: the agent, for the process lifetime (handles may outlive a reload's components).
// Thread: any; handing out handles locks the family, so take them once per input, file
// or output, never per record.
// Cardinality: inputs and outputs are few (the config's); per-file series are capped at
// kMaxFileSeries (then one `_overflow` series) and dropped with forget_file() when a file
// is closed for good.

#include <memory>
#include <string_view>

#include "agent/metrics.h"
#include "agent/result.h"

namespace logship {

inline constexpr size_t kMaxFileSeries = 500;

struct InputMetrics {
  std::shared_ptr<Counter> read_bytes;     // logship_input_read_bytes_total
  std::shared_ptr<Counter> read_lines;     // logship_input_read_lines_total
  std::shared_ptr<Counter> rotations;      // logship_input_rotations_total
  std::shared_ptr<Counter> truncations;    // logship_input_truncations_total
  std::shared_ptr<Gauge> open_files;       // logship_input_open_files
  std::shared_ptr<Counter> spooled_files;  // logship_spool_files_total
  std::shared_ptr<Counter> spool_dropped;  // logship_spool_dropped_lines_total
  std::shared_ptr<Counter> pauses;         // logship_input_pauses_total
};

struct FileMetrics {
  std::shared_ptr<Counter> read_bytes;  // logship_file_read_bytes_total
  std::shared_ptr<Counter> read_lines;  // logship_file_read_lines_total
  std::shared_ptr<Gauge> lag_bytes;     // logship_file_lag_bytes: size - acknowledged offset
};

struct OutputMetrics {
  std::shared_ptr<Counter> sent_records;        // logship_output_sent_records_total
  std::shared_ptr<Counter> sent_bytes;          // logship_output_sent_bytes_total
  std::shared_ptr<Counter> sent_batches;        // logship_output_sent_batches_total
  std::shared_ptr<Counter> retries;             // logship_output_retries_total
  std::shared_ptr<Counter> rejected_records;    // logship_output_rejected_records_total
  std::shared_ptr<Counter> dropped_records;     // logship_output_dropped_records_total
  std::shared_ptr<Gauge> in_flight_requests;    // logship_output_in_flight_requests
  std::shared_ptr<Histogram> request_duration;  // logship_output_request_duration_seconds
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
  FileMetrics file(std::string_view input, std::string_view path);
  void forget_file(std::string_view input, std::string_view path);
  OutputMetrics output(std::string_view output);
  BudgetMetrics budget();

 private:
  AgentMetrics() = default;
  Result<void> register_all();

  MetricsRegistry registry_;
  MetricFamily<Counter>* input_read_bytes_ = nullptr;
  MetricFamily<Counter>* input_read_lines_ = nullptr;
  MetricFamily<Counter>* input_rotations_ = nullptr;
  MetricFamily<Counter>* input_truncations_ = nullptr;
  MetricFamily<Gauge>* input_open_files_ = nullptr;
  MetricFamily<Counter>* spool_files_ = nullptr;
  MetricFamily<Counter>* spool_dropped_ = nullptr;
  MetricFamily<Counter>* memory_tight_ = nullptr;
  MetricFamily<Counter>* input_pauses_ = nullptr;
  MetricFamily<Counter>* file_read_bytes_ = nullptr;
  MetricFamily<Counter>* file_read_lines_ = nullptr;
  MetricFamily<Gauge>* file_lag_bytes_ = nullptr;
  MetricFamily<Counter>* output_sent_records_ = nullptr;
  MetricFamily<Counter>* output_sent_bytes_ = nullptr;
  MetricFamily<Counter>* output_sent_batches_ = nullptr;
  MetricFamily<Counter>* output_retries_ = nullptr;
  MetricFamily<Counter>* output_rejected_ = nullptr;
  MetricFamily<Counter>* output_dropped_ = nullptr;
  MetricFamily<Gauge>* output_in_flight_ = nullptr;
  MetricFamily<Histogram>* output_duration_ = nullptr;
  MetricFamily<Gauge>* memory_used_ = nullptr;
  MetricFamily<Gauge>* memory_limit_ = nullptr;
  MetricFamily<Gauge>* memory_rung_ = nullptr;
  MetricFamily<Gauge>* spool_bytes_ = nullptr;
};

}  // namespace logship
