// effective_memory_limit: the configured limit, else half the cgroup's memory limit (the
// rest is for the process's own code, stacks and the kernel's view of page cache), else a
// fixed default.
#include <fstream>
#include <string>

#include "agent/config.h"

namespace logship {
namespace {

constexpr uint64_t kDefaultLimit = 64ull << 20;
// cgroup v1 reports "no limit" as a huge page-aligned number.
constexpr uint64_t kUnlimitedV1 = 1ull << 60;

std::optional<uint64_t> read_limit(const char* path) {
  std::ifstream file(path);
  std::string text;
  if (!(file >> text) || text == "max") return std::nullopt;
  try {
    const uint64_t value = std::stoull(text);
    if (value == 0 || value >= kUnlimitedV1) return std::nullopt;
    return value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

MemoryLimit effective_memory_limit(const AgentConfig& agent) {
  if (agent.memory_limit) return {*agent.memory_limit, "config"};
  if (auto limit = read_limit("/sys/fs/cgroup/memory.max")) {
    return {*limit / 2, "half of cgroup memory.max"};
  }
  if (auto limit = read_limit("/sys/fs/cgroup/memory/memory.limit_in_bytes")) {
    return {*limit / 2, "half of cgroup memory.limit_in_bytes"};
  }
  return {kDefaultLimit, "default (no cgroup memory limit)"};
}

}  // namespace logship
