#include "agent/signals.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdlib>
#include <string_view>

#include "agent/agent_log.h"

namespace logship {

ShutdownSignals::ShutdownSignals() {
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal_fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  wake_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  watcher_ = std::jthread([this](std::stop_token done) { watch(std::move(done)); });
}

ShutdownSignals::~ShutdownSignals() {
  watcher_.request_stop();
  const uint64_t one = 1;
  [[maybe_unused]] const auto written = ::write(wake_fd_.get(), &one, sizeof one);
}

bool ShutdownSignals::wait_for_reload() {
  std::unique_lock lock(mutex_);
  if (!reload_cv_.wait(lock, stop_.get_token(),
                       [&] { return reloads_requested_ > reloads_taken_; })) {
    return false;
  }
  reloads_taken_ = reloads_requested_;
  return true;
}

void ShutdownSignals::watch(std::stop_token done) {
  int received = 0;
  while (!done.stop_requested()) {
    std::array<pollfd, 2> fds{{{signal_fd_.get(), POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), -1) <= 0 || !(fds[0].revents & POLLIN)) continue;
    signalfd_siginfo info{};
    while (::read(signal_fd_.get(), &info, sizeof info) == sizeof info) {
      if (info.ssi_signo == SIGHUP) {
        {
          std::lock_guard lock(mutex_);
          ++reloads_requested_;
        }
        reload_cv_.notify_all();
        continue;
      }
      if (++received > 1) std::_Exit(1);
      agent_log().log(LogLevel::kInfo,
                      "stopping: draining what is in flight (signal again to exit at once)",
                      {{"signal", info.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM"}});
      stop_.request_stop();
    }
  }
}

}  // namespace logship
