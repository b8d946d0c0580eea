#pragma once
// Input: a source of batches. run() is called once on the input's own thread; it pushes
// batches into `sink` until its files are read to their end (one-shot) or until `stop`
// is requested (follow mode), then returns. Exceptions never leave run().

#include <functional>
#include <stop_token>

#include "agent/batch.h"
#include "agent/result.h"

namespace logship {

// Hands a batch downstream; blocks for backpressure; false once the pipeline is stopping.
using BatchSink = std::function<bool(Batch&&, std::stop_token)>;

class Input {
 public:
  virtual ~Input() = default;
  virtual Result<void> run(std::stop_token stop, const BatchSink& sink) = 0;
  // Batches handed out and not yet settled, plus those dropped (a clean exit needs 0).
  virtual uint64_t unacknowledged() const = 0;
};

}  // namespace logship
