#include "agent/memory_limit.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

namespace logship {
namespace {

constexpr uint64_t kDefaultLimit = 64ull << 20;
// cgroup v1 reports "no limit" as a huge page-aligned number (9223372036854771712).
constexpr uint64_t kUnlimitedV1 = 1ull << 60;
constexpr std::string_view kCgroupRoot = "/sys/fs/cgroup";

struct LimitFile {
  std::string path;
  std::string_view name;  // memory.max or memory.limit_in_bytes, for the origin
};

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\n") - first + 1);
}

// A limit file's contents; nullopt for "max", "unlimited" and anything unreadable.
std::optional<uint64_t> parse_limit(std::string_view text) {
  text = trim(text);
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value == 0 || value >= kUnlimitedV1) return std::nullopt;
  return value;
}

// `directory`/`name` for the cgroup at `path` and each of its ancestors up to the
// hierarchy's root, innermost first.
void add_with_ancestors(std::vector<LimitFile>& files, const std::string& directory,
                        std::string_view path, std::string_view name) {
  path = trim(path);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  for (;;) {
    std::string file = directory + std::string(path) + "/" + std::string(name);
    if (std::ranges::find(files, file, &LimitFile::path) == files.end()) {
      files.push_back({std::move(file), name});
    }
    if (path.empty()) return;
    path = path.substr(0, path.rfind('/'));
  }
}

bool lists_memory(std::string_view controllers) {
  while (!controllers.empty()) {
    const size_t comma = controllers.find(',');
    if (controllers.substr(0, comma) == "memory") return true;
    if (comma == std::string_view::npos) return false;
    controllers.remove_prefix(comma + 1);
  }
  return false;
}

// Every file that may hold a limit on the agent, from the lines of /proc/self/cgroup
// ("hierarchy-id:controllers:path"), then the cgroupfs root files.
std::vector<LimitFile> limit_files(std::string_view proc_self_cgroup) {
  const std::string v2_root(kCgroupRoot);
  const std::string v1_root = v2_root + "/memory";
  std::vector<LimitFile> files;
  std::istringstream lines{std::string(proc_self_cgroup)};
  for (std::string line; std::getline(lines, line);) {
    const size_t first = line.find(':');
    const size_t second = line.find(':', first == std::string::npos ? first : first + 1);
    if (second == std::string::npos) continue;
    const std::string_view id = std::string_view(line).substr(0, first);
    const std::string_view controllers =
        std::string_view(line).substr(first + 1, second - first - 1);
    const std::string_view path = std::string_view(line).substr(second + 1);
    if (id == "0" && controllers.empty()) {
      add_with_ancestors(files, v2_root, path, "memory.max");
    } else if (lists_memory(controllers)) {
      add_with_ancestors(files, v1_root, path, "memory.limit_in_bytes");
    }
  }
  add_with_ancestors(files, v2_root, "", "memory.max");
  add_with_ancestors(files, v1_root, "", "memory.limit_in_bytes");
  return files;
}

std::optional<std::string> read_whole_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  std::ostringstream text;
  text << file.rdbuf();
  return std::move(text).str();
}

}  // namespace

MemoryLimit memory_limit_from(const AgentConfig& agent, std::string_view proc_self_cgroup,
                              const ReadFile& read_file) {
  if (agent.memory_limit) return {*agent.memory_limit, "config"};
  std::optional<uint64_t> smallest;
  std::string origin;
  for (const LimitFile& file : limit_files(proc_self_cgroup)) {
    const auto text = read_file(file.path);
    const auto limit = text ? parse_limit(*text) : std::nullopt;
    if (!limit || (smallest && *smallest <= *limit)) continue;
    smallest = limit;
    origin = "half of cgroup " + std::string(file.name) + " (" + file.path + ")";
  }
  if (smallest) return {*smallest / 2, origin};
  return {kDefaultLimit, "default (no cgroup memory limit)"};
}

MemoryLimit effective_memory_limit(const AgentConfig& agent) {
  return memory_limit_from(agent, read_whole_file("/proc/self/cgroup").value_or(""),
                           read_whole_file);
}

}  // namespace logship
