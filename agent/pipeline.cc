#include "agent/pipeline.h"

#include "agent/thread_name.h"

namespace logship {

Pipeline::Pipeline(std::unique_ptr<Input> input, std::unique_ptr<Output> output,
                   uint64_t queue_bytes)
    : input_(std::move(input)), output_(std::move(output)), queue_(queue_bytes) {}

void Pipeline::run_input() {
  const BatchSink sink = [this](Batch& batch, std::stop_token stop,
                                std::chrono::steady_clock::time_point deadline) {
    return queue_.push_until(batch, std::move(stop), deadline);
  };
  if (auto result = input_->run(input_stop_.get_token(), sink); !result) {
    input_error_ = result.error();
  }
  queue_.close();
}

void Pipeline::run_output() {
  while (auto batch = queue_.pop()) {
    const uint64_t records = batch->records().size();
    uint64_t bytes = 0;
    uint64_t file_bytes = 0;
    for (const Record& record : batch->records()) {
      bytes += record.line.size;
      file_bytes += record.file_bytes;
    }
    if (auto sent = output_->send(std::move(*batch), output_stop_.get_token()); !sent) {
      output_error_ = sent.error();
      input_stop_.request_stop();
      queue_.close();
      break;
    }
    sent_records_.fetch_add(records, std::memory_order_relaxed);
    sent_bytes_.fetch_add(bytes, std::memory_order_relaxed);
    sent_batches_.fetch_add(1, std::memory_order_relaxed);
    sent_file_bytes_.fetch_add(file_bytes, std::memory_order_relaxed);
  }
  bool drained = false;
  if (!output_error_) {
    const std::chrono::steady_clock::time_point deadline{
        std::chrono::steady_clock::duration(drain_deadline_.load())};
    drained = output_->drain(deadline);
  }
  {
    std::lock_guard lock(mutex_);
    output_drained_ = drained;
    finished_ = true;
  }
  finished_cv_.notify_all();
}

SentCounts Pipeline::sent() const {
  return {sent_records_.load(std::memory_order_relaxed),
          sent_bytes_.load(std::memory_order_relaxed),
          sent_batches_.load(std::memory_order_relaxed),
          sent_file_bytes_.load(std::memory_order_relaxed)};
}

PipelineOutcome Pipeline::run(std::stop_token stop, std::chrono::milliseconds shutdown_timeout) {
  output_thread_ = std::jthread([this] {
    name_this_thread("ls-output");
    run_output();
  });
  input_thread_ = std::jthread([this] {
    name_this_thread("ls-input");
    run_input();
  });
  std::stop_callback stop_reading(stop, [this, shutdown_timeout] {
    // Before reading stops: the output thread reads it once the queue is closed.
    drain_deadline_.store(
        (std::chrono::steady_clock::now() + shutdown_timeout).time_since_epoch().count());
    input_stop_.request_stop();
  });

  std::unique_lock lock(mutex_);
  finished_cv_.wait(lock, stop, [&] { return finished_; });
  if (!finished_) {
    const auto deadline = std::chrono::steady_clock::now() + shutdown_timeout;
    finished_cv_.wait_until(lock, deadline, [&] { return finished_; });
  }
  PipelineOutcome outcome;
  if (!finished_) {
    outcome.drained = false;
    outcome.joined = false;
    abandoned_ = true;
    output_stop_.request_stop();
    return outcome;
  }
  outcome.drained = output_drained_ || output_error_.has_value();
  lock.unlock();
  input_thread_.join();
  output_thread_.join();
  outcome.input_error = input_error_;
  outcome.output_error = output_error_;
  outcome.unacknowledged = input_->unacknowledged();
  return outcome;
}

bool Pipeline::reap(std::chrono::steady_clock::time_point until) {
  if (!abandoned_) return true;
  {
    std::unique_lock lock(mutex_);
    if (!finished_cv_.wait_until(lock, until, [&] { return finished_; })) return false;
  }
  // The output thread was the last: the input's ended when it closed the queue, or when the
  // output's failure stopped it.
  input_thread_.join();
  output_thread_.join();
  abandoned_ = false;
  return true;
}

}  // namespace logship
