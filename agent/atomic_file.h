#pragma once
// write_file_atomically: replaces a file so that a crash at any moment leaves either the
// old content or the new one, never a mix: write a temporary file beside it, fsync it,
// rename it over the target, fsync the directory. Thread: any; one writer per path.

#include <string>
#include <string_view>

#include "agent/result.h"

namespace logship {

Result<void> write_file_atomically(const std::string& path, std::string_view content);

// Creates `path` and its parents if missing (mode 0750).
Result<void> make_directories(const std::string& path);

}  // namespace logship
