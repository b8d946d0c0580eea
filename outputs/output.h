#pragma once
// Output: where batches go. The pipeline's output thread calls send() for every batch in
// queue order and drain() once at the end; an output settles each batch exactly once
// (delivered or rejected), synchronously inside send() or later from its own threads
// (delivery reports, concurrent requests). Retries and backpressure live inside the
// output; send() may block while the destination is unavailable, until `stop`.

#include <chrono>
#include <stop_token>

#include "agent/batch.h"
#include "agent/result.h"

namespace logship {

class Output {
 public:
  virtual ~Output() = default;

  // Takes ownership of the batch. An error is fatal for the output (e.g. stdout closed).
  virtual Result<void> send(Batch batch, std::stop_token stop) = 0;

  // Waits until every batch sent so far is settled, or the deadline passes. Returns
  // whether everything settled; unsettled batches are reported dropped when destroyed.
  virtual bool drain(std::chrono::steady_clock::time_point deadline) = 0;
};

}  // namespace logship
