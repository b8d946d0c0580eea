#pragma once
// NullOutput: settles every batch delivered without sending it anywhere. For benchmarks
// (the cost of reading and framing alone) and for checking configs end to end.
// Thread: the pipeline's output thread.

#include "outputs/output.h"

namespace logship {

class NullOutput final : public Output {
 public:
  Result<void> send(Batch batch, std::stop_token) override {
    batch.settle(Fate::kDelivered);
    return {};
  }
  bool drain(std::chrono::steady_clock::time_point) override { return true; }
};

}  // namespace logship
