#include "agent/runner.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "agent/atomic_file.h"
#include "agent/checkpointer.h"
#include "agent/commands.h"
#include "agent/output_factory.h"
#include "agent/pipeline.h"

namespace logship {

RunReport run_plan(RunPlan plan, std::stop_token stop) {
  RunReport report;
  std::optional<CheckpointStore> store;
  std::vector<CheckpointEntry> saved;
  if (plan.persist_offsets) {
    if (auto made = make_directories(plan.agent.data_dir); !made) {
      std::cerr << "logship: data_dir: " << made.error().message << "\n";
      return {kExitFailure, {}};
    }
    store.emplace(plan.agent.data_dir);
    saved = load_checkpoints_or_warn(*store);
  }

  MemoryBudget budget(effective_memory_limit(plan.agent).bytes);
  std::vector<std::unique_ptr<Pipeline>> pipelines;
  std::vector<const FileInput*> inputs;
  for (auto& pipeline_plan : plan.pipelines) {
    auto output = make_output(pipeline_plan.output, OutputContext{.budget = &budget});
    if (!output) {
      std::cerr << "logship: output \"" << pipeline_plan.output.name
                << "\": " << output.error().message << "\n";
      return {kExitFailure, {}};
    }
    pipeline_plan.input.resume = take_scope(saved, pipeline_plan.input.scope);
    auto input = std::make_unique<FileInput>(std::move(pipeline_plan.input), budget);
    inputs.push_back(input.get());
    pipelines.push_back(
        std::make_unique<Pipeline>(std::move(input), std::move(*output), budget.limit() / 2));
  }

  std::optional<Checkpointer> checkpointer;
  if (store) {
    checkpointer.emplace(*store, plan.agent.checkpoint_interval, inputs, std::move(saved));
    checkpointer->start();
  }
  std::vector<PipelineOutcome> outcomes(pipelines.size());
  {
    std::vector<std::jthread> runners;
    for (size_t i = 0; i < pipelines.size(); ++i) {
      runners.emplace_back(
          [&, i] { outcomes[i] = pipelines[i]->run(stop, plan.agent.shutdown_timeout); });
    }
  }
  if (checkpointer) (void)checkpointer->stop_and_save();

  for (size_t i = 0; i < outcomes.size(); ++i) {
    const PipelineOutcome& outcome = outcomes[i];
    if (!outcome.drained) {
      // Threads are stuck in the output past the deadline; checkpoints are written, so
      // what was not acknowledged is read again next time.
      std::cerr << "logship: an output did not drain within the shutdown timeout\n";
      std::fflush(stderr);
      std::_Exit(kExitFailure);
    }
    report.counts.push_back(inputs[i]->counts());
    for (const auto& error : {outcome.input_error, outcome.output_error}) {
      if (!error) continue;
      std::cerr << "logship: " << error->message << "\n";
      report.exit_code = kExitFailure;
    }
    // A run that ended by itself (one-shot) must have shipped everything; after a stop,
    // what is unacknowledged is re-read next time.
    if (!stop.stop_requested() && outcome.unacknowledged > 0 && report.exit_code == kExitOk) {
      std::cerr << "logship: " << outcome.unacknowledged
                << " batches were not acknowledged by the output\n";
      report.exit_code = kExitFailure;
    }
  }
  return report;
}

}  // namespace logship
