#pragma once
// Settlement of batches whose records are spread over several push requests (a batch
// can feed many streams, and streams live in different lanes). Each request holding
// part of a batch owns one "part"; the send() thread owns one while it distributes the
// records. Each part finishes with the lines Loki refused for good, by reason; the last
// part settles the batch with all of them (AckHandle::settle_partly): delivered when none
// was refused. A batch whose parts are abandoned (shutdown) is destroyed unsettled,
// so its AckHandle reports it dropped and its offsets do not move.
// Thread-safe: parts finish on lane threads.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

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
  void add_part() {
    std::lock_guard lock(mutex_);
    ++parts_;
  }
  void finish_part(std::span<const Rejection> rejected = {}) {
    std::lock_guard lock(mutex_);
    for (const Rejection& more : rejected) {
      auto same = std::find_if(rejected_.begin(), rejected_.end(),
                               [&](const Rejection& known) { return known.reason == more.reason; });
      if (same == rejected_.end()) {
        rejected_.push_back(more);
      } else {
        same->lines += more.lines;
      }
    }
    if (--parts_ == 0) {
      batch_.settle_partly(rejected_);
      unsettled_.settled();
    }
  }

 private:
  Batch batch_;
  UnsettledCount& unsettled_;
  std::mutex mutex_;  // parts finish on lane threads
  uint32_t parts_ = 1;
  std::vector<Rejection> rejected_;
};

}  // namespace logship
