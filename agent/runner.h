#pragma once
// Runner: the common body of `logship run` and `logship tail`. Runs one pipeline (one
// reader) per input/output pair, loads checkpoints and keeps them written while the
// pipelines run, and turns their outcomes into an exit code. apply() can be called again
// with a new set (SIGHUP): pipelines whose definition is unchanged keep running with
// their fds and positions; removed or changed ones are stopped together and drain up to
// shutdown_timeout; new or changed ones start from the acknowledged checkpoints.
// A reload never ends the process. A stopped pipeline whose output did not drain (a
// destination that is down) is abandoned: its checkpoint entries are what was acknowledged
// when it was given up, its replacement reads the rest again (at-least-once), and its
// threads, told to stop, are joined once they leave the output (kept until then, or until
// the process ends). The ledger of a stopped pipeline keeps what it settled; what it had in
// flight is taken out of its read count, as the replacement (or the next start) reads
// those lines again, so read == outcomes + in flight holds for every pipeline.
// Only the final stop (wait()) ends with threads left in an output: it writes the
// checkpoints and exits the process.
// While it runs, the agent log's rate-limited repeats are flushed (agent/agent_log.h).
// Thread: the main thread; SIGINT/SIGTERM arrive through the stop token; collect() from
// the metrics thread.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "agent/agent_log.h"
#include "agent/agent_metrics.h"
#include "agent/checkpointer.h"
#include "agent/config.h"
#include "agent/data_dir_lock.h"
#include "agent/ledger.h"
#include "agent/memory_budget.h"
#include "agent/pipeline.h"
#include "inputs/file/file_input.h"
#include "outputs/loki/loki_stats.h"

namespace logship {

struct PipelinePlan {
  std::string key;         // equal keys on reload: the pipeline keeps running
  FileInputOptions input;  // resume entries are filled in from the checkpoints
  OutputConfig output;
};

// What apply() did, by pipeline ("input/output"). A changed pipeline is stopped and
// started; abandoned ones (did not drain by shutdown_timeout) are among the stopped.
struct ApplySummary {
  std::vector<std::string> started;
  std::vector<std::string> stopped;
  std::vector<std::string> kept;
  std::vector<std::string> abandoned;
};

struct RunReport {
  int exit_code = 0;
  std::vector<FileInputCounts> counts;  // per pipeline that ran
  LedgerSnapshot ledger;                // every pipeline's lines, summed
};

class Runner {
 public:
  // `data_dir`: the locked agent.data_dir that checkpoints and the spool go under; null:
  // nothing is persisted. It and `metrics` (may be null: no metrics) must outlive the
  // runner.
  Runner(const AgentConfig& agent, const DataDirLock* data_dir, std::stop_token stop,
         AgentMetrics* metrics = nullptr);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Makes the running set match `plans`. On error (an output cannot be built) nothing
  // changes.
  Result<ApplySummary> apply(std::vector<PipelinePlan> plans);
  // Waits for every pipeline to finish (one-shot end, or stop), writes the final
  // checkpoints and reports.
  RunReport wait();
  // Brings the metrics up to date (called at scrape time, from the metrics thread).
  void collect() const;
  // What every output accepted so far. Thread-safe.
  SentCounts sent_total() const;
  // Outputs whose last attempt failed and that have not succeeded for ready_grace (since
  // their last success, or since they started), with how long; empty: ready. Thread-safe.
  std::vector<std::string> unready_outputs() const;
  // Pipelines ("input/output") whose input thread has not gone round its loop for longer
  // than `limit`: stuck in a system call or a lock. Thread-safe.
  std::vector<std::string> stuck_pipelines(std::chrono::steady_clock::duration limit) const;
  MemoryBudget& budget() { return budget_; }

 private:
  struct Running;
  struct Starting {  // a pipeline to start, its output built
    PipelinePlan plan;
    std::unique_ptr<Output> output;
    std::shared_ptr<LokiStats> loki_stats;
  };
  // What an output's pipelines reported, summed; kept for retired ones so counters
  // never go back.
  struct OutputTotals {
    SentCounts sent;
    OutputCounters counters;  // in_flight: of running pipelines only
    uint64_t dropped_batches = 0;
    LokiCounts loki;  // streams: of running pipelines only
  };
  Result<std::vector<Starting>> build_outputs(std::vector<PipelinePlan> plans,
                                              const std::set<std::string>& kept);
  // Stops `retiring` together and waits for them up to shutdown_timeout.
  static void stop_together(const std::vector<Running*>& retiring,
                            std::chrono::milliseconds shutdown_timeout);
  void retire(Running& running, ApplySummary& summary);
  void start(PipelinePlan plan, std::unique_ptr<Output> output,
             std::shared_ptr<LokiStats> loki_stats);
  void reap_abandoned();
  void report_outcome(const Running& running);
  // Lines of every pipeline by (input, output), retired ones included.
  std::map<std::pair<std::string, std::string>, LedgerSnapshot> ledgers() const;
  void update_checkpointer();
  static void add_output(OutputTotals& total, const Running& running);

  AgentConfig agent_;
  std::stop_token stop_;
  AgentMetrics* metrics_;
  RepeatFlusher log_repeats_;
  MemoryBudget budget_;
  std::optional<CheckpointStore> store_;
  std::vector<CheckpointEntry> unowned_;  // saved entries no running pipeline owns
  std::optional<Checkpointer> checkpointer_;
  mutable std::mutex running_mutex_;  // running_'s structure vs. collect()
  std::vector<std::unique_ptr<Running>> running_;
  // Stopped by a reload with threads still in their output: never destroyed before those
  // threads are joined (reap_abandoned()).
  std::vector<std::unique_ptr<Running>> abandoned_;
  // Totals of pipelines stopped by a reload, so counters never go back.
  std::map<std::string, FileInputCounts> retired_inputs_;
  // By (input, output): lines of retired pipelines, settled for good (nothing in flight).
  std::map<std::pair<std::string, std::string>, LedgerSnapshot> retired_lines_;
  std::map<std::string, OutputTotals> retired_outputs_;
  mutable uint64_t dropped_lines_seen_ = 0;  // collect(): spool drops at the last scrape
  RunReport report_;
};

}  // namespace logship
