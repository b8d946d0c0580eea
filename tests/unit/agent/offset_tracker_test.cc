#include "agent/offset_tracker.h"

#include <doctest/doctest.h>

#include <memory>

using logship::AckHandle;
using logship::Fate;
using logship::OffsetTracker;

TEST_CASE("the committed offset is the end of the contiguous settled prefix") {
  OffsetTracker tracker(100);
  const auto first = tracker.register_batch(200);
  const auto second = tracker.register_batch(300);
  const auto third = tracker.register_batch(400);
  tracker.settle(third, Fate::kDelivered);
  CHECK(tracker.committed_offset() == 100);
  tracker.settle(first, Fate::kDelivered);
  CHECK(tracker.committed_offset() == 200);
  tracker.settle(second, Fate::kRejected);
  CHECK(tracker.committed_offset() == 400);
  CHECK(tracker.pending() == 0);
}

TEST_CASE("a dropped batch holds the committed offset before it") {
  auto tracker = std::make_shared<OffsetTracker>(0);
  { AckHandle dropped(tracker, tracker->register_batch(10)); }
  AckHandle later(tracker, tracker->register_batch(20));
  later.settle(Fate::kDelivered);
  CHECK(tracker->committed_offset() == 0);
  CHECK(tracker->dropped() == 1);
  CHECK(tracker->pending() == 2);
}

TEST_CASE("settling a handle twice reports once") {
  auto tracker = std::make_shared<OffsetTracker>(0);
  AckHandle handle(tracker, tracker->register_batch(5));
  handle.settle(Fate::kDelivered);
  handle.settle(Fate::kDropped);
  CHECK(handle.settled());
  CHECK(tracker->committed_offset() == 5);
  CHECK(tracker->dropped() == 0);
}
