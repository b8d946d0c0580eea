#include "agent/agent_log.h"

#include <condition_variable>
#include <memory>
#include <mutex>

namespace logship {
namespace {

Logger::Options options_for(LogLevel level, LogFormat format) {
  return {.level = level,
          .format = format,
          .journal = stderr_is_journal(),
          .repeat_interval = kRepeatInterval};
}

std::unique_ptr<Logger>& log_slot() {
  static std::unique_ptr<Logger> log =
      std::make_unique<Logger>(options_for(LogLevel::kInfo, LogFormat::kLogfmt));
  return log;
}

}  // namespace

Logger& agent_log() { return *log_slot(); }

void configure_agent_log(LogLevel level, LogFormat format) {
  log_slot() = std::make_unique<Logger>(options_for(level, format));
}

RepeatFlusher::RepeatFlusher(std::chrono::milliseconds interval)
    : thread_([interval](std::stop_token stop) {
        std::mutex mutex;
        std::condition_variable_any never;
        std::unique_lock lock(mutex);
        while (!never.wait_for(lock, stop, interval, [] { return false; }) &&
               !stop.stop_requested()) {
          agent_log().flush_repeats();
        }
      }) {}

RepeatFlusher::~RepeatFlusher() {
  thread_.request_stop();
  thread_.join();
  agent_log().flush_repeats();
}

}  // namespace logship
