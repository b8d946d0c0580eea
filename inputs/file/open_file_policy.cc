#include "inputs/file/open_file_policy.h"

#include <algorithm>

namespace logship {

bool WaitingQueue::push(WaitingFile file) {
  if (index_.contains(file.key)) return false;
  const InodeKey key = file.key;
  if (!file.reopening) ++first_waits_;
  order_.push_back(std::move(file));
  index_.emplace(key, std::prev(order_.end()));
  return true;
}

std::optional<WaitingFile> WaitingQueue::pop() {
  if (order_.empty()) return std::nullopt;
  WaitingFile file = std::move(order_.front());
  order_.pop_front();
  index_.erase(file.key);
  if (!file.reopening) --first_waits_;
  return file;
}

std::vector<size_t> files_to_close(std::span<const OpenFileState> files, size_t waiting,
                                   int64_t now_ns) {
  const int64_t idle_ns = std::chrono::nanoseconds(kIdleBeforeClose).count();
  std::vector<size_t> idle;
  if (waiting == 0) return idle;
  for (size_t i = 0; i < files.size(); ++i) {
    const OpenFileState& file = files[i];
    if (file.at_end && !file.draining && !file.has_partial && file.unacknowledged == 0 &&
        now_ns - file.changed_ns >= idle_ns) {
      idle.push_back(i);
    }
  }
  std::ranges::stable_sort(
      idle, [&](size_t a, size_t b) { return files[a].changed_ns < files[b].changed_ns; });
  if (idle.size() > waiting) idle.resize(waiting);
  return idle;
}

int64_t last_change_ns(ChangeWatch& watch, const ClosedFile& now, int64_t now_ns) {
  if (!watch.seen || changed_since_closed(*watch.seen, now)) {
    watch.seen = now;
    watch.seen_since_ns = now_ns;
  }
  return std::min(now.changed_ns, watch.seen_since_ns);
}

std::optional<size_t> WaitingNotice::update(size_t waiting) {
  const bool started = waiting > 0 && !waiting_;
  waiting_ = waiting > 0;
  return started ? std::optional<size_t>(waiting) : std::nullopt;
}

}  // namespace logship
