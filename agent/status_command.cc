// `logship status -c FILE`: where a stopped agent would resume, from the checkpoint file
// alone (no agent, no lock): every checkpointed file with its size now, the offset its
// output acknowledged and the lag between them, grouped by input with the input's sums.
// A file that is gone, or replaced by another at its path, has no size and no lag ("-"):
// what the agent would do with it depends on discovery, which status does not run.
#include <sys/stat.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/commands.h"
#include "agent/config.h"
#include "inputs/file/checkpoint_store.h"

namespace logship {
namespace {

struct FileStatus {
  const CheckpointEntry* entry = nullptr;
  std::string output;
  std::optional<uint64_t> size;  // none: gone, or another file at the path now

  // Bytes after the acknowledged offset; a file now shorter was truncated: all of it.
  std::optional<uint64_t> lag() const {
    if (!size) return std::nullopt;
    return *size >= entry->offset ? *size - entry->offset : *size;
  }
};

FileStatus status_of(const CheckpointEntry& entry) {
  FileStatus status{.entry = &entry};
  const size_t slash = entry.scope.find('/');
  status.output = slash == std::string::npos ? "" : entry.scope.substr(slash + 1);
  struct stat info {};
  if (::stat(entry.path.c_str(), &info) == 0 &&
      static_cast<uint64_t>(info.st_dev) == entry.identity.device &&
      static_cast<uint64_t>(info.st_ino) == entry.identity.inode) {
    status.size = static_cast<uint64_t>(info.st_size);
  }
  return status;
}

std::string or_dash(std::optional<uint64_t> value) { return value ? std::to_string(*value) : "-"; }

void print_input(const std::string& input, const std::vector<FileStatus>& files) {
  uint64_t size = 0;
  uint64_t offset = 0;
  uint64_t lag = 0;
  size_t gone = 0;
  for (const auto& file : files) {
    std::printf("%-16s %-16s %14s %14llu %14s  %s\n", input.c_str(), file.output.c_str(),
                or_dash(file.size).c_str(), static_cast<unsigned long long>(file.entry->offset),
                or_dash(file.lag()).c_str(), file.entry->path.c_str());
    offset += file.entry->offset;
    if (!file.size) {
      ++gone;
      continue;
    }
    size += *file.size;
    lag += *file.lag();
  }
  const std::string note = gone ? ", " + std::to_string(gone) + " gone or replaced" : "";
  std::printf("%-16s %-16s %14llu %14llu %14llu  %zu files%s\n", input.c_str(), "(total)",
              static_cast<unsigned long long>(size), static_cast<unsigned long long>(offset),
              static_cast<unsigned long long>(lag), files.size(), note.c_str());
}

}  // namespace

int run_status(const std::string& config_path) {
  auto config = load_config(config_path);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return kExitUsage;
  }
  const CheckpointStore store(config->agent.data_dir);
  auto entries = store.load();
  if (!entries) {
    std::cerr << "logship status: " << entries.error().message << "\n";
    return kExitFailure;
  }
  if (entries->empty()) {
    std::printf("no checkpoints in %s\n", store.path().c_str());
    return kExitOk;
  }
  std::map<std::string, std::vector<FileStatus>> by_input;
  for (const auto& entry : *entries) {
    by_input[entry.scope.substr(0, entry.scope.find('/'))].push_back(status_of(entry));
  }
  std::printf("%-16s %-16s %14s %14s %14s  %s\n", "INPUT", "OUTPUT", "SIZE", "OFFSET", "LAG",
              "PATH");
  for (const auto& [input, files] : by_input) print_input(input, files);
  return kExitOk;
}

}  // namespace logship
