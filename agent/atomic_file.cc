#include "agent/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "agent/unique_fd.h"

namespace logship {
namespace {

std::string parent_directory(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Result<void> write_temporary(const std::string& temporary, std::string_view content) {
  UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (!fd) return make_error(ErrorCode::kIo, errno_message("open", temporary));
  while (!content.empty()) {
    const ssize_t n = ::write(fd.get(), content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(ErrorCode::kIo, errno_message("write", temporary));
    content.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd.get()) != 0) return make_error(ErrorCode::kIo, errno_message("fsync", temporary));
  return {};
}

}  // namespace

Result<void> write_file_atomically(const std::string& path, std::string_view content) {
  const std::string temporary = path + ".tmp";
  if (auto written = write_temporary(temporary, content); !written) {
    ::unlink(temporary.c_str());  // a half-written file must not hold the space it took
    return written;
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    return make_error(ErrorCode::kIo, errno_message("rename", temporary));
  }
  const std::string directory = parent_directory(path);
  UniqueFd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir || ::fsync(dir.get()) != 0) {
    return make_error(ErrorCode::kIo, errno_message("fsync", directory));
  }
  return {};
}

Result<void> make_directories(const std::string& path) {
  std::string prefix;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    prefix = path.substr(0, pos);
    if (prefix.empty()) continue;
    if (::mkdir(prefix.c_str(), 0750) != 0 && errno != EEXIST) {
      return make_error(ErrorCode::kIo, errno_message("mkdir", prefix));
    }
  }
  return {};
}

}  // namespace logship
