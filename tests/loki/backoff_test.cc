#include "outputs/loki/backoff.h"

#include <doctest/doctest.h>

namespace logship {
namespace {

using std::chrono::milliseconds;

TEST_CASE("backoff doubles from min to max, jittered within the upper half") {
  double pick = 1.0;
  Backoff backoff(milliseconds(100), milliseconds(1000), [&] { return pick; });
  CHECK(backoff.next() == milliseconds(100));
  CHECK(backoff.next() == milliseconds(200));
  CHECK(backoff.next() == milliseconds(400));
  CHECK(backoff.next() == milliseconds(800));
  CHECK(backoff.next() == milliseconds(1000));
  CHECK(backoff.next() == milliseconds(1000));
  pick = 0.0;
  CHECK(backoff.next() == milliseconds(500));
  backoff.reset();
  CHECK(backoff.next() == milliseconds(50));
}

TEST_CASE("backoff survives many attempts without overflow") {
  Backoff backoff(milliseconds(500), milliseconds(30000), [] { return 0.5; });
  for (int i = 0; i < 200; ++i) backoff.next();
  CHECK(backoff.next() == milliseconds(22500));
}

}  // namespace
}  // namespace logship
