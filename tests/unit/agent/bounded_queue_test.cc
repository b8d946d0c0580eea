#include "agent/bounded_queue.h"

#include <doctest/doctest.h>

#include <thread>

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
