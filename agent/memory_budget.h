#pragma once
// MemoryBudget: the one byte budget of the agent (`[agent] memory_limit`). Every byte held
// in read buffers, queues, batches and in-flight requests is covered by a MemoryLease;
// the lease returns its bytes when destroyed. When the budget is spent, acquire() blocks
// the caller (an input), so the files on disk become the buffer and memory stays flat.
// Thread-safe: leases are taken by inputs and released by whichever thread drops a batch.

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
  // Charges the lease up to `bytes` without waiting, for a holder that turned out to need
  // more than it reserved (a parsed batch's fields); the next acquire() waits for it.
  void grow_to(uint64_t bytes);

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

  uint64_t limit() const { return limit_; }
  uint64_t used() const;

 private:
  friend class MemoryLease;
  void give_back(uint64_t bytes);
  void take(uint64_t bytes);

  const uint64_t limit_;
  mutable std::mutex mutex_;
  std::condition_variable_any released_;
  uint64_t used_ = 0;
};

}  // namespace logship
