#include "agent/runner.h"

#include <cctype>
#include <cstdio>
#include <functional>
#include <iostream>
#include <set>
#include <thread>

#include "agent/atomic_file.h"
#include "agent/commands.h"
#include "agent/output_factory.h"
#include "agent/pipeline.h"

namespace logship {
namespace {

void add_counts(FileInputCounts& total, const FileInputCounts& more) {
  total.files += more.files;
  total.bytes += more.bytes;
  total.lines.lines += more.lines.lines;
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

}  // namespace

struct Runner::Running {
  std::string key;
  std::string input_name;
  std::string output_name;
  std::unique_ptr<Pipeline> pipeline;
  FileInput* input = nullptr;
  std::stop_source stop;
  std::optional<std::stop_callback<std::function<void()>>> follow_global_stop;
  PipelineOutcome outcome;
  std::jthread thread;
};

Runner::Runner(const AgentConfig& agent, bool persist_offsets, std::stop_token stop)
    : agent_(agent), stop_(std::move(stop)), budget_(effective_memory_limit(agent).bytes) {
  if (!persist_offsets) return;
  if (auto made = make_directories(agent_.data_dir); !made) {
    std::cerr << "logship: data_dir: " << made.error().message
              << "; offsets will not be persisted\n";
    return;
  }
  store_.emplace(agent_.data_dir);
  unowned_ = load_checkpoints_or_warn(*store_);
  checkpointer_.emplace(*store_, agent_.checkpoint_interval, std::vector<const FileInput*>{},
                        unowned_);
  checkpointer_->start();
}

Runner::~Runner() {
  for (auto& running : running_) running->stop.request_stop();
}

Result<void> Runner::apply(std::vector<PipelinePlan> plans) {
  std::set<std::string> wanted;
  for (const auto& plan : plans) wanted.insert(plan.key);
  std::set<std::string> kept;
  for (const auto& running : running_) {
    if (wanted.contains(running->key)) kept.insert(running->key);
  }
  // Build every new output first, so a reload that cannot be applied changes nothing.
  std::vector<std::pair<PipelinePlan, std::unique_ptr<Output>>> starting;
  for (auto& plan : plans) {
    if (kept.contains(plan.key)) continue;
    auto output = make_output(plan.output, OutputContext{.budget = &budget_});
    if (!output) {
      return make_error(ErrorCode::kInvalidConfig,
                        "output \"" + plan.output.name + "\": " + output.error().message);
    }
    starting.emplace_back(std::move(plan), std::move(*output));
  }
  std::lock_guard lock(running_mutex_);
  std::erase_if(running_, [&](std::unique_ptr<Running>& running) {
    if (kept.contains(running->key)) return false;
    running->stop.request_stop();
    finish(*running);
    add_counts(retired_inputs_[running->input_name], running->input->counts());
    add_sent(retired_outputs_[running->output_name], running->pipeline->sent());
    auto final_entries = running->input->checkpoint_entries();
    unowned_.insert(unowned_.end(), final_entries.begin(), final_entries.end());
    update_checkpointer();  // before the input it points to is destroyed
    return true;
  });
  for (auto& [plan, output] : starting) {
    auto running = std::make_unique<Running>();
    running->key = plan.key;
    running->input_name = plan.input.name;
    running->output_name = plan.output.name;
    plan.input.resume = take_scope(unowned_, plan.input.scope);
    if (store_) {
      plan.input.spool_dir = agent_.data_dir + "/spool/" + directory_name(plan.input.scope);
      plan.input.spool_max_bytes = agent_.spool_max_bytes;
    }
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
  update_checkpointer();
  return {};
}

void Runner::update_checkpointer() {
  if (!checkpointer_) return;
  std::vector<const FileInput*> inputs;
  for (const auto& running : running_) inputs.push_back(running->input);
  checkpointer_->set_sources(std::move(inputs), unowned_);
}

void Runner::finish(Running& running) {
  if (running.thread.joinable()) running.thread.join();
  const PipelineOutcome& outcome = running.outcome;
  if (!outcome.drained) {
    // Threads are stuck in the output past the deadline: write what was acknowledged
    // (the rest is read again next time) and leave. This is the documented end of a
    // stop, so it exits 0.
    if (checkpointer_) (void)checkpointer_->stop_and_save();
    std::cerr << "logship: the output did not drain within shutdown_timeout; what it did "
                 "not acknowledge is read again next start\n";
    std::fflush(stderr);
    std::_Exit(kExitOk);
  }
  report_.counts.push_back(running.input->counts());
  for (const auto& error : {outcome.input_error, outcome.output_error}) {
    if (!error) continue;
    std::cerr << "logship: " << error->message << "\n";
    report_.exit_code = kExitFailure;
  }
  // A run that ended by itself (one-shot) must have shipped everything; after a stop,
  // what is unacknowledged is read again next time.
  if (!running.stop.stop_requested() && outcome.unacknowledged > 0 &&
      report_.exit_code == kExitOk) {
    std::cerr << "logship: " << outcome.unacknowledged
              << " batches were not acknowledged by the output\n";
    report_.exit_code = kExitFailure;
  }
}

RunReport Runner::wait() {
  for (auto& running : running_) {
    if (running->thread.joinable()) running->thread.join();
  }
  if (checkpointer_) (void)checkpointer_->stop_and_save();
  for (auto& running : running_) finish(*running);
  return report_;
}

SentCounts Runner::sent_total() const {
  std::lock_guard lock(running_mutex_);
  SentCounts total;
  for (const auto& [name, sent] : retired_outputs_) add_sent(total, sent);
  for (const auto& running : running_) add_sent(total, running->pipeline->sent());
  return total;
}

void Runner::collect(AgentMetrics& metrics) const {
  std::lock_guard lock(running_mutex_);
  std::map<std::string, FileInputCounts> inputs = retired_inputs_;
  std::map<std::string, SentCounts> outputs = retired_outputs_;
  for (const auto& running : running_) {
    add_counts(inputs[running->input_name], running->input->counts());
    add_sent(outputs[running->output_name], running->pipeline->sent());
  }
  uint64_t spool_bytes = 0;
  bool spooling = false;
  uint64_t dropped_lines = 0;
  bool paused = false;
  for (const auto& [name, counts] : inputs) {
    const InputMetrics input = metrics.input(name);
    advance(*input.read_bytes, counts.bytes);
    advance(*input.read_lines, counts.lines.lines);
    advance(*input.rotations, counts.rotations);
    advance(*input.truncations, counts.truncations);
    advance(*input.spooled_files, counts.spool.files_spooled);
    advance(*input.spool_dropped, counts.spool.dropped_lines);
    advance(*input.pauses, counts.pauses);
    paused = paused || counts.paused;
    spool_bytes += counts.spool.bytes;
    spooling = spooling || counts.spool.segments > 0;
    dropped_lines += counts.spool.dropped_lines;
  }
  for (const auto& [name, sent] : outputs) {
    const OutputMetrics output = metrics.output(name);
    advance(*output.sent_records, sent.records);
    advance(*output.sent_bytes, sent.bytes);
    advance(*output.sent_batches, sent.batches);
  }
  const BudgetMetrics budget = metrics.budget();
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
