#pragma once
// Discovery: which files the input's globs name right now, and which directories to watch
// for new ones. Globs are matched one path component at a time with fnmatch(3); a `**`
// component matches zero or more directories. Symlinks are followed (Kubernetes'
// /var/log/containers/*.log point into /var/log/pods), directory loops are cut by
// (dev, inode). Thread: the file input's thread.

#include <string>
#include <string_view>
#include <vector>

namespace logship {

// A path or glob that names nothing readable now, and why, in the system's words
// ("permission denied", "is a directory") or "no match".
inline constexpr std::string_view kNoMatch = "no match";

struct PathProblem {
  std::string path;  // the glob, or the file or directory that could not be read
  std::string reason;

  bool operator==(const PathProblem&) const = default;
  auto operator<=>(const PathProblem&) const = default;
};

struct Discovered {
  std::vector<std::string> files;        // sorted, matching a glob and no exclude
  std::vector<std::string> directories;  // where a new matching file could appear
  std::vector<PathProblem> problems;     // directories it could not list, globs unmatched
};

Discovered discover(const std::vector<std::string>& globs, const std::vector<std::string>& exclude);

// Whether `path` matches `pattern` (both absolute or both relative), `**` included.
bool glob_match(std::string_view pattern, std::string_view path);

// strerror(code) as a reason in a log line: "permission denied".
std::string reason_of(int error_code);

// Whether an exclude pattern matches the full path or the file name.
bool is_excluded(const std::string& path, const std::vector<std::string>& exclude);

}  // namespace logship
