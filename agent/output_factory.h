#pragma once
// make_output: turns an output's validated config into a running Output. The one place
// that knows every output type.

#include <memory>

#include "agent/config.h"
#include "agent/memory_budget.h"
#include "outputs/output.h"

namespace logship {

struct OutputContext {
  MemoryBudget* budget = nullptr;
  int stdout_fd = 1;
};

Result<std::unique_ptr<Output>> make_output(const OutputConfig& config,
                                            const OutputContext& context);

}  // namespace logship
