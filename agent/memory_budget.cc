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

void MemoryLease::release() {
  if (budget_ != nullptr) std::exchange(budget_, nullptr)->give_back(std::exchange(bytes_, 0));
}

void MemoryLease::grow_to(uint64_t bytes) {
  if (budget_ == nullptr || bytes <= bytes_) return;
  budget_->take(bytes - bytes_);
  bytes_ = bytes;
}

std::optional<MemoryLease> MemoryBudget::acquire(uint64_t bytes, std::stop_token stop) {
  std::unique_lock lock(mutex_);
  const bool fits =
      released_.wait(lock, stop, [&] { return used_ == 0 || used_ + bytes <= limit_; });
  if (!fits) return std::nullopt;
  used_ += bytes;
  return MemoryLease(this, bytes);
}

uint64_t MemoryBudget::used() const {
  std::lock_guard lock(mutex_);
  return used_;
}

void MemoryBudget::take(uint64_t bytes) {
  std::lock_guard lock(mutex_);
  used_ += bytes;
}

void MemoryBudget::give_back(uint64_t bytes) {
  {
    std::lock_guard lock(mutex_);
    used_ -= bytes;
  }
  released_.notify_all();
}

}  // namespace logship
