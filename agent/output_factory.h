#pragma once
// make_output: turns an output's validated config into a running Output. The one place
// that knows every output type, and where their events become lines of the agent's log
// (agent/agent_log.h): retries and broker errors go through its rate limiter, so an
// outage of hours writes a line per repeat interval with a count, not one per attempt.

#include <memory>
#include <stop_token>

#include "agent/config.h"
#include "agent/memory_budget.h"
#include "agent/metrics.h"
#include "outputs/loki/loki_stats.h"
#include "outputs/output.h"

namespace logship {

struct OutputContext {
  MemoryBudget* budget = nullptr;
  // How many instances of this output run: one per input it serves (a pipeline each).
  // What an output reserves from the budget up front is split between them.
  uint32_t instances = 1;
  // Ends a wait for budget at start (a reload while the inputs hold it).
  std::stop_token stop;
  int stdout_fd = 1;
  // Where request latencies go (the output's series); null: not measured.
  std::shared_ptr<Histogram> request_seconds;
  // What a Loki output counts into; shared because the agent reads it for metrics while
  // the output runs and after it is gone (reload). Null: the output keeps its own.
  std::shared_ptr<LokiStats> loki_stats;
};

Result<std::unique_ptr<Output>> make_output(const OutputConfig& config,
                                            const OutputContext& context);

}  // namespace logship
