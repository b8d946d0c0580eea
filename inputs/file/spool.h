#pragma once
// Spool: where a file input keeps the unshipped bytes of rotated-away files it had to close
// while its output was blocked (rung 3 of the degradation ladder, DESIGN.md). Each file's
// bytes become one or more zstd-compressed segments `<seq>.zst` in the spool directory,
// each holding whole lines (about kSegmentRawBytes raw). A segment is written to a
// temporary name, fsynced and renamed, so after a crash a segment is either whole or
// absent. Total segment size is capped by `max_bytes`: when a new segment passes it, the
// oldest segments (never the one being replayed) are deleted and their lines counted as
// dropped (rung 4). Segments are shipped oldest first by decompressing one at a time into
// an unnamed file in the same directory, which the input tails like any other file.
// Thread: the owning input's thread; stats() from any thread.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "agent/ledger.h"
#include "agent/result.h"
#include "agent/unique_fd.h"

namespace logship {

struct SpoolSegment {
  uint64_t seq = 0;           // orders segments; unique across restarts
  std::string path;           // the file these bytes came from
  uint64_t lines = 0;         // lines it holds (a final line without '\n' counts)
  uint64_t raw_bytes = 0;     // uncompressed size
  uint64_t stored_bytes = 0;  // size of the segment file
  // Its first bytes and lines are also still in flight from memory (handed out before the
  // file was spooled): a replay in this process skips them, and dropping the segment does
  // not count them. Not persisted: after a restart those copies are gone.
  uint64_t in_flight_bytes = 0;
  uint64_t in_flight_lines = 0;
};

struct SpoolStats {
  uint64_t bytes = 0;          // on disk now
  uint64_t segments = 0;       // on disk now
  uint64_t files_spooled = 0;  // rotated files moved into the spool
  uint64_t dropped_lines = 0;  // lines of segments deleted because the spool was full
};

class Spool {
 public:
  // Raw bytes per segment: small enough that dropping one loses little, large enough that
  // the per-segment fsync and header cost nothing.
  static constexpr uint64_t kSegmentRawBytes = 4 * 1024 * 1024;

  // Creates the directory, removes temporaries a crash left, and lists the segments.
  // Lines of segments deleted unshipped are counted dropped in `ledger` (null: not).
  static Result<std::unique_ptr<Spool>> open(std::string directory, uint64_t max_bytes,
                                             std::shared_ptr<Ledger> ledger = nullptr);

  // Copies bytes [from, end of file) of `fd` into segments, then enforces max_bytes; those
  // before `in_flight_end` are also in flight from memory. Returns where it copied up to.
  Result<uint64_t> add(int fd, uint64_t from, uint64_t in_flight_end, const std::string& path);

  bool empty() const { return segments_.empty(); }
  const SpoolSegment& oldest() const { return segments_.begin()->second; }
  std::string segment_path(uint64_t seq) const;
  // The segment's bytes, decompressed into an unnamed file (gone when closed), at offset 0.
  // Marks the segment as being replayed: it is not dropped while it is.
  Result<UniqueFd> open_replay(uint64_t seq);
  // Deletes a segment: shipped and acknowledged, or else unreadable (its lines count as
  // dropped).
  void remove(uint64_t seq, bool shipped);

  SpoolStats stats() const;

 private:
  Spool(std::string directory, uint64_t max_bytes, std::shared_ptr<Ledger> ledger)
      : directory_(std::move(directory)), max_bytes_(max_bytes), ledger_(std::move(ledger)) {}
  void count_dropped(const SpoolSegment& segment, std::string_view reason);
  class SegmentWriter;
  void drop_oldest_over_limit();
  uint64_t next_seq();

  std::string directory_;
  uint64_t max_bytes_;
  std::shared_ptr<Ledger> ledger_;
  std::map<uint64_t, SpoolSegment> segments_;
  uint64_t last_seq_ = 0;
  uint64_t replaying_ = 0;  // seq being replayed, 0 when none
  std::atomic<uint64_t> bytes_ = 0;
  std::atomic<uint64_t> segment_count_ = 0;
  std::atomic<uint64_t> files_spooled_ = 0;
  std::atomic<uint64_t> dropped_lines_ = 0;
};

}  // namespace logship
