#include "inputs/file/discovery.h"

#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <algorithm>
#include <memory>
#include <set>
#include <utility>

namespace logship {
namespace {

constexpr size_t kMaxDepth = 32;

std::vector<std::string> components(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    if (end > start) parts.emplace_back(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

bool has_wildcard(std::string_view component) {
  return component.find_first_of("*?[") != std::string_view::npos;
}

bool component_match(const std::string& pattern, const std::string& name) {
  return ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

bool match_from(const std::vector<std::string>& pattern, size_t i,
                const std::vector<std::string>& path, size_t j) {
  if (i == pattern.size()) return j == path.size();
  if (pattern[i] == "**") {
    return match_from(pattern, i + 1, path, j) ||
           (j < path.size() && match_from(pattern, i, path, j + 1));
  }
  return j < path.size() && component_match(pattern[i], path[j]) &&
         match_from(pattern, i + 1, path, j + 1);
}

// Whether a directory with these components can contain a match deeper down.
bool could_contain_match(const std::vector<std::string>& pattern, size_t i,
                         const std::vector<std::string>& path, size_t j) {
  if (i == pattern.size()) return false;
  if (j == path.size() || pattern[i] == "**") return true;
  return component_match(pattern[i], path[j]) && could_contain_match(pattern, i + 1, path, j + 1);
}

struct Walk {
  const std::string& glob;  // as the user wrote it: the name a problem at the root gets
  const std::string& root;
  const std::vector<std::string>& pattern;
  const std::vector<std::string>& exclude;
  Discovered& out;
  std::set<std::pair<dev_t, ino_t>> visited;

  // A missing path is only "no match" (it may appear later); anything else is news.
  void problem(const std::string& path, int error_code) {
    if (error_code != ENOENT && error_code != ENOTDIR) {
      out.problems.push_back({path == root ? glob : path, reason_of(error_code)});
    }
  }

  void directory(const std::string& path, std::vector<std::string>& parts) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return problem(path, errno);
    if (!visited.emplace(info.st_dev, info.st_ino).second) return;
    out.directories.push_back(path);
    if (parts.size() > kMaxDepth) return;
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path.c_str()), ::closedir);
    if (!dir) return problem(path, errno);
    while (const dirent* entry = ::readdir(dir.get())) {
      const std::string name = entry->d_name;
      if (name == "." || name == "..") continue;
      const std::string child = path == "/" ? "/" + name : path + "/" + name;
      parts.push_back(name);
      entry_at(child, parts);
      parts.pop_back();
    }
  }

  void entry_at(const std::string& child, std::vector<std::string>& parts) {
    struct stat info {};
    if (::stat(child.c_str(), &info) != 0) {
      if (match_from(pattern, 0, parts, 0)) problem(child, errno);
      return;
    }
    const bool matches = match_from(pattern, 0, parts, 0);
    if (S_ISDIR(info.st_mode) && could_contain_match(pattern, 0, parts, 0)) {
      directory(child, parts);
    } else if (S_ISREG(info.st_mode) && matches && !is_excluded(child, exclude)) {
      out.files.push_back(child);
    } else if (S_ISDIR(info.st_mode) && matches && !has_wildcard(pattern.back())) {
      out.problems.push_back({child, reason_of(EISDIR)});  // named, not matched by a wildcard
    }
  }
};

}  // namespace

bool glob_match(std::string_view pattern, std::string_view path) {
  return match_from(components(pattern), 0, components(path), 0);
}

std::string reason_of(int error_code) {
  std::string reason = std::strerror(error_code);
  if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(reason[0]));
  return reason;
}

bool is_excluded(const std::string& path, const std::vector<std::string>& exclude) {
  const std::string base = path.substr(path.rfind('/') + 1);
  return std::ranges::any_of(exclude, [&](const std::string& pattern) {
    return glob_match(pattern, path) || ::fnmatch(pattern.c_str(), base.c_str(), 0) == 0;
  });
}

std::string absolute_path(const std::string& path) {
  if (path.starts_with('/')) return path;
  std::unique_ptr<char, void (*)(void*)> cwd(::getcwd(nullptr, 0), ::free);
  return cwd ? std::string(cwd.get()) + "/" + path : path;
}

Discovered discover(const std::vector<std::string>& globs,
                    const std::vector<std::string>& exclude) {
  Discovered out;
  for (const auto& glob : globs) {
    const auto pattern = components(absolute_path(glob));
    // Start the walk at the longest literal prefix of the pattern.
    std::vector<std::string> root_parts;
    std::string root;
    for (size_t i = 0; i + 1 < pattern.size() && !has_wildcard(pattern[i]); ++i) {
      root_parts.push_back(pattern[i]);
      root += "/" + pattern[i];
    }
    const size_t files_before = out.files.size();
    const size_t problems_before = out.problems.size();
    if (root.empty()) root = "/";
    Walk walk{glob, root, pattern, exclude, out, {}};
    walk.directory(root, root_parts);
    if (out.files.size() == files_before && out.problems.size() == problems_before) {
      out.problems.push_back({glob, std::string(kNoMatch)});
    }
  }
  std::ranges::sort(out.files);
  out.files.erase(std::unique(out.files.begin(), out.files.end()), out.files.end());
  return out;
}

}  // namespace logship
