#pragma once
// Memory limit: the agent's byte budget when `[agent] memory_limit` is unset is half the
// memory limit of the cgroup the agent runs in (the rest is for its code, stacks and the
// kernel's view of page cache), else 64 MiB. memory_limit_from() is the pure part, over
// file contents; effective_memory_limit() is the thin shell that reads /proc/self/cgroup
// and /sys/fs/cgroup. Called at startup and by `logship check`, on the calling thread.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "agent/config.h"

namespace logship {

// Reads one file whole; nullopt when it is absent or unreadable.
using ReadFile = std::function<std::optional<std::string>(const std::string& path)>;

// The limit for an agent whose /proc/self/cgroup reads `proc_self_cgroup`; cgroupfs files
// are read only through `read_file`. The configured limit wins. Else the smallest limit set
// on the agent's own cgroup or one of its ancestors, halved: for a v2 line `0::/path`,
// /sys/fs/cgroup/path/memory.max; for a v1 line `N:...,memory,...:/path`,
// /sys/fs/cgroup/memory/path/memory.limit_in_bytes. The cgroupfs root files are always
// among the candidates: in a container the agent's own cgroup is usually mounted there
// while /proc/self/cgroup names it by its host path. "max", 0 and v1's near-2^63
// "unlimited" mean no limit. With no limit anywhere: 64 MiB.
MemoryLimit memory_limit_from(const AgentConfig& agent, std::string_view proc_self_cgroup,
                              const ReadFile& read_file);

// memory_limit_from() over the real files.
MemoryLimit effective_memory_limit(const AgentConfig& agent);

}  // namespace logship
