#include "agent/pipeline.h"

#include "agent/thread_name.h"

namespace logship {

Pipeline::Pipeline(std::unique_ptr<Input> input, std::unique_ptr<Output> output,
                   uint64_t queue_bytes)
    : input_(std::move(input)), output_(std::move(output)), queue_(queue_bytes) {}

Pipeline::~Pipeline() {
  if (abandoned_) {
    // A thread is stuck in a system call past the deadline; joining would hang shutdown.
    input_thread_.detach();
    output_thread_.detach();
  }
}

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
  if (!output_error_) output_->drain(std::chrono::steady_clock::time_point::max());
  {
    std::lock_guard lock(mutex_);
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
  std::stop_callback stop_reading(stop, [this] { input_stop_.request_stop(); });

  std::unique_lock lock(mutex_);
  finished_cv_.wait(lock, stop, [&] { return finished_; });
  if (!finished_) {
    const auto deadline = std::chrono::steady_clock::now() + shutdown_timeout;
    finished_cv_.wait_until(lock, deadline, [&] { return finished_; });
  }
  PipelineOutcome outcome;
  if (!finished_) {
    outcome.drained = false;
    abandoned_ = true;
    output_stop_.request_stop();
    return outcome;
  }
  lock.unlock();
  input_thread_.join();
  output_thread_.join();
  outcome.input_error = input_error_;
  outcome.output_error = output_error_;
  outcome.unacknowledged = input_->unacknowledged();
  return outcome;
}

}  // namespace logship
