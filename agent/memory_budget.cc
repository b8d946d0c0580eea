#include "agent/memory_budget.h"

#include <utility>

namespace logship {

MemoryLease::MemoryLease(MemoryLease&& other) noexcept
    : budget_(std::exchange(other.budget_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

MemoryLease& MemoryLease::operator=(MemoryLease&& other) noexcept {
  if (this != &other) {
    release();
    budget_ = std::exchange(other.budget_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

MemoryLease::~MemoryLease() { release(); }

void MemoryLease::grow(uint64_t bytes) {
  if (budget_ == nullptr || bytes == 0) return;
  budget_->take(bytes);
  bytes_ += bytes;
}

void MemoryLease::resize(uint64_t bytes) {
  if (budget_ == nullptr || bytes == bytes_) return;
  if (bytes > bytes_) {
    budget_->take(bytes - bytes_);
  } else {
    budget_->give_back(bytes_ - bytes);
  }
  bytes_ = bytes;
}

void MemoryLease::release() {
  if (budget_ != nullptr) std::exchange(budget_, nullptr)->give_back(std::exchange(bytes_, 0));
}

uint64_t MemoryBudget::admit_up_to() const { return paused_ ? limit_ / 8 * 5 : limit_; }

bool MemoryBudget::fits(uint64_t bytes) const {
  if (used_ == 0) return true;  // one request larger than the budget must not deadlock
  return used_ + bytes <= admit_up_to();
}

void MemoryBudget::note_used() {
  used_now_.store(used_, std::memory_order_relaxed);
  const bool tight = used_ >= limit_ / 4 * 3;
  if (tight && !was_tight_) ++tightened_;
  was_tight_ = tight;
}

std::optional<MemoryLease> MemoryBudget::acquire(uint64_t bytes, std::stop_token stop) {
  return acquire_until(bytes, std::move(stop), std::chrono::steady_clock::time_point::max());
}

std::optional<MemoryLease> MemoryBudget::acquire_until(
    uint64_t bytes, std::stop_token stop, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  if (!fits(bytes)) paused_ = true;
  const auto ready = [&] { return fits(bytes); };
  ++waiters_;
  const bool fitting = deadline == std::chrono::steady_clock::time_point::max()
                           ? released_.wait(lock, stop, ready)
                           : released_.wait_until(lock, stop, deadline, ready);
  --waiters_;
  if (!fitting) return std::nullopt;
  paused_ = false;
  used_ += bytes;
  note_used();
  return MemoryLease(this, bytes);
}

MemoryLease MemoryBudget::take_now(uint64_t bytes) {
  take(bytes);
  return MemoryLease(this, bytes);
}

uint64_t MemoryBudget::used() const {
  std::lock_guard lock(mutex_);
  return used_;
}

MemoryBudget::Ladder MemoryBudget::ladder() const {
  std::lock_guard lock(mutex_);
  return {.rung = paused_ ? 2 : (was_tight_ ? 1 : 0), .tightened = tightened_};
}

void MemoryBudget::take(uint64_t bytes) {
  std::lock_guard lock(mutex_);
  used_ += bytes;
  note_used();
}

void MemoryBudget::give_back(uint64_t bytes) {
  bool may_fit = false;
  {
    std::lock_guard lock(mutex_);
    used_ -= bytes;
    note_used();
    // Paused inputs wait for the low-water mark: a release above it cannot admit any of
    // them, and waking them all for every freed chunk cost a wake-up per input and chunk.
    may_fit = waiters_ > 0 && used_ <= admit_up_to();
  }
  if (may_fit) released_.notify_all();
}

}  // namespace logship
