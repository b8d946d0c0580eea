#pragma once
// FileIdentity: which file this is, independent of its path. (device, inode) alone is not
// enough: after delete+create the kernel may hand the same inode to a new file. So an
// identity also carries a hash of the file's first bytes (up to kHeadBytes); two files
// with the same (dev, inode) are the same file only if the new one starts with the bytes
// the old one started with. Files with identical headers but different inodes differ.
// Pure apart from reading through the given fd. Thread: any.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "agent/result.h"

namespace logship {

struct Fingerprint {
  uint32_t length = 0;  // bytes hashed; 0 means nothing to compare yet
  uint64_t hash = 0;

  bool operator==(const Fingerprint&) const = default;
};

struct FileIdentity {
  uint64_t device = 0;
  uint64_t inode = 0;
  Fingerprint head;  // first bytes of the file

  bool same_inode(const FileIdentity& other) const {
    return device == other.device && inode == other.inode;
  }
};

inline constexpr uint32_t kHeadBytes = 1024;
// Bytes hashed just before a checkpointed offset, to notice a file rewritten while the
// agent was down even when its head is unchanged.
inline constexpr uint32_t kTailBytes = 256;

// Hash of `length` bytes at `offset`; nullopt if the file is shorter than that.
std::optional<Fingerprint> fingerprint(int fd, uint64_t offset, uint32_t length);
// The same hash of bytes already in memory (at most kHeadBytes).
Fingerprint fingerprint(std::string_view bytes);

// (dev, inode) from fstat and the head hash of what the file holds now (up to kHeadBytes).
Result<FileIdentity> identify(int fd);

// Whether `fd` (now `current`) is still the file a checkpoint described.
bool matches_checkpoint(int fd, const FileIdentity& current, const FileIdentity& saved,
                        uint64_t saved_offset, const Fingerprint& saved_tail);

}  // namespace logship
