#pragma once
// Backoff: the retry delay policy of the Loki output. Exponential from `min` doubling to
// `max`, with "equal jitter" (a uniform pick in [d/2, d]) so that lanes and agents that
// failed together do not retry together. The random source is injected so tests are
// deterministic. Pure: computes delays, never sleeps.
// Thread: one owner (a lane's delivery of one request).

#include <chrono>
#include <functional>

namespace logship {

class Backoff {
 public:
  // `unit_random` returns a value in [0, 1).
  Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max,
          std::function<double()> unit_random);

  // The delay before the next attempt; grows with every call until reset().
  std::chrono::milliseconds next();
  void reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

 private:
  std::chrono::milliseconds min_;
  std::chrono::milliseconds max_;
  std::function<double()> unit_random_;
  int attempt_ = 0;
};

}  // namespace logship
