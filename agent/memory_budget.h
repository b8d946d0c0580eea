#pragma once
// MemoryBudget: the one byte budget of the agent (`[agent] memory_limit`). Every byte held
// in read buffers, queues, batches and in-flight requests is covered by a MemoryLease;
// the lease returns its bytes when destroyed. When the budget is spent, acquire() blocks
// the caller (an input), so the files on disk become the buffer and memory stays flat.
// The first two rungs of the degradation ladder (DESIGN.md) live here: above the high-water
// mark (3/4 of the limit) inputs read in smaller chunks (tight()); when a request does not
// fit, inputs pause, and once paused they resume only when the request fits under the
// low-water mark (5/8; above the half an output may reserve for itself), so they do not
// wake for every freed chunk. Each rung entered is counted.
// Thread-safe: leases are taken by inputs and released by whichever thread drops a batch.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>

namespace logship {

class MemoryBudget;

class MemoryLease {
 public:
  MemoryLease() = default;
  MemoryLease(MemoryLease&& other) noexcept;
  MemoryLease& operator=(MemoryLease&& other) noexcept;
  MemoryLease(const MemoryLease&) = delete;
  MemoryLease& operator=(const MemoryLease&) = delete;
  ~MemoryLease();

  uint64_t bytes() const { return bytes_; }
  // Charges `bytes` more without waiting: for memory already allocated (a batch's record
  // and field tables, sized only once a chunk is parsed). The budget may pass its limit by
  // that much; the next acquire() waits until it is back under.
  void grow(uint64_t bytes);
  // Charges or gives back the difference to `bytes` at once, without waiting: for buffers
  // whose size their owner tracks (an output's reused request buffers).
  void resize(uint64_t bytes);

 private:
  friend class MemoryBudget;
  MemoryLease(MemoryBudget* budget, uint64_t bytes) : budget_(budget), bytes_(bytes) {}
  void release();

  MemoryBudget* budget_ = nullptr;
  uint64_t bytes_ = 0;
};

class MemoryBudget {
 public:
  explicit MemoryBudget(uint64_t limit_bytes) : limit_(limit_bytes) {}

  // Blocks until `bytes` fit (a request larger than the whole budget waits for an empty
  // budget, so one huge line cannot deadlock). Returns nullopt when `stop` is requested.
  std::optional<MemoryLease> acquire(uint64_t bytes, std::stop_token stop);
  // As acquire(), but gives up at `deadline` too, so a paused input can do other work.
  std::optional<MemoryLease> acquire_until(uint64_t bytes, std::stop_token stop,
                                           std::chrono::steady_clock::time_point deadline);
  // Charges `bytes` at once, without waiting, as grow() does: for memory that exists
  // whatever the budget says. Outputs hold such leases; waiting there could deadlock, since
  // outputs are what frees the budget.
  MemoryLease take_now(uint64_t bytes);

  uint64_t limit() const { return limit_; }
  uint64_t used() const;
  // Above the high-water mark: read less at a time.
  bool tight() const { return used_now_.load(std::memory_order_relaxed) >= limit_ / 4 * 3; }

  struct Ladder {
    int rung = 0;            // 0 normal, 1 tight, 2 inputs waiting for memory
    uint64_t tightened = 0;  // times the high-water mark was crossed upwards
  };
  Ladder ladder() const;

 private:
  friend class MemoryLease;
  void give_back(uint64_t bytes);
  void take(uint64_t bytes);
  uint64_t admit_up_to() const;  // what used_ may reach with a new request
  bool fits(uint64_t bytes) const;
  void note_used();

  const uint64_t limit_;
  mutable std::mutex mutex_;
  std::condition_variable_any released_;
  uint64_t used_ = 0;
  bool paused_ = false;
  int waiters_ = 0;  // callers of acquire_until() waiting for memory
  bool was_tight_ = false;
  uint64_t tightened_ = 0;
  std::atomic<uint64_t> used_now_ = 0;  // used_, readable without the lock
};

}  // namespace logship
