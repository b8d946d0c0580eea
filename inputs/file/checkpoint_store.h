#pragma once
// Checkpoints: where each file's acknowledged prefix ends, persisted in one file
// (`<data_dir>/checkpoints`), replaced atomically. Format v1 is text, one entry per line,
// tab-separated, ending with a line that counts the entries and hashes every byte before
// it, so a torn or corrupt file is detected and reported instead of half-trusted
// (see inputs/file/README.md). Thread: load at start; save from the checkpoint thread.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/result.h"
#include "inputs/file/file_identity.h"

namespace logship {

struct CheckpointEntry {
  std::string scope;  // the pipeline reading the file: "<input>/<output>"
  FileIdentity identity;
  uint64_t offset = 0;  // end of the contiguous acknowledged prefix
  Fingerprint tail;     // the kTailBytes (or fewer) bytes before `offset`
  int64_t updated_unix_s = 0;
  std::string path;  // last path the file was seen at
};

std::string serialize_checkpoints(std::span<const CheckpointEntry> entries);
Result<std::vector<CheckpointEntry>> parse_checkpoints(std::string_view text);

class CheckpointStore {
 public:
  explicit CheckpointStore(const std::string& data_dir) : path_(data_dir + "/checkpoints") {}

  // A missing file is an empty store; a corrupt one is an error naming the file and why.
  Result<std::vector<CheckpointEntry>> load() const;
  Result<void> save(std::span<const CheckpointEntry> entries) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace logship
