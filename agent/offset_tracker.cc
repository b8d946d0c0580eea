#include "agent/offset_tracker.h"

namespace logship {

uint64_t OffsetTracker::register_batch(uint64_t end_offset) {
  std::lock_guard lock(mutex_);
  pending_.push_back(Pending{end_offset});
  return first_sequence_ + pending_.size() - 1;
}

void OffsetTracker::settle(uint64_t sequence, Fate fate) {
  std::lock_guard lock(mutex_);
  if (fate == Fate::kDropped) {
    ++dropped_;
    return;
  }
  if (sequence < first_sequence_ || sequence - first_sequence_ >= pending_.size()) return;
  pending_[sequence - first_sequence_].settled = true;
  while (!pending_.empty() && pending_.front().settled) {
    committed_ = pending_.front().end_offset;
    pending_.pop_front();
    ++first_sequence_;
  }
}

uint64_t OffsetTracker::committed_offset() const {
  std::lock_guard lock(mutex_);
  return committed_;
}

uint64_t OffsetTracker::pending() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

uint64_t OffsetTracker::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

}  // namespace logship
