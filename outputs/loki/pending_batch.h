#pragma once
// Settlement of batches whose records are spread over several push requests (a batch
// can feed many streams, and streams live in different lanes). Each request holding
// part of a batch owns one "part"; the send() thread owns one while it distributes the
// records. The last part to finish settles the batch: rejected if any part was rejected,
// else delivered. A batch whose parts are abandoned (shutdown) is destroyed unsettled,
// so its AckHandle reports it dropped and its offsets do not move.
// Thread-safe: parts finish on lane threads.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "agent/batch.h"

namespace logship {

// Counts batches accepted by send() and not yet settled, for drain().
class UnsettledCount {
 public:
  void add() {
    std::lock_guard lock(mutex_);
    ++count_;
  }
  void settled() {
    std::lock_guard lock(mutex_);
    if (--count_ == 0) zero_.notify_all();
  }
  bool wait_for_zero(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return zero_.wait_until(lock, deadline, [&] { return count_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable zero_;
  uint64_t count_ = 0;
};

class PendingBatch {
 public:
  // Starts with the caller's part; `unsettled` must outlive every finish_part() call.
  PendingBatch(Batch batch, UnsettledCount& unsettled)
      : batch_(std::move(batch)), unsettled_(unsettled) {
    unsettled_.add();
  }
  PendingBatch(const PendingBatch&) = delete;
  PendingBatch& operator=(const PendingBatch&) = delete;

  const Batch& batch() const { return batch_; }
  void add_part() { parts_.fetch_add(1, std::memory_order_relaxed); }
  void finish_part(bool rejected) {
    if (rejected) rejected_.store(true, std::memory_order_relaxed);
    if (parts_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      batch_.settle(rejected_.load(std::memory_order_relaxed) ? Fate::kRejected : Fate::kDelivered);
      unsettled_.settled();
    }
  }

 private:
  Batch batch_;
  UnsettledCount& unsettled_;
  std::atomic<uint32_t> parts_{1};
  std::atomic<bool> rejected_{false};
};

}  // namespace logship
