#pragma once
// Acknowledgement path. Each batch carries an AckHandle; whoever settles the batch (an
// output, on its own thread) reports its fate to the AckSink of the batch's source (the
// per-file OffsetTracker) and counts its lines in the pipeline's Ledger. A handle destroyed
// unsettled reports kDropped, so a batch lost to a bug or a shutdown can never look
// delivered: its offsets simply do not advance, and its lines stay in flight (they are read
// again after a restart).

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "agent/ledger.h"

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

// Lines of a batch the destination refused for good, and why (Loki: "too_old", ...;
// Kafka: the error's name, e.g. "msg_size_too_large").
struct Rejection {
  std::string reason;
  uint64_t lines = 0;
};

// Reason given when a rejection names none.
inline constexpr std::string_view kRejectedOther = "other";

class AckHandle {
 public:
  AckHandle() = default;
  // The sink and ledger are shared: batches in flight outlive neither their tracker nor
  // vice versa in any fixed order (an output may settle after the input has moved on).
  // `ledger` may be null (nothing counted); `lines` are the batch's (Record::lines summed).
  AckHandle(std::shared_ptr<AckSink> sink, uint64_t sequence,
            std::shared_ptr<Ledger> ledger = nullptr, uint64_t lines = 0)
      : sink_(std::move(sink)), ledger_(std::move(ledger)), sequence_(sequence), lines_(lines) {}
  AckHandle(AckHandle&& other) noexcept = default;
  AckHandle& operator=(AckHandle&& other) noexcept {
    if (this != &other) {
      settle(Fate::kDropped);
      sink_ = std::move(other.sink_);
      ledger_ = std::move(other.ledger_);
      sequence_ = other.sequence_;
      lines_ = other.lines_;
    }
    return *this;
  }
  AckHandle(const AckHandle&) = delete;
  AckHandle& operator=(const AckHandle&) = delete;
  ~AckHandle() { settle(Fate::kDropped); }

  // Reports the fate once; later calls do nothing. kRejected counts every line of the
  // batch rejected for `reason`.
  void settle(Fate fate, std::string_view reason = kRejectedOther) {
    if (!sink_) return;
    if (ledger_ && fate == Fate::kDelivered) ledger_->delivered(lines_);
    if (ledger_ && fate == Fate::kRejected) ledger_->rejected(reason, lines_);
    std::exchange(sink_, nullptr)->settle(sequence_, fate);
  }
  // Settles a batch of which the destination refused some lines: those are counted
  // rejected by reason, the rest delivered. Its offsets move on either way; the tracker
  // hears kRejected when anything was refused.
  void settle_partly(std::span<const Rejection> rejected) {
    if (!sink_) return;
    if (ledger_) {
      uint64_t refused = 0;
      for (const Rejection& rejection : rejected) {
        ledger_->rejected(rejection.reason, rejection.lines);
        refused += rejection.lines;
      }
      ledger_->delivered(lines_ > refused ? lines_ - refused : 0);
    }
    std::exchange(sink_, nullptr)
        ->settle(sequence_, rejected.empty() ? Fate::kDelivered : Fate::kRejected);
  }
  bool settled() const { return sink_ == nullptr; }
  uint64_t lines() const { return lines_; }

 private:
  std::shared_ptr<AckSink> sink_;
  std::shared_ptr<Ledger> ledger_;
  uint64_t sequence_ = 0;
  uint64_t lines_ = 0;
};

}  // namespace logship
