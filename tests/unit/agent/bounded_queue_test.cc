#include "agent/bounded_queue.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace {

struct Item {
  uint64_t size;
  int id;
  uint64_t byte_size() const { return size; }
};

}  // namespace

TEST_CASE("a full queue blocks the producer until the consumer makes room") {
  logship::BoundedQueue<Item> queue(100);
  std::stop_source stop;
  REQUIRE(queue.push(Item{60, 1}, stop.get_token()));
  std::atomic<bool> pushed = false;
  std::jthread producer([&] { pushed = queue.push(Item{60, 2}, stop.get_token()); });
  CHECK(queue.bytes() == 60);
  auto first = queue.pop();
  REQUIRE(first);
  CHECK(first->id == 1);
  producer.join();
  CHECK(pushed);
  CHECK(queue.pop()->id == 2);
}

TEST_CASE("an item larger than the capacity passes when the queue is empty") {
  logship::BoundedQueue<Item> queue(10);
  std::stop_source stop;
  CHECK(queue.push(Item{1000, 1}, stop.get_token()));
  CHECK(queue.pop()->size == 1000);
}

TEST_CASE("a stop request releases a blocked producer without queueing its item") {
  logship::BoundedQueue<Item> queue(10);
  std::stop_source stop;
  REQUIRE(queue.push(Item{10, 1}, stop.get_token()));
  std::atomic<int> result = -1;
  std::jthread producer([&] { result = queue.push(Item{10, 2}, stop.get_token()) ? 1 : 0; });
  stop.request_stop();
  producer.join();
  CHECK(result == 0);
  queue.close();
  CHECK(queue.pop()->id == 1);
  CHECK_FALSE(queue.pop());
}

TEST_CASE("producers waiting for room all get in as the consumer drains, whatever their size") {
  // Waiting producers are woken only at half capacity or an empty queue; none may be left
  // behind (a lost wake-up hangs this test until ctest's timeout).
  logship::BoundedQueue<Item> queue(100);
  std::stop_source stop;
  constexpr int kProducers = 6;
  constexpr int kItemsEach = 200;
  std::vector<std::jthread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      const uint64_t size = p == 0 ? 70 : 10 + 7 * static_cast<uint64_t>(p);  // one over half
      for (int i = 0; i < kItemsEach; ++i) REQUIRE(queue.push(Item{size, p}, stop.get_token()));
    });
  }
  std::vector<int> per_producer(kProducers, 0);
  for (int n = 0; n < kProducers * kItemsEach; ++n) {
    auto item = queue.pop();
    REQUIRE(item);
    ++per_producer[static_cast<size_t>(item->id)];
  }
  producers.clear();
  CHECK(queue.bytes() == 0);
  CHECK(per_producer == std::vector<int>(kProducers, kItemsEach));
}
