#include "agent/watchdog.h"

#include <condition_variable>
#include <mutex>

#include "agent/agent_log.h"
#include "agent/thread_name.h"

namespace logship {
namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ",") + name;
  return out;
}

}  // namespace

std::unique_ptr<Watchdog> Watchdog::start(const SystemdNotifier& notifier, StuckPipelines stuck) {
  if (!notifier.enabled() || notifier.watchdog_timeout().count() == 0) return nullptr;
  return std::unique_ptr<Watchdog>(new Watchdog(notifier, std::move(stuck)));
}

Watchdog::Watchdog(const SystemdNotifier& notifier, StuckPipelines stuck)
    : notifier_(notifier),
      stuck_(std::move(stuck)),
      thread_([this](std::stop_token stop) { run(std::move(stop)); }) {}

void Watchdog::run(std::stop_token stop) {
  name_this_thread("ls-watchdog");
  const auto interval = notifier_.watchdog_timeout() / 2;
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  bool pinging = true;
  while (!stop.stop_requested()) {
    const std::vector<std::string> stuck = stuck_();
    if (stuck.empty()) {
      if (auto sent = notifier_.watchdog(); !sent && pinging) {
        agent_log().log(LogLevel::kWarn, "cannot ping the systemd watchdog",
                        {{"error", sent.error().message}});
      }
      if (!pinging)
        agent_log().log(LogLevel::kInfo, "pipelines moving again: watchdog pings resume");
      pinging = true;
    } else if (pinging) {
      agent_log().log(LogLevel::kError, "pipeline stuck: watchdog pings stop, systemd restarts",
                      {{"pipelines", joined(stuck)}});
      pinging = false;
    }
    wake.wait_for(lock, stop, interval, [] { return false; });
  }
}

}  // namespace logship
