#include "outputs/loki/bearer_token.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace logship {
namespace {

bool same_file_version(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

}  // namespace

Result<void> BearerToken::refresh() {
  struct stat now {};
  if (::stat(path_.c_str(), &now) != 0) {
    return make_error(ErrorCode::kInvalidConfig,
                      "read bearer_token_file " + path_ + ": " + std::strerror(errno));
  }
  if (read_ && same_file_version(now, read_at_)) return {};
  std::ifstream file(path_);
  std::stringstream content;
  content << file.rdbuf();
  std::string token = content.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.pop_back();
  }
  if (!file || token.empty()) {
    return make_error(ErrorCode::kInvalidConfig,
                      "read bearer_token_file " + path_ + ": unreadable or empty");
  }
  header_value_ = "Bearer " + token;
  read_at_ = now;
  read_ = true;
  return {};
}

}  // namespace logship
