#pragma once
// Pipeline: one input feeding one output through a queue bounded in bytes. The input and
// the output each run on their own thread; the ack path runs from the output back to the
// input's offset trackers without touching the queue, so it never blocks reading.
// An input configured for several outputs gets one pipeline (and one reader) per output,
// so a slow or failed output never holds back another.
// Stopping: reading stops at once; the output drains until `shutdown_timeout` after the
// stop. A pipeline that did not drain by then tells its threads to stop and is abandoned:
// what its output did not acknowledge stays unacknowledged (its offsets never move past
// it), and reap() joins the threads once they have left the output.
// Thread: run() and reap() on the caller's (main) thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include "agent/bounded_queue.h"
#include "inputs/input.h"
#include "outputs/output.h"

namespace logship {

// What the output accepted so far (send() returned ok); for metrics.
struct SentCounts {
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t batches = 0;
  uint64_t file_bytes = 0;  // bytes of the files these records cover (progress)
};

struct PipelineOutcome {
  std::optional<Error> input_error;
  std::optional<Error> output_error;
  bool drained = true;          // false: the output did not settle everything by the deadline
  bool joined = true;           // false: threads still running (abandoned); see reap()
  uint64_t unacknowledged = 0;  // batches read but never settled
};

class Pipeline {
 public:
  Pipeline(std::unique_ptr<Input> input, std::unique_ptr<Output> output, uint64_t queue_bytes);
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  // Joins the threads: destroy an abandoned pipeline only after reap() returned true.
  ~Pipeline() = default;

  // Runs until the input is done (one-shot) or `stop` is requested (then stops reading),
  // and the output has drained; after a stop, waits at most `shutdown_timeout` for that.
  // When it gives up (outcome.joined false), threads may still be blocked in the output.
  PipelineOutcome run(std::stop_token stop, std::chrono::milliseconds shutdown_timeout);
  // After run() gave up: waits until `until` for the threads to finish, and joins them.
  // True when no thread is left.
  bool reap(std::chrono::steady_clock::time_point until);

  // Thread-safe.
  SentCounts sent() const;
  OutputCounters output_counters() const { return output_->counters(); }

 private:
  void run_input();
  void run_output();

  std::unique_ptr<Input> input_;
  std::unique_ptr<Output> output_;
  BoundedQueue<Batch> queue_;
  std::stop_source input_stop_;
  std::stop_source output_stop_;
  // Set by the stop, before reading stops: the output's drain gives up at it, so the
  // output thread ends with the deadline instead of waiting for a destination that is down.
  std::atomic<std::chrono::steady_clock::rep> drain_deadline_ =
      std::chrono::steady_clock::time_point::max().time_since_epoch().count();
  std::atomic<uint64_t> sent_records_ = 0;
  std::atomic<uint64_t> sent_bytes_ = 0;
  std::atomic<uint64_t> sent_batches_ = 0;
  std::atomic<uint64_t> sent_file_bytes_ = 0;
  std::optional<Error> input_error_;
  std::optional<Error> output_error_;
  bool output_drained_ = false;  // written by the output thread before finished_
  std::mutex mutex_;
  std::condition_variable_any finished_cv_;
  bool finished_ = false;
  bool abandoned_ = false;  // threads left running at the deadline; joined by reap()
  std::jthread input_thread_;
  std::jthread output_thread_;
};

}  // namespace logship
