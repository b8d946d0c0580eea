#pragma once
// Acknowledgement path. Each batch carries an AckHandle; whoever settles the batch (an
// output, on its own thread) reports its fate to the AckSink of the batch's source (the
// per-file OffsetTracker). A handle destroyed unsettled reports kDropped, so a batch lost
// to a bug or a shutdown can never look delivered: its offsets simply do not advance.

#include <cstdint>
#include <memory>
#include <utility>

namespace logship {

enum class Fate {
  kDelivered,  // the destination acknowledged it
  kRejected,   // permanently refused; counted and reported, offsets move on
  kDropped,    // destroyed unsettled (shutdown, bug); offsets do not move past it
};

class AckSink {
 public:
  virtual ~AckSink() = default;
  // Called once per sequence number, from any thread.
  virtual void settle(uint64_t sequence, Fate fate) = 0;
};

class AckHandle {
 public:
  AckHandle() = default;
  // The sink is shared: batches in flight outlive neither their tracker nor vice versa
  // in any fixed order (an output may settle after the input has moved on).
  AckHandle(std::shared_ptr<AckSink> sink, uint64_t sequence)
      : sink_(std::move(sink)), sequence_(sequence) {}
  AckHandle(AckHandle&& other) noexcept = default;
  AckHandle& operator=(AckHandle&& other) noexcept {
    if (this != &other) {
      settle(Fate::kDropped);
      sink_ = std::move(other.sink_);
      sequence_ = other.sequence_;
    }
    return *this;
  }
  AckHandle(const AckHandle&) = delete;
  AckHandle& operator=(const AckHandle&) = delete;
  ~AckHandle() { settle(Fate::kDropped); }

  // Reports the fate once; later calls do nothing.
  void settle(Fate fate) {
    if (sink_) std::exchange(sink_, nullptr)->settle(sequence_, fate);
  }
  bool settled() const { return sink_ == nullptr; }

 private:
  std::shared_ptr<AckSink> sink_;
  uint64_t sequence_ = 0;
};

}  // namespace logship
