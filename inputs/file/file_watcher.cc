#include "inputs/file/file_watcher.h"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace logship {
namespace {

constexpr uint32_t kDirectoryEvents =
    IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_MODIFY;
constexpr uint32_t kComingOrGoing = IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                    IN_DELETE_SELF | IN_MOVE_SELF | IN_Q_OVERFLOW;

std::string directory_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

}  // namespace

std::unique_ptr<FileWatcher> FileWatcher::open() {
  UniqueFd fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!fd) return nullptr;
  return std::unique_ptr<FileWatcher>(new FileWatcher(std::move(fd)));
}

void FileWatcher::watch_directories(const std::vector<std::string>& directories) {
  unwatched_ = 0;
  for (const auto& directory : directories) {
    if (directories_.contains(directory)) continue;
    const int wd = ::inotify_add_watch(fd_.get(), directory.c_str(), kDirectoryEvents);
    if (wd < 0) {
      if (errno == ENOENT) continue;  // gone since it was found
      unwatched_reason_ = std::strerror(errno);
      ++unwatched_;
      continue;
    }
    directories_.insert(directory);
    paths_[wd] = directory;
  }
}

void FileWatcher::watch_file(const std::string& path) {
  struct stat link {};
  const bool symlink = ::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode);
  if (!symlink && directories_.contains(directory_of(path))) return;
  const int wd = ::inotify_add_watch(fd_.get(), path.c_str(), IN_MODIFY);
  if (wd >= 0) paths_[wd] = path;
}

FileWatcher::Changes FileWatcher::drain() {
  alignas(inotify_event) std::array<char, 16 * 1024> events{};
  Changes changes;
  ssize_t n = 0;
  while ((n = ::read(fd_.get(), events.data(), events.size())) > 0) {
    for (ssize_t pos = 0; pos < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(events.data() + pos);
      pos += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if (event->mask & kComingOrGoing) changes.directories = true;
      if (event->mask & IN_Q_OVERFLOW) ++overflows_;
      if (event->mask & IN_IGNORED) {  // the directory is gone: watch it again if it returns
        if (const auto gone = paths_.find(event->wd); gone != paths_.end()) {
          directories_.erase(gone->second);
          paths_.erase(gone);
        }
        continue;
      }
      if (!(event->mask & IN_MODIFY)) continue;
      const auto watched = paths_.find(event->wd);
      if (watched == paths_.end()) continue;
      // A directory's event names the file (NUL-padded); a file's own event names nothing.
      const std::string name = event->len > 0 ? std::string(event->name) : std::string();
      if (name.empty()) {
        changes.written.insert(watched->second);
      } else {
        const std::string& directory = watched->second;
        changes.written.insert(directory == "/" ? "/" + name : directory + "/" + name);
      }
    }
  }
  return changes;
}

}  // namespace logship
