#pragma once
// Input: a source of batches. run() is called once on the input's own thread; it pushes
// batches into `sink` until its files are read to their end (one-shot) or until `stop`
// is requested (follow mode), then returns. Exceptions never leave run().

#include <chrono>
#include <functional>
#include <stop_token>

#include "agent/batch.h"
#include "agent/bounded_queue.h"
#include "agent/result.h"

namespace logship {

// Hands a batch downstream, waiting for room (backpressure) until the deadline. kFull: no
// room yet and the batch is still the caller's, so a paused input can do other work
// (spool a rotated file) and try again. kClosed: the pipeline is stopping.
using BatchSink =
    std::function<PushResult(Batch&, std::stop_token, std::chrono::steady_clock::time_point)>;

class Input {
 public:
  virtual ~Input() = default;
  virtual Result<void> run(std::stop_token stop, const BatchSink& sink) = 0;
  // Batches handed out and not yet settled, plus those dropped (a clean exit needs 0).
  virtual uint64_t unacknowledged() const = 0;
};

}  // namespace logship
