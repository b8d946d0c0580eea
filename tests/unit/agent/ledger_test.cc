#include "agent/ledger.h"

#include <doctest/doctest.h>

#include <memory>
#include <thread>
#include <vector>

#include "agent/ack.h"
#include "agent/offset_tracker.h"

using logship::AckHandle;
using logship::Fate;
using logship::Ledger;
using logship::LedgerSnapshot;
using logship::OffsetTracker;
using logship::Rejection;

TEST_CASE("every line read ends in one outcome or stays in flight") {
  Ledger ledger;
  ledger.read(10, 2);
  ledger.delivered(5);
  ledger.rejected("too_old", 1);
  ledger.dropped("spool_overflow", 4, /*unread=*/true);
  const LedgerSnapshot lines = ledger.snapshot();
  CHECK(lines.read == 16);
  CHECK(lines.filtered == 2);
  CHECK(lines.rejected.at("too_old") == 1);
  CHECK(lines.dropped.at("spool_overflow") == 4);
  CHECK(lines.in_flight() == 16 - 5 - 2 - 1 - 4);
}

TEST_CASE("an ack handle settles its batch's lines into the ledger once") {
  auto ledger = std::make_shared<Ledger>();
  auto tracker = std::make_shared<OffsetTracker>(0);
  ledger->read(7, 0);
  AckHandle handle(tracker, tracker->register_batch(70), ledger, 7);
  handle.settle(Fate::kDelivered);
  handle.settle(Fate::kRejected);
  CHECK(ledger->snapshot().delivered == 7);
  CHECK(ledger->snapshot().rejected_total() == 0);
  CHECK(ledger->snapshot().in_flight() == 0);
}

TEST_CASE("a rejected batch counts every line under its reason") {
  auto ledger = std::make_shared<Ledger>();
  auto tracker = std::make_shared<OffsetTracker>(0);
  ledger->read(3, 0);
  AckHandle handle(tracker, tracker->register_batch(30), ledger, 3);
  handle.settle(Fate::kRejected, "msg_size_too_large");
  CHECK(ledger->snapshot().rejected.at("msg_size_too_large") == 3);
  CHECK(tracker->committed_offset() == 30);
}

TEST_CASE("a partly refused batch delivers the rest and moves its offsets on") {
  auto ledger = std::make_shared<Ledger>();
  auto tracker = std::make_shared<OffsetTracker>(0);
  ledger->read(10, 0);
  AckHandle handle(tracker, tracker->register_batch(100), ledger, 10);
  const std::vector<Rejection> refused = {{"too_old", 2}, {"line_too_long", 1}};
  handle.settle_partly(refused);
  const LedgerSnapshot lines = ledger->snapshot();
  CHECK(lines.delivered == 7);
  CHECK(lines.rejected_total() == 3);
  CHECK(lines.in_flight() == 0);
  CHECK(tracker->committed_offset() == 100);
}

TEST_CASE("a batch destroyed unsettled keeps its lines in flight") {
  auto ledger = std::make_shared<Ledger>();
  auto tracker = std::make_shared<OffsetTracker>(0);
  ledger->read(4, 0);
  { AckHandle dropped(tracker, tracker->register_batch(40), ledger, 4); }
  CHECK(ledger->snapshot().in_flight() == 4);
  CHECK(ledger->snapshot().dropped_total() == 0);
  CHECK(tracker->committed_offset() == 0);
}

TEST_CASE("snapshots taken while other threads count always balance") {
  Ledger ledger;
  constexpr int kBatches = 20000;
  std::thread writer([&] {
    for (int i = 0; i < kBatches; ++i) {
      ledger.read(3, 1);
      ledger.delivered(2);
      ledger.rejected("other", 1);
    }
  });
  for (int i = 0; i < 1000; ++i) {
    const LedgerSnapshot lines = ledger.snapshot();
    REQUIRE(lines.read == lines.delivered + lines.filtered + lines.rejected_total() +
                              lines.dropped_total() + lines.in_flight());
    REQUIRE(lines.in_flight() <= lines.read);
  }
  writer.join();
  CHECK(ledger.snapshot().in_flight() == 0);
  CHECK(ledger.snapshot().read == 4 * kBatches);
}

TEST_CASE("snapshots add up by outcome and reason") {
  Ledger a;
  Ledger b;
  a.read(5, 0);
  a.rejected("too_new", 2);
  b.read(5, 1);
  b.rejected("too_new", 1);
  b.dropped("spool_unreadable", 3, /*unread=*/true);
  LedgerSnapshot sum = a.snapshot();
  sum += b.snapshot();
  CHECK(sum.read == 14);
  CHECK(sum.rejected.at("too_new") == 3);
  CHECK(sum.dropped.at("spool_unreadable") == 3);
  CHECK(sum.filtered == 1);
}
