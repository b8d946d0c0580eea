#include "agent/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "agent/atomic_file.h"

namespace logship {
namespace {

std::unexpected<Error> config_error(std::string message) {
  return make_error(ErrorCode::kInvalidConfig, std::move(message));
}

std::unexpected<Error> refuse(const std::string& dir, std::string_view what, int error) {
  return config_error(dir + ": " + std::string(what) + ": " + std::strerror(error));
}

// As the effective user: what the agent needs to create files in `path`.
bool writable(const std::string& path) {
  return ::faccessat(AT_FDCWD, path.c_str(), W_OK | X_OK, AT_EACCESS) == 0;
}

std::string parent_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The pid the holder wrote, or "unknown" while it has not written it yet.
std::string holder_pid(int fd) {
  char text[32] = {};
  const ssize_t got = ::pread(fd, text, sizeof text - 1, 0);
  std::string pid;
  for (ssize_t i = 0; i < got && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    pid += text[i];
  }
  return pid.empty() ? "unknown" : pid;
}

}  // namespace

Result<void> check_data_dir(const std::string& dir) {
  if (dir.empty()) return config_error("data_dir is empty");
  struct stat info {};
  if (::stat(dir.c_str(), &info) == 0) {
    if (!S_ISDIR(info.st_mode)) return refuse(dir, "cannot create", EEXIST);
    if (!writable(dir)) return refuse(dir, "not writable", errno);
    return {};
  }
  // ENOTDIR (a file on the way), EACCES (a directory on the way we may not search), ...
  if (errno != ENOENT) return refuse(dir, "cannot create", errno);
  // The nearest existing ancestor is a directory (else stat said ENOTDIR): it must let us
  // create the rest.
  std::string ancestor = parent_of(dir);
  while (::stat(ancestor.c_str(), &info) != 0) {
    if (errno != ENOENT) return refuse(dir, "cannot create", errno);
    ancestor = parent_of(ancestor);
  }
  if (!writable(ancestor)) return refuse(dir, "cannot create", errno);
  return {};
}

Result<DataDirLock> DataDirLock::acquire(const std::string& dir) {
  if (auto checked = check_data_dir(dir); !checked) {
    return config_error("data_dir " + checked.error().message);
  }
  if (auto made = make_directories(dir); !made) {
    return config_error("data_dir " + dir + ": cannot create: " + made.error().message);
  }
  const std::string path = dir + "/lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd)
    return config_error("data_dir " + dir + ": not writable: " + errno_message("open", path));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return config_error("data_dir " + errno_message("flock", path));
    return config_error("data_dir " + dir + " is in use by another logship process (pid " +
                        holder_pid(fd.get()) + "); one agent per data_dir");
  }
  // Only the holder rewrites the file: truncating before the lock would erase its pid.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 ||
      ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return config_error("data_dir " + dir + ": not writable: " + errno_message("write", path));
  }
  return DataDirLock(dir, std::move(fd));
}

}  // namespace logship
