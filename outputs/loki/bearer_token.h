#pragma once
// BearerToken: the `Authorization: Bearer ...` value taken from a token file and read
// again whenever the file changes (device, inode, size or mtime), so a rotated token is
// used without a restart: Kubernetes replaces projected service-account tokens by swapping
// a symlink, which stat() follows. A file that cannot be read later keeps the last token
// (the push then fails as Loki decides, and is retried).
// Thread: one owner (a lane's transport).

#include <sys/stat.h>

#include <string>

#include "agent/result.h"

namespace logship {

class BearerToken {
 public:
  explicit BearerToken(std::string path) : path_(std::move(path)) {}

  // Reads the file when it changed since the last read. An error when it is missing,
  // unreadable or empty; the last good token stays in use.
  Result<void> refresh();
  // "Bearer <token>"; empty until a read succeeded.
  const std::string& header_value() const { return header_value_; }

 private:
  std::string path_;
  std::string header_value_;
  struct stat read_at_ {};
  bool read_ = false;
};

}  // namespace logship
