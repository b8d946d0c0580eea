#include "agent/runner.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <set>
#include <thread>
#include <variant>

#include "agent/commands.h"
#include "agent/memory_limit.h"
#include "agent/output_factory.h"
#include "agent/pipeline.h"

namespace logship {
namespace {

// How long a stopped pipeline's threads may take to leave their output once told to.
constexpr std::chrono::milliseconds kReapGrace{1000};

void add_counts(FileInputCounts& total, const FileInputCounts& more) {
  total.files += more.files;
  total.bytes += more.bytes;
  total.lines.lines += more.lines.lines;
  total.lines.split_lines += more.lines.split_lines;
  total.lines.truncated_lines += more.lines.truncated_lines;
  total.parse.parse_failed += more.parse.parse_failed;
  total.parse.timestamp_failed += more.parse.timestamp_failed;
  total.parse.limit_splits += more.parse.limit_splits;
  total.parse.timeout_flushes += more.parse.timeout_flushes;
  total.files_waiting += more.files_waiting;
  total.unreadable_paths += more.unreadable_paths;
  total.polled_directories += more.polled_directories;
  total.watch_overflows += more.watch_overflows;
  total.rotations += more.rotations;
  total.truncations += more.truncations;
  total.pauses += more.pauses;
  total.paused = total.paused || more.paused;
  total.spool.bytes += more.spool.bytes;
  total.spool.segments += more.spool.segments;
  total.spool.files_spooled += more.spool.files_spooled;
  total.spool.dropped_lines += more.spool.dropped_lines;
}

void add_sent(SentCounts& total, const SentCounts& more) {
  total.records += more.records;
  total.bytes += more.bytes;
  total.batches += more.batches;
  total.file_bytes += more.file_bytes;
}

void add_output_counters(OutputCounters& total, const OutputCounters& more) {
  total.retries += more.retries;
  total.rejected_records += more.rejected_records;
  total.in_flight += more.in_flight;
  total.up = total.up && more.up;
  total.last_success_unix_ns = std::max(total.last_success_unix_ns, more.last_success_unix_ns);
}

// Counters only go up; a total read at scrape time becomes the increment since last time.
void advance(Counter& counter, uint64_t total) {
  if (total > counter.value()) counter.inc(total - counter.value());
}

// A pipeline's scope ("input/output") as one directory name: unreserved bytes kept,
// anything else %XX-escaped, so distinct scopes never share a spool.
std::string directory_name(std::string_view scope) {
  std::string name;
  for (const char c : scope) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') {
      name += c;
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", static_cast<unsigned char>(c));
      name += escaped;
    }
  }
  return name;
}

// Spool events are rare (a file each) except in an outage with heavy rotation, where the
// logger's repeat limiter folds them.
void log_input_event(const std::string& input, const FileInputEvent& event) {
  using Kind = FileInputEvent::Kind;
  switch (event.kind) {
    case Kind::kSpooled:
      agent_log().log(LogLevel::kWarn, "output blocked: rotated file spooled and closed",
                      {{"input", input}, {"path", event.path}, {"bytes", event.bytes}});
      if (event.lines > 0) {
        agent_log().log(LogLevel::kError, "spool full: oldest spooled lines dropped",
                        {{"input", input}, {"lines", event.lines}});
      }
      break;
    case Kind::kSpoolFailed:
      agent_log().log(LogLevel::kError, "cannot spool rotated file; kept open, retrying",
                      {{"input", input}, {"path", event.path}, {"error", event.error}});
      break;
    case Kind::kSpoolUnreadable:
      agent_log().log(
          LogLevel::kError, "spool segment unreadable; its lines are dropped",
          {{"input", input}, {"path", event.path}, {"lines", event.lines}, {"error", event.error}});
      break;
    case Kind::kTight:
      agent_log().log(LogLevel::kInfo, "memory above high-water mark: reading smaller chunks",
                      {{"input", input}});
      break;
    case Kind::kPaused:
      agent_log().log(LogLevel::kInfo, "input paused: output queue or memory budget full",
                      {{"input", input}});
      break;
    case Kind::kScanFailed:
      agent_log().log(LogLevel::kError, "finding files failed",
                      {{"input", input}, {"error", event.error}});
      break;
    case Kind::kUnreadable: {
      const LogField fields[] = {{"input", input}, {"path", event.path}, {"reason", event.error}};
      agent_log().log_always(LogLevel::kWarn, "path unreadable", fields);
      break;
    }
    case Kind::kFilesWaiting:
      agent_log().log(LogLevel::kWarn, "max_open_files reached: files wait until open ones go idle",
                      {{"input", input}, {"files_waiting", event.files}});
      break;
    case Kind::kWatchLimit:
      agent_log().log(LogLevel::kWarn,
                      "inotify watches exhausted: directories without one are polled (raise "
                      "fs.inotify.max_user_watches)",
                      {{"input", input}, {"directories", event.files}, {"error", event.error}});
      break;
    case Kind::kOpened:  // not news to the operator: it asks for a checkpoint save
      break;
  }
}

}  // namespace

struct Runner::Running {
  std::string key;
  std::string input_name;
  std::string output_name;
  std::unique_ptr<Pipeline> pipeline;
  FileInput* input = nullptr;
  std::shared_ptr<Ledger> ledger = std::make_shared<Ledger>();
  int64_t started_unix_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  std::shared_ptr<LokiStats> loki_stats;  // Loki outputs only
  std::stop_source stop;
  std::optional<std::stop_callback<std::function<void()>>> follow_global_stop;
  PipelineOutcome outcome;
  std::jthread thread;

  std::string name() const { return input_name + "/" + output_name; }
};

Runner::Runner(const AgentConfig& agent, const DataDirLock* data_dir, std::stop_token stop,
               AgentMetrics* metrics)
    : agent_(agent),
      stop_(std::move(stop)),
      metrics_(metrics),
      budget_(effective_memory_limit(agent).bytes) {
  // The command created the directory when it took the lock: a data_dir that cannot be
  // used is its config error, before anything starts.
  if (data_dir == nullptr) return;
  agent_.data_dir = data_dir->dir();
  store_.emplace(agent_.data_dir);
  unowned_ = load_checkpoints_or_warn(*store_);
  checkpointer_.emplace(*store_, agent_.checkpoint_interval, std::vector<const FileInput*>{},
                        unowned_);
  checkpointer_->start();
}

Runner::~Runner() {
  for (auto& running : running_) running->stop.request_stop();
}

Result<std::vector<Runner::Starting>> Runner::build_outputs(std::vector<PipelinePlan> plans,
                                                            const std::set<std::string>& kept) {
  std::vector<Starting> starting;
  std::map<std::string, uint32_t> inputs_per_output;
  for (const auto& plan : plans) ++inputs_per_output[plan.output.name];
  for (auto& plan : plans) {
    if (kept.contains(plan.key)) continue;
    OutputContext context{
        .budget = &budget_, .instances = inputs_per_output[plan.output.name], .stop = stop_};
    if (metrics_) context.request_seconds = metrics_->output(plan.output.name).request_duration;
    if (std::holds_alternative<LokiOutputConfig>(plan.output.settings)) {
      context.loki_stats = std::make_shared<LokiStats>();
    }
    auto output = make_output(plan.output, context);
    if (!output) {
      return make_error(ErrorCode::kInvalidConfig,
                        "output \"" + plan.output.name + "\": " + output.error().message);
    }
    starting.push_back({std::move(plan), std::move(*output), std::move(context.loki_stats)});
  }
  return starting;
}

Result<ApplySummary> Runner::apply(std::vector<PipelinePlan> plans) {
  reap_abandoned();
  std::set<std::string> wanted;
  for (const auto& plan : plans) wanted.insert(plan.key);
  std::set<std::string> kept;
  for (const auto& running : running_) {
    if (wanted.contains(running->key)) kept.insert(running->key);
  }
  // Build every new output first, so a reload that cannot be applied changes nothing.
  auto starting = build_outputs(std::move(plans), kept);
  if (!starting) return std::unexpected(starting.error());
  ApplySummary summary;
  std::vector<Running*> retiring;
  for (const auto& running : running_) {
    const bool keep = kept.contains(running->key);
    (keep ? summary.kept : summary.stopped).push_back(running->name());
    if (!keep) retiring.push_back(running.get());
  }
  // Outside the lock: the metrics keep being served while the outputs drain.
  stop_together(retiring, agent_.shutdown_timeout);
  std::vector<std::unique_ptr<Running>> gone;  // destroyed once the checkpointer let go
  std::lock_guard lock(running_mutex_);
  for (Running* running : retiring) retire(*running, summary);
  std::vector<std::unique_ptr<Running>> staying;
  for (auto& running : running_) {
    if (kept.contains(running->key)) {
      staying.push_back(std::move(running));
    } else if (running->outcome.joined) {
      gone.push_back(std::move(running));
    } else {
      abandoned_.push_back(std::move(running));
    }
  }
  running_ = std::move(staying);
  update_checkpointer();  // before the inputs it points to are destroyed
  for (auto& [plan, output, loki_stats] : *starting) {
    summary.started.push_back(plan.input.name + "/" + plan.output.name);
    start(std::move(plan), std::move(output), std::move(loki_stats));
  }
  update_checkpointer();
  return summary;
}

void Runner::stop_together(const std::vector<Running*>& retiring,
                           std::chrono::milliseconds shutdown_timeout) {
  // Each pipeline's deadline starts at its stop: stopping all first drains them in parallel.
  for (Running* running : retiring) running->stop.request_stop();
  for (Running* running : retiring) {
    if (running->thread.joinable()) running->thread.join();
  }
  // Told to stop, an output thread leaves at once unless a system call holds it.
  const auto until = std::chrono::steady_clock::now() + std::min(shutdown_timeout, kReapGrace);
  for (Running* running : retiring) running->outcome.joined = running->pipeline->reap(until);
}

void Runner::start(PipelinePlan plan, std::unique_ptr<Output> output,
                   std::shared_ptr<LokiStats> loki_stats) {
  auto running = std::make_unique<Running>();
  running->loki_stats = std::move(loki_stats);
  running->key = plan.key;
  running->input_name = plan.input.name;
  running->output_name = plan.output.name;
  plan.input.resume = take_scope(unowned_, plan.input.scope);
  plan.input.tailer.ledger = running->ledger;
  if (store_) {
    plan.input.spool_dir = agent_.data_dir + "/spool/" + directory_name(plan.input.scope);
    plan.input.spool_max_bytes = agent_.spool_max_bytes;
  }
  plan.input.on_event = [this, input = plan.input.name](const FileInputEvent& event) {
    if (event.kind == FileInputEvent::Kind::kOpened) {
      if (checkpointer_) checkpointer_->save_soon();
      return;
    }
    log_input_event(input, event);
  };
  auto input = std::make_unique<FileInput>(std::move(plan.input), budget_);
  running->input = input.get();
  running->pipeline =
      std::make_unique<Pipeline>(std::move(input), std::move(output), budget_.limit() / 2);
  Running& r = *running;
  r.follow_global_stop.emplace(stop_, [&r] { r.stop.request_stop(); });
  r.thread = std::jthread(
      [&r, this] { r.outcome = r.pipeline->run(r.stop.get_token(), agent_.shutdown_timeout); });
  running_.push_back(std::move(running));
}

void Runner::retire(Running& running, ApplySummary& summary) {
  report_outcome(running);
  if (!running.outcome.drained) summary.abandoned.push_back(running.name());
  FileInputCounts& retired_input = retired_inputs_[running.input_name];
  add_counts(retired_input, running.input->counts());
  retired_input.files_waiting = 0;  // gauges: only running pipelines have any
  retired_input.unreadable_paths = 0;
  retired_input.polled_directories = 0;
  OutputTotals& retired = retired_outputs_[running.output_name];
  add_output(retired, running);
  retired.counters.in_flight = 0;  // gauges: only running pipelines have any
  retired.counters.up = true;
  retired.loki.streams = 0;
  // The positions first, then the lines: a batch acknowledged in between is then counted
  // delivered and read again (a real duplicate, counted twice), never lost from the count.
  auto final_entries = running.input->checkpoint_entries();
  unowned_.insert(unowned_.end(), final_entries.begin(), final_entries.end());
  // In-flight lines are read again from the acknowledged positions and counted there; what
  // an abandoned pipeline settles later is not counted.
  LedgerSnapshot lines = running.ledger->snapshot();
  lines.read -= lines.in_flight();
  retired_lines_[{running.input_name, running.output_name}] += lines;
}

void Runner::reap_abandoned() {
  std::erase_if(abandoned_, [](const std::unique_ptr<Running>& running) {
    return running->pipeline->reap(std::chrono::steady_clock::time_point::min());
  });
}

void Runner::update_checkpointer() {
  if (!checkpointer_) return;
  std::vector<const FileInput*> inputs;
  for (const auto& running : running_) inputs.push_back(running->input);
  checkpointer_->set_sources(std::move(inputs), unowned_);
}

void Runner::report_outcome(const Running& running) {
  report_.counts.push_back(running.input->counts());
  const PipelineOutcome& outcome = running.outcome;
  if (outcome.input_error) {
    agent_log().log(LogLevel::kError, "input failed",
                    {{"input", running.input_name}, {"error", outcome.input_error->message}});
    report_.exit_code = kExitFailure;
  }
  // Its reader went away (stdout into `head`): like tail(1) under SIGPIPE, the run just
  // ends; what was not written is still in flight, read again with --data-dir.
  const bool output_closed =
      outcome.output_error && outcome.output_error->code == ErrorCode::kShutdown;
  if (output_closed) {
    agent_log().log(LogLevel::kDebug, "output closed by its reader",
                    {{"output", running.output_name}});
  } else if (outcome.output_error) {
    agent_log().log(LogLevel::kError, "output failed",
                    {{"output", running.output_name}, {"error", outcome.output_error->message}});
    report_.exit_code = kExitFailure;
  }
  // A run that ended by itself (one-shot) must have shipped everything; after a stop,
  // what is unacknowledged is read again next time.
  if (!running.stop.stop_requested() && !output_closed && outcome.unacknowledged > 0 &&
      report_.exit_code == kExitOk) {
    agent_log().log(LogLevel::kError, "batches were not acknowledged by the output",
                    {{"output", running.output_name}, {"batches", outcome.unacknowledged}});
    report_.exit_code = kExitFailure;
  }
}

RunReport Runner::wait() {
  // No grace at the end: a thread still in its output past the deadline is left to the
  // exit below.
  reap_abandoned();
  bool left_running = !abandoned_.empty();
  for (auto& running : running_) {
    if (running->thread.joinable()) running->thread.join();
    running->outcome.joined = running->pipeline->reap(std::chrono::steady_clock::time_point::min());
    left_running = left_running || !running->outcome.joined;
  }
  if (checkpointer_) (void)checkpointer_->stop_and_save();
  for (auto& running : running_) {
    report_outcome(*running);
    if (!running->outcome.drained) {
      agent_log().log(LogLevel::kWarn,
                      "the output did not drain within shutdown_timeout; what it did not "
                      "acknowledge is read again next start",
                      {{"output", running->output_name}, {"input", running->input_name}});
    }
    report_.ledger += running->ledger->snapshot();
  }
  if (left_running) {
    // Threads stuck in an output: joining would hang, destroying what they use would crash.
    agent_log().flush_repeats();
    std::_Exit(report_.exit_code);
  }
  return report_;
}

std::map<std::pair<std::string, std::string>, LedgerSnapshot> Runner::ledgers() const {
  auto all = retired_lines_;
  for (const auto& running : running_) {
    all[{running->input_name, running->output_name}] += running->ledger->snapshot();
  }
  return all;
}

void Runner::add_output(OutputTotals& total, const Running& running) {
  add_sent(total.sent, running.pipeline->sent());
  add_output_counters(total.counters, running.pipeline->output_counters());
  for (const FileStatus& file : running.input->file_status()) {
    total.dropped_batches += file.dropped_batches;
  }
  if (running.loki_stats) total.loki += running.loki_stats->counts();
}

std::vector<std::string> Runner::unready_outputs() const {
  std::lock_guard lock(running_mutex_);
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  std::map<std::string, int64_t> failing_since;  // by output: its last success or start
  for (const auto& running : running_) {
    const OutputCounters counters = running->pipeline->output_counters();
    if (counters.up) continue;
    const int64_t since = std::max(counters.last_success_unix_ns, running->started_unix_ns);
    auto [it, added] = failing_since.emplace(running->output_name, since);
    if (!added) it->second = std::min(it->second, since);
  }
  std::vector<std::string> unready;
  const int64_t grace_ns = std::chrono::nanoseconds(agent_.ready_grace).count();
  for (const auto& [name, since] : failing_since) {
    if (now_ns - since < grace_ns) continue;
    unready.push_back("output " + name + " has not succeeded for " +
                      std::to_string((now_ns - since) / 1'000'000'000) + "s");
  }
  return unready;
}

std::vector<std::string> Runner::stuck_pipelines(std::chrono::steady_clock::duration limit) const {
  std::lock_guard lock(running_mutex_);
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::string> stuck;
  for (const auto& running : running_) {
    const auto alive = running->input->last_alive();
    if (alive < now && now - alive > limit) {
      stuck.push_back(running->input_name + "/" + running->output_name);
    }
  }
  return stuck;
}

SentCounts Runner::sent_total() const {
  std::lock_guard lock(running_mutex_);
  SentCounts total;
  for (const auto& [name, retired] : retired_outputs_) add_sent(total, retired.sent);
  for (const auto& running : running_) add_sent(total, running->pipeline->sent());
  return total;
}

void Runner::collect() const {
  if (!metrics_) return;
  std::lock_guard lock(running_mutex_);
  std::map<std::string, FileInputCounts> inputs = retired_inputs_;
  std::map<std::string, OutputTotals> outputs = retired_outputs_;
  // Per input and path, the lag of the slowest output: each output has its own reader.
  std::map<std::string, std::map<std::string, uint64_t>> lags;
  std::map<std::string, uint64_t> open_files;
  for (const auto& running : running_) {
    add_counts(inputs[running->input_name], running->input->counts());
    add_output(outputs[running->output_name], *running);
    // A rotated file still draining shares its path with the new one: their lags add up.
    std::map<std::string, uint64_t> pipeline_lags;
    for (const FileStatus& file : running->input->file_status()) {
      pipeline_lags[file.path] += file.size > file.acknowledged ? file.size - file.acknowledged : 0;
      ++open_files[running->input_name];
    }
    auto& input_lags = lags[running->input_name];
    for (const auto& [path, lag] : pipeline_lags) {
      input_lags[path] = std::max(input_lags[path], lag);
    }
  }
  uint64_t spool_bytes = 0;
  bool spooling = false;
  uint64_t dropped_lines = 0;
  bool paused = false;
  for (const auto& [name, counts] : inputs) {
    const InputMetrics input = metrics_->input(name);
    advance(*input.read_bytes, counts.bytes);
    advance(*input.read_lines, counts.lines.lines);
    advance(*input.rotations, counts.rotations);
    advance(*input.truncations, counts.truncations);
    advance(*input.spooled_files, counts.spool.files_spooled);
    advance(*input.spool_dropped, counts.spool.dropped_lines);
    advance(*input.pauses, counts.pauses);
    advance(*input.parse_failed, counts.parse.parse_failed);
    advance(*input.timestamp_fallbacks, counts.parse.timestamp_failed);
    advance(*input.split_lines, counts.lines.split_lines);
    advance(*input.truncated_lines, counts.lines.truncated_lines);
    advance(*input.limit_splits, counts.parse.limit_splits);
    advance(*input.timeout_flushes, counts.parse.timeout_flushes);
    input.files_waiting->set(static_cast<double>(counts.files_waiting));
    input.unreadable_paths->set(static_cast<double>(counts.unreadable_paths));
    input.polled_directories->set(static_cast<double>(counts.polled_directories));
    advance(*input.watch_overflows, counts.watch_overflows);
    paused = paused || counts.paused;
    spool_bytes += counts.spool.bytes;
    spooling = spooling || counts.spool.segments > 0;
    dropped_lines += counts.spool.dropped_lines;
    input.open_files->set(static_cast<double>(open_files[name]));
    uint64_t input_lag = 0;
    for (const auto& [path, lag] : lags[name]) input_lag += lag;
    input.lag_bytes->set(static_cast<double>(input_lag));
    metrics_->set_file_lags(name, lags[name]);
  }
  for (const auto& [name, total] : outputs) {
    const OutputMetrics output = metrics_->output(name);
    advance(*output.sent_records, total.sent.records);
    advance(*output.sent_bytes, total.sent.bytes);
    advance(*output.sent_batches, total.sent.batches);
    advance(*output.retries, total.counters.retries);
    advance(*output.rejected_records, total.counters.rejected_records);
    advance(*output.dropped_batches, total.dropped_batches);
    output.in_flight_requests->set(static_cast<double>(total.counters.in_flight));
    output.up->set(total.counters.up ? 1 : 0);
    output.last_success->set(static_cast<double>(total.counters.last_success_unix_ns) / 1e9);
  }
  for (const auto& running : running_) {
    if (!running->loki_stats) continue;
    const LokiCounts& loki = outputs[running->output_name].loki;
    const LokiMetrics series = metrics_->loki(running->output_name);
    advance(*series.requests, loki.requests);
    advance(*series.rejected_requests, loki.requests_rejected);
    advance(*series.delivered_records, loki.records_delivered);
    advance(*series.sent_body_bytes, loki.body_bytes_sent);
    advance(*series.records_over_stream_limit, loki.records_over_stream_limit);
    series.streams->set(static_cast<double>(loki.streams));
  }
  for (const auto& [pipeline, lines] : ledgers()) {
    metrics_->set_ledger(pipeline.first, pipeline.second, lines);
  }
  if (checkpointer_) advance(*metrics_->checkpoint_write_errors(), checkpointer_->write_errors());
  const BudgetMetrics budget = metrics_->budget();
  budget.used_bytes->set(static_cast<double>(budget_.used()));
  budget.limit_bytes->set(static_cast<double>(budget_.limit()));
  budget.spool_bytes->set(static_cast<double>(spool_bytes));
  const MemoryBudget::Ladder ladder = budget_.ladder();
  advance(*budget.tightened, ladder.tightened);
  // The highest rung in effect; 4 while lines were dropped since the previous scrape.
  const bool dropping = dropped_lines > dropped_lines_seen_;
  dropped_lines_seen_ = dropped_lines;
  const int rung = dropping ? 4 : (spooling ? 3 : (paused ? 2 : ladder.rung));
  budget.rung->set(rung);
}

}  // namespace logship
