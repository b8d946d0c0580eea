#pragma once
// OffsetTracker: the acknowledged position of one file. The reader registers each batch
// with the file offset just after it; outputs settle batches in any order; the committed
// offset is the end of the longest contiguous prefix of settled (delivered or rejected)
// batches. A dropped batch stops the prefix there for good, so it is re-read after a
// restart rather than skipped.
// Thread-safe: register_batch from the reading thread, settle from output threads.

#include <cstdint>
#include <deque>
#include <mutex>

#include "agent/ack.h"

namespace logship {

class OffsetTracker final : public AckSink {
 public:
  explicit OffsetTracker(uint64_t committed_offset) : committed_(committed_offset) {}

  // Returns the sequence number to put in the batch's AckHandle.
  uint64_t register_batch(uint64_t end_offset);
  void settle(uint64_t sequence, Fate fate) override;

  uint64_t committed_offset() const;
  // Batches registered but not settled yet (including a dropped one and all after it).
  uint64_t pending() const;
  uint64_t dropped() const;

 private:
  struct Pending {
    uint64_t end_offset;
    bool settled = false;
  };
  mutable std::mutex mutex_;
  uint64_t committed_;
  uint64_t first_sequence_ = 0;  // sequence number of pending_.front()
  std::deque<Pending> pending_;
  uint64_t dropped_ = 0;
};

}  // namespace logship
