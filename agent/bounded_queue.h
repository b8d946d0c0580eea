#pragma once
// BoundedQueue: a FIFO between two stages, bounded in bytes (T::byte_size()), never in
// items. push() blocks while the queue is over capacity (backpressure to the producer);
// an item larger than the whole capacity is admitted when the queue is empty. Producers
// waiting for room wake when the queue is down to half its capacity (or empty), not at
// every pop: with many inputs on one output, each pop woke every one of them. close()
// lets the consumer drain what is left and then see the end.
// Thread-safe: one or more producers, one consumer.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>

namespace logship {

enum class PushResult {
  kPushed,
  kFull,    // no room by the deadline; the item is still the caller's
  kClosed,  // closed, or `stop` requested
};

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(uint64_t capacity_bytes) : capacity_(capacity_bytes) {}

  // Moves `item` in when there is room by `deadline`; otherwise leaves it with the caller.
  PushResult push_until(T& item, std::stop_token stop,
                        std::chrono::steady_clock::time_point deadline) {
    const uint64_t size = item.byte_size();
    std::unique_lock lock(mutex_);
    const auto room = [&] { return closed_ || items_.empty() || bytes_ + size <= capacity_; };
    ++full_waiters_;
    const bool ready = deadline == std::chrono::steady_clock::time_point::max()
                           ? not_full_.wait(lock, stop, room)
                           : not_full_.wait_until(lock, stop, deadline, room);
    --full_waiters_;
    if (closed_ || stop.stop_requested()) return PushResult::kClosed;
    if (!ready) return PushResult::kFull;
    bytes_ += size;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return PushResult::kPushed;
  }

  // Blocks for room; false (the item dropped) when `stop` is requested or the queue closed.
  bool push(T&& item, std::stop_token stop) {
    return push_until(item, std::move(stop), std::chrono::steady_clock::time_point::max()) ==
           PushResult::kPushed;
  }

  // Blocks until an item is there or the queue is closed and empty (then nullopt).
  std::optional<T> pop() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    bytes_ -= item.byte_size();
    if (full_waiters_ > 0 && bytes_ <= capacity_ / 2) not_full_.notify_all();
    return item;
  }

  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  uint64_t bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
  }

 private:
  const uint64_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable_any not_full_;
  std::condition_variable not_empty_;
  std::deque<T> items_;
  uint64_t bytes_ = 0;
  int full_waiters_ = 0;
  bool closed_ = false;
};

}  // namespace logship
