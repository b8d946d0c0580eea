#include "agent/memory_budget.h"

#include <doctest/doctest.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

TEST_CASE("leases return their bytes when destroyed") {
  logship::MemoryBudget budget(100);
  std::stop_source stop;
  {
    auto lease = budget.acquire(70, stop.get_token());
    REQUIRE(lease);
    CHECK(budget.used() == 70);
    auto moved = std::move(*lease);
    CHECK(budget.used() == 70);
  }
  CHECK(budget.used() == 0);
}

TEST_CASE("acquire waits while the budget is spent and stops on request") {
  logship::MemoryBudget budget(100);
  std::stop_source stop;
  auto held = budget.acquire(80, stop.get_token());
  std::optional<logship::MemoryLease> waited;
  std::jthread waiter([&] { waited = budget.acquire(50, stop.get_token()); });
  held.reset();
  waiter.join();
  REQUIRE(waited);
  CHECK(budget.used() == 50);

  std::jthread blocked([&] { CHECK_FALSE(budget.acquire(80, stop.get_token())); });
  stop.request_stop();
}

TEST_CASE("memory charged after the fact holds back the next acquire until returned") {
  logship::MemoryBudget budget(100);
  std::stop_source stop;
  auto lease = budget.acquire(60, stop.get_token());
  REQUIRE(lease);
  lease->grow(60);  // a parsed batch's tables: already allocated, so charged at once
  CHECK(budget.used() == 120);
  CHECK(lease->bytes() == 120);
  CHECK(budget.tight());
  const auto soon = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
  CHECK_FALSE(budget.acquire_until(10, stop.get_token(), soon));
  lease.reset();
  CHECK(budget.used() == 0);
  CHECK(budget.acquire(10, stop.get_token()));
}

TEST_CASE("a paused budget resumes only under its low-water mark") {
  logship::MemoryBudget budget(800);
  std::stop_source stop;
  auto big = budget.acquire(700, stop.get_token());
  auto small = budget.acquire(100, stop.get_token());
  const auto soon = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
  CHECK_FALSE(budget.acquire_until(50, stop.get_token(), soon));  // pauses
  CHECK(budget.ladder().rung == 2);
  small.reset();  // 700 used: 50 would fit under the limit, not under 5/8 of it
  const auto later = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
  CHECK_FALSE(budget.acquire_until(50, stop.get_token(), later));
  big.reset();
  CHECK(budget.acquire(50, stop.get_token()));
  CHECK(budget.ladder().rung == 0);
  CHECK(budget.ladder().tightened == 1);
}

TEST_CASE("a lease taken at once follows its owner's buffer size both ways") {
  logship::MemoryBudget budget(100);
  std::stop_source stop;
  auto lease = budget.take_now(0);
  lease.resize(90);
  CHECK(budget.used() == 90);
  const auto soon = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
  CHECK_FALSE(budget.acquire_until(20, stop.get_token(), soon));
  lease.resize(30);  // the buffer was given back: the budget has room again
  CHECK(budget.used() == 30);
  CHECK(lease.bytes() == 30);
  CHECK(budget.acquire(20, stop.get_token()));
}

TEST_CASE("inputs waiting for memory all get it as leases come back") {
  // Waiters are woken only once the budget is under what they may be admitted to; none may
  // be left behind (a lost wake-up hangs this test until ctest's timeout).
  logship::MemoryBudget budget(1000);
  std::stop_source stop;
  constexpr int kInputs = 6;
  constexpr int kLeasesEach = 300;
  std::mutex held_mutex;
  std::deque<logship::MemoryLease> held;
  std::atomic<int> granted = 0;
  std::vector<std::jthread> inputs;
  for (int i = 0; i < kInputs; ++i) {
    inputs.emplace_back([&, i] {
      for (int n = 0; n < kLeasesEach; ++n) {
        auto lease = budget.acquire(100 + 50 * static_cast<uint64_t>(i), stop.get_token());
        REQUIRE(lease);
        std::lock_guard lock(held_mutex);
        held.push_back(std::move(*lease));
        ++granted;
      }
    });
  }
  // The "output": gives leases back one by one, as batches are delivered.
  for (int returned = 0; returned < kInputs * kLeasesEach;) {
    std::optional<logship::MemoryLease> done;
    {
      std::lock_guard lock(held_mutex);
      if (!held.empty()) {
        done = std::move(held.front());
        held.pop_front();
      }
    }
    if (done) {
      ++returned;
    } else {
      std::this_thread::yield();
    }
  }
  inputs.clear();
  CHECK(granted == kInputs * kLeasesEach);
  CHECK(budget.used() == 0);
}
