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

struct Discovered {
  std::vector<std::string> files;        // sorted, matching a glob and no exclude
  std::vector<std::string> directories;  // where a new matching file could appear
};

Discovered discover(const std::vector<std::string>& globs, const std::vector<std::string>& exclude);

// Whether `path` matches `pattern` (both absolute or both relative), `**` included.
bool glob_match(std::string_view pattern, std::string_view path);

// Whether an exclude pattern matches the full path or the file name.
bool is_excluded(const std::string& path, const std::vector<std::string>& exclude);

}  // namespace logship
