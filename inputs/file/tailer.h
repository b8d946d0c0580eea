#pragma once
// Tailer: follows one open file by identity (dev, inode, head fingerprint), turning what
// it reads into batches of line records. Each batch is registered with the file's
// OffsetTracker, so the file's committed offset advances only as outputs settle its
// batches. Holds an incomplete last line until more bytes complete it or flush_partial()
// is called (end of a one-shot run, idle timeout, rotation). Detects truncation (size <
// offset, the head bytes changed, or the bytes just before the read offset did) and
// restarts the file from 0.
// Thread: owned and called by the file input's thread only, except checkpoint_view(),
// whose shared parts are safe to use from the checkpoint thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "agent/batch.h"
#include "agent/ledger.h"
#include "agent/offset_tracker.h"
#include "agent/result.h"
#include "agent/unique_fd.h"
#include "inputs/file/file_identity.h"
#include "inputs/file/framer.h"
#include "inputs/parse/file_parser.h"

namespace logship {

struct StartPosition {
  enum class Kind { kHead, kEnd, kLastLines } kind = Kind::kHead;
  uint64_t lines = 0;  // for kLastLines
};

struct TailerOptions {
  uint64_t max_line_bytes = 256 * 1024;
  LongLines long_lines = LongLines::kSplit;
  size_t chunk_bytes = 256 * 1024;
  // Each tailer parses its batches with its own copy; nullopt ships lines as framed.
  std::optional<FileParser> parser;
  // The pipeline's account of lines (null: not counted): each batch's lines are counted
  // read when it is made, and settled through its ack handle.
  std::shared_ptr<Ledger> ledger;
};

class Tailer {
 public:
  static Result<std::unique_ptr<Tailer>> open(std::shared_ptr<const Source> source,
                                              StartPosition start, const TailerOptions& options);
  // Opens at a checkpointed offset when the file is still the one the checkpoint saw
  // (same inode, head and tail bytes); otherwise from the start. `resumed` says which.
  static Result<std::unique_ptr<Tailer>> resume(std::shared_ptr<const Source> source,
                                                const FileIdentity& saved, uint64_t offset,
                                                const Fingerprint& tail,
                                                const TailerOptions& options, bool& resumed);
  // Tails an already open file (a spool segment being replayed) from `offset`.
  static Result<std::unique_ptr<Tailer>> adopt(std::shared_ptr<const Source> source, UniqueFd fd,
                                               FileIdentity identity, uint64_t offset,
                                               const TailerOptions& options);

  // Bytes the next read() needs from the memory budget: the carried line, one chunk, and
  // with a parser room for the text it appends (joined pieces, decoded escapes, `stream`),
  // so the batch buffer is not reallocated and copied for it.
  size_t next_read_bytes() const {
    return carry_.size() + chunk_bytes_ + (parser_ ? chunk_bytes_ / 16 : 0);
  }
  // Smaller reads while memory is tight (rung 1 of the degradation ladder).
  void set_chunk_bytes(size_t bytes) { chunk_bytes_ = bytes; }

  struct ReadOutcome {
    bool end_of_file = false;
    std::optional<Batch> batch;  // absent when everything read is still an incomplete line
  };
  // Reads one chunk into a batch charged to `lease`.
  Result<ReadOutcome> read(MemoryLease lease, int64_t now_ns);

  // The held incomplete line as a batch of one record, if there is one.
  std::optional<Batch> flush_partial(MemoryLease lease, int64_t now_ns);
  // What the parser holds (a multi-line record, CRI partials) as a batch, leaving an
  // incomplete line in place; for when parser_flush_due_ns() has passed.
  std::optional<Batch> flush_parser(MemoryLease lease);
  // Wall-clock time (ns) the parser's held lines are due (multiline.flush_after); nullopt
  // when it holds none.
  std::optional<int64_t> parser_flush_due_ns() const {
    return parser_ ? parser_->flush_due_ns() : std::nullopt;
  }
  // An incomplete line, or lines the parser holds (CRI partials, a multi-line record).
  bool has_partial() const { return !carry_.empty() || (parser_ && parser_->holding()); }

  // The offset after the last batch handed out: every byte from here on is still only in
  // the file (or in the held line and parser state, which detach() discards).
  uint64_t handed_out_offset() const { return handed_out_offset_; }
  // Closes the file and forgets what it holds back, once its bytes from
  // handed_out_offset() on are kept elsewhere (the spool). Batches already handed out are
  // still settled through the tracker; reads see end of file from now on.
  void detach();
  bool detached() const { return !*fd_; }

  // After a rename rotation the same file lives at another path.
  void set_path(const std::string& path);
  // At end of file: restarts from 0 if the file shrank below what was read or its first
  // bytes changed (copytruncate, rewrite). Returns whether it did.
  bool restart_if_truncated();
  // A file first seen shorter than kHeadBytes: hash its head again as it grows, so its
  // identity (and checkpoint) says more than the inode.
  void refresh_head();

  // What the checkpoint thread needs: shared ownership keeps the fd open for its pread.
  struct CheckpointView {
    std::shared_ptr<const UniqueFd> fd;
    std::shared_ptr<const OffsetTracker> tracker;
    FileIdentity identity;
    std::string path;
  };
  CheckpointView checkpoint_view() const { return {fd_, tracker_, identity_, source_->path}; }

  // The open file, for fstat; -1 once detached.
  int fd() const { return fd_->get(); }
  const Source& source() const { return *source_; }
  const FileIdentity& identity() const { return identity_; }
  uint64_t truncations() const { return truncations_; }
  const FramerCounts& counts() const { return framer_.counts(); }
  const ParseStats& parse_stats() const { return parse_stats_; }
  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t unacknowledged() const { return tracker_->pending() + tracker_->dropped(); }
  uint64_t committed_offset() const { return tracker_->committed_offset(); }

 private:
  Tailer(std::shared_ptr<const Source> source, UniqueFd fd, FileIdentity identity, uint64_t offset,
         const TailerOptions& options);
  // Parses the framed records (flushing what the parser holds when `final`), then registers
  // the batch up to where the parser holds nothing back.
  Batch make_batch(ByteBuffer buffer, std::vector<Record> records, MemoryLease lease,
                   bool final = false);
  // copytruncate followed at once by a rewrite past the old offset leaves the size above
  // it: only the bytes just before the offset tell that the file under it was replaced.
  // Checked when a read that follows a short one (the writer may have acted since) returns
  // bytes.
  bool restart_if_overwritten();
  void restart_from_start();
  void remember_bytes_before_offset();

  std::shared_ptr<const Source> source_;
  // Shared with checkpoint views so a snapshot never preads a closed (or reused) fd.
  std::shared_ptr<UniqueFd> fd_;
  FileIdentity identity_;
  uint64_t truncations_ = 0;
  TailerOptions options_;
  Framer framer_;
  std::shared_ptr<OffsetTracker> tracker_;
  uint64_t read_offset_;  // file offset of the next byte read()
  uint64_t handed_out_offset_;
  size_t chunk_bytes_;
  std::string carry_;               // incomplete line, starting at read_offset_ - carry_.size()
  Fingerprint before_read_;         // of the kTailBytes (or fewer) bytes before read_offset_
  bool verify_before_read_ = true;  // the last read reached the end of the file
  uint64_t bytes_read_ = 0;
  std::optional<FileParser> parser_;
  ParseStats parse_stats_;
};

// Offset where the last `lines` lines of the file begin (a final line without '\n'
// counts as a line). Reads backwards in blocks.
Result<uint64_t> offset_of_last_lines(int fd, uint64_t file_size, uint64_t lines);

}  // namespace logship
