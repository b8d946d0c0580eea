#pragma once
// MetricsSnapshot: what `logship top` shows, read back from the Prometheus text the agent
// serves on /metrics (agent_metrics.h names every series): each pipeline's ledger, each
// input's and output's counters, each file's lag and the memory budget. Series it does not
// show are skipped, so a newer agent with more families still parses.
// Pure; no I/O. Thread: any.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/result.h"

namespace logship {

// One pipeline (input -> output): logship_lines_read_total, logship_lines_total by outcome
// and reason, logship_lines_in_flight.
struct PipelineSnapshot {
  std::string input;
  std::string output;
  uint64_t read = 0;
  uint64_t delivered = 0;
  uint64_t filtered = 0;
  std::map<std::string, uint64_t> rejected;  // by reason
  std::map<std::string, uint64_t> dropped;   // by reason
  uint64_t in_flight = 0;

  uint64_t rejected_total() const;
  uint64_t dropped_total() const;
};

struct InputSnapshot {
  uint64_t read_bytes = 0;  // logship_input_read_bytes_total
  uint64_t read_lines = 0;  // logship_input_read_lines_total
  uint64_t lag_bytes = 0;   // logship_input_lag_bytes
  uint64_t pauses = 0;      // logship_input_pauses_total
};

struct OutputSnapshot {
  uint64_t sent_records = 0;     // logship_output_sent_records_total
  uint64_t sent_bytes = 0;       // logship_output_sent_bytes_total
  uint64_t retries = 0;          // logship_output_retries_total
  bool up = true;                // logship_output_up
  double last_success_unix = 0;  // logship_output_last_success_timestamp_seconds; 0: never
};

struct FileSnapshot {
  std::string input;
  std::string path;  // "_overflow": the files past the agent's per-input series cap, summed
  uint64_t lag_bytes = 0;
};

struct MemorySnapshot {
  uint64_t used_bytes = 0;
  uint64_t limit_bytes = 0;
  int rung = 0;  // logship_memory_degradation_rung: 0 none .. 4 dropping
};

struct MetricsSnapshot {
  std::vector<PipelineSnapshot> pipelines;  // ordered by (input, output)
  std::map<std::string, InputSnapshot> inputs;
  std::map<std::string, OutputSnapshot> outputs;
  std::vector<FileSnapshot> files;  // ordered by (input, path)
  MemorySnapshot memory;
};

// Errors (kInvalidConfig: the URL names something else) say why the text is not a logship
// exposition: "line N: ..." for a line that is not Prometheus text, or that no logship_
// series was found.
Result<MetricsSnapshot> parse_metrics_snapshot(std::string_view text);

// One sample line of the text format, as parsed: exposed for the tests.
struct MetricSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // in the line's order
  double value = 0;
};
// A sample line (not a comment, not blank); the error says what is wrong with it.
Result<MetricSample> parse_metric_sample(std::string_view line);

}  // namespace logship
