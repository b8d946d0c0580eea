#include "inputs/file/file_identity.h"

#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <array>

namespace logship {

std::optional<Fingerprint> fingerprint(int fd, uint64_t offset, uint32_t length) {
  std::array<char, kHeadBytes> bytes{};
  if (length > bytes.size()) return std::nullopt;
  if (length == 0) return Fingerprint{};
  const ssize_t n = ::pread(fd, bytes.data(), length, static_cast<off_t>(offset));
  if (n != static_cast<ssize_t>(length)) return std::nullopt;
  return Fingerprint{length, XXH64(bytes.data(), length, 0)};
}

Fingerprint fingerprint(std::string_view bytes) {
  return Fingerprint{static_cast<uint32_t>(bytes.size()), XXH64(bytes.data(), bytes.size(), 0)};
}

Result<FileIdentity> identify(int fd) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return make_error(ErrorCode::kIo, errno_message("fstat", "file"));
  FileIdentity identity{static_cast<uint64_t>(info.st_dev), static_cast<uint64_t>(info.st_ino)};
  const auto size = static_cast<uint64_t>(info.st_size);
  const auto head_length = static_cast<uint32_t>(size < kHeadBytes ? size : kHeadBytes);
  identity.head = fingerprint(fd, 0, head_length).value_or(Fingerprint{});
  return identity;
}

bool matches_checkpoint(int fd, const FileIdentity& current, const FileIdentity& saved,
                        uint64_t saved_offset, const Fingerprint& saved_tail) {
  if (!current.same_inode(saved)) return false;
  const auto head = fingerprint(fd, 0, saved.head.length);
  if (!head || *head != saved.head) return false;
  if (saved_tail.length > saved_offset) return false;
  const auto tail = fingerprint(fd, saved_offset - saved_tail.length, saved_tail.length);
  return tail && *tail == saved_tail;
}

}  // namespace logship
