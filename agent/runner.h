#pragma once
// run_plan: the common body of `logship run` and `logship tail`. Builds every pipeline
// (one reader per input/output pair), loads checkpoints and keeps them written while the
// pipelines run, and turns their outcome into an exit code.
// Thread: the main thread; SIGINT/SIGTERM arrive through `stop`.

#include <stop_token>
#include <string>
#include <vector>

#include "agent/config.h"
#include "inputs/file/file_input.h"

namespace logship {

struct PipelinePlan {
  FileInputOptions input;  // resume entries are filled in from the checkpoints
  OutputConfig output;
};

struct RunPlan {
  AgentConfig agent;
  bool persist_offsets = false;  // checkpoints under agent.data_dir
  std::vector<PipelinePlan> pipelines;
};

struct RunReport {
  int exit_code = 0;
  std::vector<FileInputCounts> counts;  // per pipeline
};

RunReport run_plan(RunPlan plan, std::stop_token stop);

}  // namespace logship
