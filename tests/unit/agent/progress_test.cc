#include "agent/progress.h"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "agent/unique_fd.h"

namespace logship {
namespace {

using namespace std::chrono_literals;

// A pseudo-terminal: the master end the test reads, and a new fd on its terminal side.
struct Terminal {
  UniqueFd master{::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)};
  UniqueFd open_side() const {
    REQUIRE(master);
    REQUIRE(::grantpt(master.get()) == 0);
    REQUIRE(::unlockpt(master.get()) == 0);
    UniqueFd side(::open(::ptsname(master.get()), O_RDWR | O_NOCTTY | O_CLOEXEC));
    REQUIRE(side);
    return side;
  }
};

TEST_CASE("the line shows bar, percentage, sizes, rate and ETA within the width") {
  const std::string line =
      render_progress({.done = 512ull << 20, .total = 1ull << 30}, 64.0 * (1 << 20), 100);
  CHECK(line ==
        "[====================>                   ]  50%  512.0 MiB / 1.0 GiB  "
        "64.0 MiB/s  ETA 0:08");
  CHECK(line.size() < 100);
  CHECK(render_progress({.done = 512ull << 20, .total = 1ull << 30}, 1, 60).size() < 60);
}

TEST_CASE("without a rate there is no ETA, and a narrow terminal drops the bar") {
  CHECK(render_progress({.done = 0, .total = 100}, 0, 80) ==
        "[>                                       ]   0%  0 B / 100 B");
  CHECK(render_progress({.done = 100, .total = 100}, 10, 30) == "100%  100 B / 100 B  10 B/s");
  CHECK(render_progress({.done = 5, .total = 0}, 0, 80).find("100%") != std::string::npos);
}

TEST_CASE("sizes and long ETAs are formatted for people") {
  CHECK(format_bytes(0) == "0 B");
  CHECK(format_bytes(1536) == "1.5 KiB");
  CHECK(format_bytes(3.5 * (1ull << 40)) == "3.5 TiB");
  CHECK(render_progress({.done = 0, .total = 7200}, 1, 100).ends_with("ETA 2:00:00"));
}

TEST_CASE("the rate follows the recent window, so a stall shows") {
  RateWindow rate(3s);
  const auto t0 = std::chrono::steady_clock::time_point{};
  CHECK(rate.bytes_per_second() == 0);
  rate.add(t0, 0);
  rate.add(t0 + 1s, 100);
  CHECK(rate.bytes_per_second() == doctest::Approx(100));
  for (int s = 2; s <= 10; ++s) rate.add(t0 + std::chrono::seconds(s), 100);
  CHECK(rate.bytes_per_second() == 0);
}

TEST_CASE("auto draws on a terminal that the records do not go to; always and never obey") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  const Terminal pty;
  const UniqueFd terminal = pty.open_side();
  const UniqueFd same_terminal = pty.open_side();
  const int pipe = write_end.get();
  CHECK_FALSE(logship::progress_wanted("auto", pipe, pipe, true));
  CHECK(logship::progress_wanted("auto", terminal.get(), pipe, true));
  CHECK_FALSE(logship::progress_wanted("auto", terminal.get(), same_terminal.get(), true));
  CHECK(logship::progress_wanted("auto", terminal.get(), same_terminal.get(), false));
  CHECK(logship::progress_wanted("always", pipe, pipe, true));
  CHECK_FALSE(logship::progress_wanted("never", terminal.get(), pipe, true));
}

TEST_CASE("on a terminal the line is drawn in place and erased at the end") {
  const Terminal pty;
  const UniqueFd& master = pty.master;
  const UniqueFd terminal = pty.open_side();
  std::atomic<uint64_t> done = 10;
  auto reporter = ProgressReporter::start(
      terminal.get(), [&] { return ProgressCounts{.done = done.load(), .total = 40}; });
  REQUIRE(reporter != nullptr);
  std::string seen;
  char buf[512];
  pollfd pfd{master.get(), POLLIN, 0};
  while (seen.find(" 25%") == std::string::npos && ::poll(&pfd, 1, 5000) == 1) {
    const ssize_t n = ::read(master.get(), buf, sizeof buf);
    if (n <= 0) break;
    seen.append(buf, static_cast<size_t>(n));
  }
  CHECK(seen.starts_with("\r["));
  CHECK(seen.find(" 25%  10 B / 40 B") != std::string::npos);
  reporter.reset();
  std::string last;
  while (::poll(&pfd, 1, 200) == 1) {
    const ssize_t n = ::read(master.get(), buf, sizeof buf);
    if (n <= 0) break;
    last.append(buf, static_cast<size_t>(n));
  }
  CHECK(last.ends_with("\r\x1b[K"));
}

}  // namespace
}  // namespace logship
