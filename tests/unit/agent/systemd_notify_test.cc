#include "agent/systemd_notify.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#include "agent/unique_fd.h"
#include "agent/watchdog.h"

namespace {

using logship::SystemdNotifier;
using logship::UniqueFd;

// A datagram socket standing in for systemd's, bound at `name` ("@..." abstract).
UniqueFd listen_at(const std::string& name) {
  UniqueFd socket(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  REQUIRE(socket);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, name.data(), name.size());
  if (name[0] == '@') address.sun_path[0] = '\0';
  REQUIRE(::bind(socket.get(), reinterpret_cast<const sockaddr*>(&address),
                 static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size())) == 0);
  timeval timeout{.tv_sec = 5, .tv_usec = 0};
  ::setsockopt(socket.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return socket;
}

std::string receive(const UniqueFd& socket) {
  char buffer[512];
  const ssize_t n = ::recv(socket.get(), buffer, sizeof buffer, 0);
  REQUIRE(n > 0);
  return std::string(buffer, static_cast<size_t>(n));
}

struct Environment {
  explicit Environment(const std::string& socket) { ::setenv("NOTIFY_SOCKET", socket.c_str(), 1); }
  ~Environment() {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
  }
};

}  // namespace

TEST_CASE("each state is one datagram to the socket NOTIFY_SOCKET names") {
  const std::string path = "/tmp/logship-notify-" + std::to_string(::getpid());
  ::unlink(path.c_str());
  UniqueFd systemd = listen_at(path);
  Environment environment(path);
  const SystemdNotifier notifier = SystemdNotifier::from_environment();
  REQUIRE(notifier.enabled());
  REQUIRE(notifier.ready());
  CHECK(receive(systemd) == "READY=1");
  REQUIRE(notifier.reloading());
  const std::string reloading = receive(systemd);
  CHECK(reloading.starts_with("RELOADING=1\nMONOTONIC_USEC="));
  CHECK(reloading.size() > std::strlen("RELOADING=1\nMONOTONIC_USEC="));
  REQUIRE(notifier.watchdog());
  CHECK(receive(systemd) == "WATCHDOG=1");
  REQUIRE(notifier.stopping());
  CHECK(receive(systemd) == "STOPPING=1");
  ::unlink(path.c_str());
}

TEST_CASE("an @ name is a socket in the abstract namespace") {
  const std::string name = "@logship-notify-test-" + std::to_string(::getpid());
  UniqueFd systemd = listen_at(name);
  Environment environment(name);
  REQUIRE(SystemdNotifier::from_environment().ready());
  CHECK(receive(systemd) == "READY=1");
}

TEST_CASE("the watchdog timeout applies only to the process WATCHDOG_PID names") {
  Environment environment("@logship-notify-unused");
  ::setenv("WATCHDOG_USEC", "3000000", 1);
  CHECK(SystemdNotifier::from_environment().watchdog_timeout() == std::chrono::seconds(3));
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  CHECK(SystemdNotifier::from_environment().watchdog_timeout() == std::chrono::seconds(3));
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  CHECK(SystemdNotifier::from_environment().watchdog_timeout().count() == 0);
}

TEST_CASE("without NOTIFY_SOCKET nothing is sent and nothing fails") {
  ::unsetenv("NOTIFY_SOCKET");
  const SystemdNotifier notifier = SystemdNotifier::from_environment();
  CHECK_FALSE(notifier.enabled());
  CHECK(notifier.ready());
}

TEST_CASE("a socket nobody listens on is an error naming it, not a crash") {
  Environment environment("/tmp/logship-notify-nobody-listens");
  const auto sent = SystemdNotifier::from_environment().ready();
  REQUIRE_FALSE(sent);
  CHECK(sent.error().message.find("NOTIFY_SOCKET /tmp/logship-notify-nobody-listens") !=
        std::string::npos);
}

TEST_CASE("the watchdog pings at half its timeout while nothing is stuck, and stops when it is") {
  const std::string name = "@logship-watchdog-test-" + std::to_string(::getpid());
  UniqueFd systemd = listen_at(name);
  timeval quick{.tv_sec = 0, .tv_usec = 500'000};
  ::setsockopt(systemd.get(), SOL_SOCKET, SO_RCVTIMEO, &quick, sizeof quick);
  Environment environment(name);
  ::setenv("WATCHDOG_USEC", "100000", 1);  // pings every 50 ms
  const SystemdNotifier notifier = SystemdNotifier::from_environment();
  std::atomic<bool> stuck = false;
  auto watchdog = logship::Watchdog::start(notifier, [&] {
    return stuck ? std::vector<std::string>{"app/loki"} : std::vector<std::string>{};
  });
  REQUIRE(watchdog);
  CHECK(receive(systemd) == "WATCHDOG=1");
  CHECK(receive(systemd) == "WATCHDOG=1");
  stuck = true;
  // At most the ping already on its way arrives; then silence for 10 intervals.
  char buffer[64];
  int after_stuck = 0;
  while (::recv(systemd.get(), buffer, sizeof buffer, 0) > 0) ++after_stuck;
  CHECK(after_stuck <= 1);
  stuck = false;
  CHECK(receive(systemd) == "WATCHDOG=1");
}

TEST_CASE("no watchdog thread when the unit sets no WatchdogSec") {
  Environment environment("@logship-notify-unused");
  const SystemdNotifier notifier = SystemdNotifier::from_environment();
  CHECK(logship::Watchdog::start(notifier, [] { return std::vector<std::string>{}; }) == nullptr);
}
