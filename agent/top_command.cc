// `logship top [--url URL] [--interval D] [--once]`: a running agent's /metrics, live on
// the terminal (or one plain snapshot when stdout is not one, or with --once).
// The fetches run on their own thread, each bounded by a timeout shorter than the
// interval, so a slow endpoint delays the numbers, never the keys or a resize.
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <iostream>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "agent/commands.h"
#include "agent/metrics_snapshot.h"
#include "agent/top_fetch.h"
#include "agent/top_terminal.h"
#include "agent/top_view.h"
#include "agent/unique_fd.h"
#include "agent/units.h"

namespace logship {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kMaxFetchTimeout{2000};
constexpr std::chrono::milliseconds kMinInterval{100};

struct Fetched {
  MetricsSnapshot snapshot;
  Clock::time_point at;
  double unix_at = 0;
};

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// One GET of /metrics turned into a snapshot; the errors are the line `top` prints.
Result<Fetched> fetch(const std::string& url_text, const MetricsUrl& url,
                      std::chrono::milliseconds timeout) {
  auto answer = http_get(url, timeout);
  if (!answer) {
    return make_error(answer.error().code, answer.error().message +
                                               " (is the agent running, with metrics_listen on " +
                                               "this address?)");
  }
  const auto not_ours = [&](const std::string& why) {
    return make_error(ErrorCode::kInvalidConfig,
                      url_text + ": not a logship metrics endpoint: " + why);
  };
  if (answer->status != 200) {
    return not_ours("it answered HTTP " + std::to_string(answer->status));
  }
  auto snapshot = parse_metrics_snapshot(answer->body);
  if (!snapshot) return not_ours(snapshot.error().message);
  return Fetched{std::move(*snapshot), Clock::now(), unix_now()};
}

// Fetches every interval on its own thread; the newest result waits in take(), and each
// one is announced on an eventfd the main loop polls.
class Feed {
 public:
  Feed(std::string url_text, MetricsUrl url, std::chrono::milliseconds interval)
      : url_text_(std::move(url_text)),
        url_(std::move(url)),
        interval_(interval),
        timeout_(std::min(kMaxFetchTimeout, interval * 3 / 4)),
        ready_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
        thread_([this](std::stop_token stop) { run(std::move(stop)); }) {}

  int ready_fd() const { return ready_.get(); }

  std::optional<Result<Fetched>> take() {
    uint64_t count = 0;
    [[maybe_unused]] const auto drained = ::read(ready_.get(), &count, sizeof count);
    std::lock_guard lock(mutex_);
    return std::exchange(latest_, std::nullopt);
  }

 private:
  void run(std::stop_token stop) {
    while (!stop.stop_requested()) {
      {
        std::unique_lock lock(mutex_);
        if (wake_.wait_for(lock, stop, interval_, [] { return false; }) || stop.stop_requested()) {
          return;
        }
      }
      auto fetched = fetch(url_text_, url_, timeout_);
      {
        std::lock_guard lock(mutex_);
        latest_ = std::move(fetched);
      }
      const uint64_t one = 1;
      [[maybe_unused]] const auto written = ::write(ready_.get(), &one, sizeof one);
    }
  }

  const std::string url_text_;
  const MetricsUrl url_;
  const std::chrono::milliseconds interval_;
  const std::chrono::milliseconds timeout_;
  UniqueFd ready_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::optional<Result<Fetched>> latest_;
  std::jthread thread_;  // last: started after, and joined before, what it uses
};

// SIGINT, SIGTERM and SIGWINCH as readable events; blocked before the feed's thread
// starts, so no thread takes them the default way (which would skip the restore).
UniqueFd block_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGWINCH);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return UniqueFd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
}

struct Screen {
  std::optional<Fetched> current;
  std::optional<Fetched> previous;
  std::string url_text;
  std::string error;  // the last fetch's, while it lasts
  FileSort sort = FileSort::kLag;
  bool paused = false;

  void take(Result<Fetched> fetched) {
    if (!fetched) {
      error = fetched.error().message;
      return;
    }
    error.clear();
    if (paused) return;
    previous = std::exchange(current, std::move(*fetched));
  }

  std::vector<std::string> lines(size_t width, size_t height) const {
    std::string status = paused ? "refresh paused" : "";
    if (!error.empty()) status += (status.empty() ? "" : "; ") + ("fetch failed: " + error);
    return render_top(
        {.current = &current->snapshot,
         .previous = previous ? &previous->snapshot : nullptr,
         .seconds_between =
             previous ? std::chrono::duration<double>(current->at - previous->at).count() : 0,
         .now_unix = current->unix_at,
         .source = url_text,
         .status = std::move(status),
         .sort = sort,
         .width = width,
         .height = height});
  }
};

// Reads the keys waiting on `fd`; false when one asks to quit.
bool handle_keys(int fd, Screen& screen) {
  char keys[64];
  const ssize_t got = ::read(fd, keys, sizeof keys);
  for (ssize_t i = 0; i < got; ++i) {
    if (keys[i] == 'q' || keys[i] == 'Q') return false;
    if (keys[i] == 's' || keys[i] == 'S') screen.sort = next_sort(screen.sort);
    if (keys[i] == 'p' || keys[i] == 'P') screen.paused = !screen.paused;
  }
  return true;
}

int run_live(const TopOptions& options, const MetricsUrl& url, std::chrono::milliseconds interval,
             Fetched first) {
  const UniqueFd signals = block_signals();
  Feed feed(options.url, url, interval);
  Screen screen{.current = std::move(first), .url_text = options.url};
  TopTerminal terminal(STDIN_FILENO, STDOUT_FILENO);  // after the feed: restored before its join
  for (;;) {
    terminal.draw(screen.lines(terminal.width(), terminal.height()));
    std::array<pollfd, 3> fds{{{signals.get(), POLLIN, 0},
                               {feed.ready_fd(), POLLIN, 0},
                               {terminal.has_keys() ? STDIN_FILENO : -1, POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      while (::read(signals.get(), &info, sizeof info) == sizeof info) {
        if (info.ssi_signo != SIGWINCH) return kExitOk;
      }
    }
    if (fds[1].revents & POLLIN) {
      if (auto fetched = feed.take()) screen.take(std::move(*fetched));
    }
    if ((fds[2].revents & POLLIN) && !handle_keys(STDIN_FILENO, screen)) return kExitOk;
  }
}

}  // namespace

int run_top(const TopOptions& options) {
  auto url = parse_metrics_url(options.url);
  if (!url) {
    std::cerr << "logship top: " << url.error().message << "\n";
    return kExitUsage;
  }
  const auto interval = parse_duration(options.interval);
  if (!interval || *interval < kMinInterval) {
    std::cerr << "logship top: --interval " << options.interval
              << ": expected a duration of at least 100ms, e.g. 1s\n";
    return kExitUsage;
  }
  auto first = fetch(options.url, *url, kMaxFetchTimeout);
  if (!first) {
    std::cerr << "logship top: " << first.error().message << "\n";
    return kExitFailure;
  }
  if (!options.once && ::isatty(STDOUT_FILENO))
    return run_live(options, *url, *interval, std::move(*first));
  for (const auto& line : render_top(
           {.current = &first->snapshot, .now_unix = first->unix_at, .source = options.url})) {
    std::cout << line << "\n";
  }
  return kExitOk;
}

}  // namespace logship
