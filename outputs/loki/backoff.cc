#include "outputs/loki/backoff.h"

#include <algorithm>
#include <utility>

namespace logship {

Backoff::Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max,
                 std::function<double()> unit_random)
    : min_(std::max(min, std::chrono::milliseconds(1))),
      max_(std::max(max, min_)),
      unit_random_(std::move(unit_random)) {}

std::chrono::milliseconds Backoff::next() {
  // Double from min_ without overflowing: stop doubling once max_ is reached.
  auto ceiling = min_;
  for (int i = 0; i < attempt_ && ceiling < max_; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, max_);
  ++attempt_;
  const double half = static_cast<double>(ceiling.count()) / 2.0;
  const double pick = half + half * std::clamp(unit_random_(), 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(pick));
}

}  // namespace logship
