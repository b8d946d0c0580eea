#include "agent/systemd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace logship {
namespace {

uint64_t parse_unsigned(const char* text) {
  uint64_t value = 0;
  if (text == nullptr) return 0;
  const char* end = text + std::strlen(text);
  const auto [rest, error] = std::from_chars(text, end, value);
  return error == std::errc{} && rest == end ? value : 0;
}

}  // namespace

SystemdNotifier SystemdNotifier::from_environment() {
  SystemdNotifier notifier;
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || (path[0] != '/' && path[0] != '@')) return notifier;
  notifier.socket_path_ = path;
  notifier.socket_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  // WATCHDOG_PID names the process the watchdog is meant for; a child started by the
  // agent (there is none today) must not ping for it.
  const uint64_t pid = parse_unsigned(std::getenv("WATCHDOG_PID"));
  if (pid == 0 || pid == static_cast<uint64_t>(::getpid())) {
    notifier.watchdog_timeout_ =
        std::chrono::microseconds(parse_unsigned(std::getenv("WATCHDOG_USEC")));
  }
  return notifier;
}

Result<void> SystemdNotifier::send(std::string_view state) const {
  if (!enabled()) return {};
  if (!socket_) return make_error(ErrorCode::kIo, "socket for NOTIFY_SOCKET failed");
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path_.size() >= sizeof address.sun_path) {
    return make_error(ErrorCode::kIo, "NOTIFY_SOCKET is too long: " + socket_path_);
  }
  std::memcpy(address.sun_path, socket_path_.data(), socket_path_.size());
  if (address.sun_path[0] == '@') address.sun_path[0] = '\0';  // the abstract namespace
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path_.size());
  const ssize_t sent = ::sendto(socket_.get(), state.data(), state.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&address), length);
  if (sent != static_cast<ssize_t>(state.size())) {
    return io_error("sendto", "NOTIFY_SOCKET " + socket_path_);
  }
  return {};
}

Result<void> SystemdNotifier::reloading() const {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const uint64_t usec =
      static_cast<uint64_t>(now.tv_sec) * 1'000'000 + static_cast<uint64_t>(now.tv_nsec) / 1'000;
  return send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

}  // namespace logship
