#include "agent/memory_budget.h"

#include <doctest/doctest.h>

#include <thread>

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

TEST_CASE("a lease grown past its reservation charges the budget at once and returns it all") {
  logship::MemoryBudget budget(100);
  std::stop_source stop;
  {
    auto lease = budget.acquire(60, stop.get_token());
    REQUIRE(lease);
    lease->grow_to(90);
    CHECK(budget.used() == 90);
    lease->grow_to(70);  // never shrinks
    CHECK(lease->bytes() == 90);
    lease->grow_to(130);  // may overshoot: the bytes are already held
    CHECK(budget.used() == 130);
  }
  CHECK(budget.used() == 0);
}
