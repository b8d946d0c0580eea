// `logship offsets list|reset -c FILE`: the checkpoints under the config's data_dir.
#include <sys/stat.h>

#include <cstdio>
#include <iostream>
#include <optional>

#include "agent/commands.h"
#include "agent/config.h"
#include "agent/data_dir_lock.h"
#include "inputs/file/checkpoint_store.h"

namespace logship {

int run_offsets(const std::string& action, const std::string& config_path) {
  auto config = load_config(config_path);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return kExitUsage;
  }
  // A running agent would rewrite the file from its own positions: reset refuses while
  // one holds the directory, and keeps others out until the file is written. list only
  // reads, beside a running agent too.
  std::optional<DataDirLock> lock;
  if (action == "reset") {
    auto locked = DataDirLock::acquire(config->agent.data_dir);
    if (!locked) {
      std::cerr << "logship offsets: " << locked.error().message << "\n";
      return kExitUsage;
    }
    lock = std::move(*locked);
  }
  const CheckpointStore store(config->agent.data_dir);
  auto entries = store.load();
  if (!entries) {
    std::cerr << "logship offsets: " << entries.error().message << "\n";
    if (action == "list") return kExitFailure;
    entries = std::vector<CheckpointEntry>{};  // reset replaces an unreadable file too
  }
  if (action == "reset") {
    if (auto saved = store.save({}); !saved) {
      std::cerr << "logship offsets: " << saved.error().message << "\n";
      return kExitFailure;
    }
    std::printf("removed %zu checkpoints from %s\n", entries->size(), store.path().c_str());
    return kExitOk;
  }
  std::printf("%-24s %14s %14s %12s  %s\n", "SCOPE", "OFFSET", "SIZE", "INODE", "PATH");
  for (const auto& entry : *entries) {
    struct stat info {};
    const bool same_file = ::stat(entry.path.c_str(), &info) == 0 &&
                           static_cast<uint64_t>(info.st_ino) == entry.identity.inode;
    const std::string size = same_file ? std::to_string(info.st_size) : "-";
    std::printf("%-24s %14llu %14s %12llu  %s\n", entry.scope.c_str(),
                static_cast<unsigned long long>(entry.offset), size.c_str(),
                static_cast<unsigned long long>(entry.identity.inode), entry.path.c_str());
  }
  return kExitOk;
}

}  // namespace logship
