#include "agent/checkpointer.h"

#include "agent/agent_log.h"
#include "agent/thread_name.h"

namespace logship {

Checkpointer::Checkpointer(CheckpointStore store, std::chrono::milliseconds interval,
                           std::vector<const FileInput*> inputs,
                           std::vector<CheckpointEntry> carried)
    : store_(std::move(store)),
      interval_(interval),
      inputs_(std::move(inputs)),
      carried_(std::move(carried)) {}

Checkpointer::~Checkpointer() { thread_.request_stop(); }

void Checkpointer::start() {
  thread_ = std::jthread([this](std::stop_token stop) {
    name_this_thread("ls-checkpoint");
    std::unique_lock lock(wake_mutex_);
    while (!stop.stop_requested()) {
      wake_.wait_for(lock, stop, interval_, [this] { return save_requested_; });
      if (stop.stop_requested()) break;
      save_requested_ = false;
      lock.unlock();
      (void)save_if_changed();
      lock.lock();
    }
  });
}

void Checkpointer::save_soon() {
  {
    std::lock_guard lock(wake_mutex_);
    save_requested_ = true;
  }
  wake_.notify_one();
}

void Checkpointer::set_sources(std::vector<const FileInput*> inputs,
                               std::vector<CheckpointEntry> carried) {
  std::lock_guard lock(save_mutex_);
  inputs_ = std::move(inputs);
  carried_ = std::move(carried);
}

Result<void> Checkpointer::stop_and_save() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
  return save_if_changed();
}

Result<void> Checkpointer::save_if_changed() {
  std::lock_guard lock(save_mutex_);
  std::vector<CheckpointEntry> entries = carried_;
  for (const FileInput* input : inputs_) {
    auto own = input->checkpoint_entries();
    entries.insert(entries.end(), own.begin(), own.end());
  }
  // Timestamps change every snapshot; compare positions only.
  std::string positions;
  for (const auto& e : entries) {
    positions += e.scope + '\t' + std::to_string(e.identity.inode) + '\t' +
                 std::to_string(e.offset) + '\t' + e.path + '\n';
  }
  if (positions == last_written_) return {};
  auto saved = store_.save(entries);
  if (!saved) {
    // Said at every failed save; the agent log folds repeats into one line per interval
    // with their count. The file written last stays whole (atomic replace).
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    agent_log().log(LogLevel::kError,
                    "cannot write checkpoints; the last good ones stay and saving is retried",
                    {{"path", store_.path()}, {"error", saved.error().message}});
    failing_ = true;
    return saved;
  }
  if (std::exchange(failing_, false)) {
    agent_log().log(LogLevel::kInfo, "checkpoints written again", {{"path", store_.path()}});
  }
  last_written_ = std::move(positions);
  return {};
}

std::vector<CheckpointEntry> load_checkpoints_or_warn(const CheckpointStore& store) {
  auto entries = store.load();
  if (entries) return std::move(*entries);
  agent_log().log(LogLevel::kWarn,
                  "ignoring unreadable checkpoints; files start from their input's start_at",
                  {{"path", store.path()}, {"error", entries.error().message}});
  return {};
}

std::vector<CheckpointEntry> take_scope(std::vector<CheckpointEntry>& entries,
                                        const std::string& scope) {
  std::vector<CheckpointEntry> taken;
  std::erase_if(entries, [&](CheckpointEntry& entry) {
    if (entry.scope != scope) return false;
    taken.push_back(std::move(entry));
    return true;
  });
  return taken;
}

}  // namespace logship
