#include "inputs/file/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <vector>

#include "agent/atomic_file.h"

namespace logship {
namespace {

// Fixed width, so it can be rewritten in place once the segment's counts are known.
constexpr char kHeaderFormat[] =
    "logship-spool 1 lines=%020" PRIu64 " raw=%020" PRIu64 " path=%010" PRIu64 "\n";
constexpr size_t kHeaderBytes = 16 + 26 + 25 + 16 + 1;  // as kHeaderFormat prints
constexpr size_t kChunkBytes = 64 * 1024;
// Fast: spooling happens while the agent is already short of resources.
constexpr int kCompressionLevel = 1;
constexpr char kSuffix[] = ".zst";
constexpr char kTempSuffix[] = ".zst.tmp";

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

Result<void> write_all(int fd, const char* data, size_t size, const std::string& what) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(ErrorCode::kIo, errno_message("write", what));
    data += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

Result<void> sync_directory(const std::string& directory) {
  UniqueFd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir || ::fsync(dir.get()) != 0) {
    return make_error(ErrorCode::kIo, errno_message("fsync", directory));
  }
  return {};
}

struct Header {
  uint64_t lines = 0;
  uint64_t raw = 0;
  std::string path;
  size_t data_offset = 0;  // where the zstd frame starts
};

Result<Header> read_header(int fd, const std::string& file) {
  char fixed[kHeaderBytes + 1] = {};
  if (::pread(fd, fixed, kHeaderBytes, 0) != static_cast<ssize_t>(kHeaderBytes)) {
    return make_error(ErrorCode::kIo, file + ": spool segment header is incomplete");
  }
  Header header;
  uint64_t path_length = 0;
  if (std::sscanf(fixed, "logship-spool 1 lines=%" SCNu64 " raw=%" SCNu64 " path=%" SCNu64,
                  &header.lines, &header.raw, &path_length) != 3 ||
      path_length > 64 * 1024) {
    return make_error(ErrorCode::kIo, file + ": not a logship spool segment");
  }
  header.path.resize(path_length);
  if (::pread(fd, header.path.data(), path_length, kHeaderBytes) !=
      static_cast<ssize_t>(path_length)) {
    return make_error(ErrorCode::kIo, file + ": spool segment header is incomplete");
  }
  header.data_offset = kHeaderBytes + path_length + 1;
  return header;
}

}  // namespace

// One segment being written: a temporary file, renamed into place by finish().
class Spool::SegmentWriter {
 public:
  SegmentWriter(std::string temp_path, std::string final_path, std::string source)
      : temp_path_(std::move(temp_path)),
        final_path_(std::move(final_path)),
        source_(std::move(source)),
        context_(ZSTD_createCCtx(), ZSTD_freeCCtx) {}
  ~SegmentWriter() {
    if (fd_) ::unlink(temp_path_.c_str());  // not finished: leave nothing behind
  }

  Result<void> start() {
    fd_.reset(::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
    if (!fd_) return make_error(ErrorCode::kIo, errno_message("open", temp_path_));
    if (!context_) return make_error(ErrorCode::kIo, "zstd: cannot create a compression context");
    ZSTD_CCtx_setParameter(context_.get(), ZSTD_c_compressionLevel, kCompressionLevel);
    std::string header(kHeaderBytes, ' ');
    header += source_;
    header += '\n';
    return write_all(fd_.get(), header.data(), header.size(), temp_path_);
  }

  Result<void> append(std::string_view raw, size_t in_flight) {
    raw_ += raw.size();
    lines_ += static_cast<uint64_t>(std::ranges::count(raw, '\n'));
    in_flight_bytes_ += in_flight;
    in_flight_lines_ += static_cast<uint64_t>(std::ranges::count(raw.substr(0, in_flight), '\n'));
    if (!raw.empty()) last_byte_ = raw.back();
    return compress(raw, ZSTD_e_continue);
  }

  uint64_t raw_bytes() const { return raw_; }
  bool at_line_end() const { return last_byte_ == '\n'; }

  // Ends the frame, writes the header, fsyncs and renames. Returns the segment's record.
  Result<SpoolSegment> finish(uint64_t seq) {
    if (auto flushed = compress({}, ZSTD_e_end); !flushed) return std::unexpected(flushed.error());
    if (raw_ > 0 && last_byte_ != '\n') ++lines_;  // a final line without '\n'
    char header[kHeaderBytes + 1];
    std::snprintf(header, sizeof header, kHeaderFormat, lines_, raw_,
                  static_cast<uint64_t>(source_.size()));
    if (::pwrite(fd_.get(), header, kHeaderBytes, 0) != static_cast<ssize_t>(kHeaderBytes) ||
        ::fsync(fd_.get()) != 0) {
      return make_error(ErrorCode::kIo, errno_message("write", temp_path_));
    }
    struct stat info {};
    ::fstat(fd_.get(), &info);
    if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
      return make_error(ErrorCode::kIo, errno_message("rename", temp_path_));
    }
    fd_.reset();
    return SpoolSegment{.seq = seq,
                        .path = source_,
                        .lines = lines_,
                        .raw_bytes = raw_,
                        .stored_bytes = static_cast<uint64_t>(info.st_size),
                        .in_flight_bytes = in_flight_bytes_,
                        .in_flight_lines = in_flight_lines_};
  }

 private:
  Result<void> compress(std::string_view raw, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{raw.data(), raw.size(), 0};
    std::vector<char> out(ZSTD_CStreamOutSize());
    for (;;) {
      ZSTD_outBuffer buffer{out.data(), out.size(), 0};
      const size_t left = ZSTD_compressStream2(context_.get(), &buffer, &in, mode);
      if (ZSTD_isError(left)) {
        return make_error(ErrorCode::kIo, std::string("zstd: ") + ZSTD_getErrorName(left));
      }
      if (auto written = write_all(fd_.get(), out.data(), buffer.pos, temp_path_); !written) {
        return written;
      }
      const bool done = mode == ZSTD_e_end ? left == 0 : in.pos == in.size;
      if (done) return {};
    }
  }

  std::string temp_path_;
  std::string final_path_;
  std::string source_;
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> context_;
  UniqueFd fd_;
  uint64_t raw_ = 0;
  uint64_t lines_ = 0;
  uint64_t in_flight_bytes_ = 0;
  uint64_t in_flight_lines_ = 0;
  char last_byte_ = '\n';
};

Result<std::unique_ptr<Spool>> Spool::open(std::string directory, uint64_t max_bytes,
                                           std::shared_ptr<Ledger> ledger) {
  if (auto made = make_directories(directory); !made) return std::unexpected(made.error());
  std::unique_ptr<Spool> spool(new Spool(std::move(directory), max_bytes, std::move(ledger)));
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(spool->directory_.c_str()), ::closedir);
  if (!dir) return make_error(ErrorCode::kIo, errno_message("opendir", spool->directory_));
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string name = entry->d_name;
    const std::string file = spool->directory_ + "/" + name;
    if (ends_with(name, kTempSuffix)) {
      ::unlink(file.c_str());  // a segment a crash interrupted; its file was not closed
      continue;
    }
    if (!ends_with(name, kSuffix)) continue;
    uint64_t seq = 0;
    if (std::sscanf(name.c_str(), "%" SCNu64, &seq) != 1 || seq == 0) continue;
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat info {};
    if (!fd || ::fstat(fd.get(), &info) != 0) continue;
    auto header = read_header(fd.get(), file);
    if (!header) return std::unexpected(header.error());
    spool->segments_[seq] = SpoolSegment{.seq = seq,
                                         .path = header->path,
                                         .lines = header->lines,
                                         .raw_bytes = header->raw,
                                         .stored_bytes = static_cast<uint64_t>(info.st_size)};
    spool->last_seq_ = std::max(spool->last_seq_, seq);
    spool->bytes_ += static_cast<uint64_t>(info.st_size);
  }
  spool->segment_count_ = spool->segments_.size();
  spool->drop_oldest_over_limit();
  return spool;
}

std::string Spool::segment_path(uint64_t seq) const {
  char name[32];
  std::snprintf(name, sizeof name, "%020" PRIu64, seq);
  return directory_ + "/" + name + kSuffix;
}

uint64_t Spool::next_seq() {
  // Wall-clock based so a segment written after a restart never reuses the number of one
  // whose replay position a checkpoint still remembers.
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const auto wall = static_cast<uint64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
  last_seq_ = std::max(last_seq_ + 1, wall);
  return last_seq_;
}

Result<uint64_t> Spool::add(int fd, uint64_t from, uint64_t in_flight_end,
                            const std::string& path) {
  std::vector<char> chunk(kChunkBytes);
  std::unique_ptr<SegmentWriter> writer;
  uint64_t seq = 0;
  uint64_t offset = from;
  const auto seal = [&]() -> Result<void> {
    auto segment = writer->finish(seq);
    writer.reset();
    if (!segment) return std::unexpected(segment.error());
    bytes_ += segment->stored_bytes;
    segments_[seq] = std::move(*segment);
    segment_count_ = segments_.size();
    if (auto synced = sync_directory(directory_); !synced) return synced;
    drop_oldest_over_limit();
    return {};
  };
  for (;;) {
    const ssize_t n = ::pread(fd, chunk.data(), chunk.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(ErrorCode::kIo, errno_message("pread", path));
    if (n == 0) break;
    std::string_view data(chunk.data(), static_cast<size_t>(n));
    while (!data.empty()) {
      if (!writer) {
        seq = next_seq();
        writer =
            std::make_unique<SegmentWriter>(segment_path(seq) + ".tmp", segment_path(seq), path);
        if (auto started = writer->start(); !started) return std::unexpected(started.error());
      }
      // Cut segments after a newline once they are big enough, so each holds whole lines.
      size_t take = data.size();
      if (writer->raw_bytes() + data.size() >= kSegmentRawBytes) {
        const size_t newline = data.find('\n');
        if (newline != std::string_view::npos) take = newline + 1;
      }
      const uint64_t in_flight = in_flight_end > offset ? in_flight_end - offset : 0;
      const auto piece = data.substr(0, take);
      if (auto appended = writer->append(piece, std::min<uint64_t>(in_flight, take)); !appended) {
        return std::unexpected(appended.error());
      }
      offset += take;
      data.remove_prefix(take);
      if (writer->raw_bytes() >= kSegmentRawBytes && writer->at_line_end()) {
        if (auto sealed = seal(); !sealed) return std::unexpected(sealed.error());
      }
    }
  }
  if (writer) {
    if (auto sealed = seal(); !sealed) return std::unexpected(sealed.error());
  }
  ++files_spooled_;
  return offset;
}

void Spool::count_dropped(const SpoolSegment& segment, std::string_view reason) {
  // Lines still in flight from memory are settled by their batches, not given up here.
  const uint64_t lines = segment.lines - segment.in_flight_lines;
  dropped_lines_ += lines;
  if (ledger_) ledger_->dropped(reason, lines, /*unread=*/true);
}

void Spool::drop_oldest_over_limit() {
  for (auto it = segments_.begin(); bytes_ > max_bytes_ && it != segments_.end();) {
    if (it->first == replaying_) {
      ++it;
      continue;
    }
    ::unlink(segment_path(it->first).c_str());
    bytes_ -= it->second.stored_bytes;
    count_dropped(it->second, drop_reason::kSpoolOverflow);
    it = segments_.erase(it);
  }
  segment_count_ = segments_.size();
}

Result<UniqueFd> Spool::open_replay(uint64_t seq) {
  const std::string file = segment_path(seq);
  UniqueFd segment(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!segment) return make_error(ErrorCode::kIo, errno_message("open", file));
  auto header = read_header(segment.get(), file);
  if (!header) return std::unexpected(header.error());
  UniqueFd replay(::open(directory_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!replay) return make_error(ErrorCode::kIo, errno_message("open (O_TMPFILE)", directory_));

  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> context(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!context) return make_error(ErrorCode::kIo, "zstd: cannot create a decompression context");
  std::vector<char> in(ZSTD_DStreamInSize());
  std::vector<char> out(ZSTD_DStreamOutSize());
  auto offset = static_cast<off_t>(header->data_offset);
  uint64_t raw = 0;
  size_t last_result = 0;
  for (;;) {
    const ssize_t n = ::pread(segment.get(), in.data(), in.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(ErrorCode::kIo, errno_message("pread", file));
    if (n == 0) break;
    offset += n;
    ZSTD_inBuffer input{in.data(), static_cast<size_t>(n), 0};
    while (input.pos < input.size) {
      ZSTD_outBuffer output{out.data(), out.size(), 0};
      last_result = ZSTD_decompressStream(context.get(), &output, &input);
      if (ZSTD_isError(last_result)) {
        return make_error(ErrorCode::kIo, file + ": zstd: " + ZSTD_getErrorName(last_result));
      }
      if (auto written = write_all(replay.get(), out.data(), output.pos, file); !written) {
        return std::unexpected(written.error());
      }
      raw += output.pos;
    }
  }
  if (last_result != 0 || raw != header->raw) {
    return make_error(ErrorCode::kIo, file + ": spool segment is truncated");
  }
  ::lseek(replay.get(), 0, SEEK_SET);
  replaying_ = seq;
  return replay;
}

void Spool::remove(uint64_t seq, bool shipped) {
  const auto it = segments_.find(seq);
  if (replaying_ == seq) replaying_ = 0;
  if (it == segments_.end()) return;
  if (!shipped) count_dropped(it->second, drop_reason::kSpoolUnreadable);
  ::unlink(segment_path(seq).c_str());
  bytes_ -= it->second.stored_bytes;
  segments_.erase(it);
  segment_count_ = segments_.size();
  (void)sync_directory(directory_);
}

SpoolStats Spool::stats() const {
  return {.bytes = bytes_.load(),
          .segments = segment_count_.load(),
          .files_spooled = files_spooled_.load(),
          .dropped_lines = dropped_lines_.load()};
}

}  // namespace logship
