#include "inputs/file/tailer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace logship {
namespace {

Result<size_t> read_some(int fd, char* data, size_t size, std::string_view path) {
  for (;;) {
    const ssize_t n = ::read(fd, data, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return make_error(ErrorCode::kIo, errno_message("read", path));
  }
}

}  // namespace

Result<uint64_t> offset_of_last_lines(int fd, uint64_t file_size, uint64_t lines) {
  if (lines == 0) return file_size;
  constexpr size_t kBlock = 64 * 1024;
  std::vector<char> block(kBlock);
  uint64_t end = file_size;
  uint64_t newlines_seen = 0;
  bool skipped_final_newline = false;
  while (end > 0) {
    const uint64_t begin = end > kBlock ? end - kBlock : 0;
    const size_t size = static_cast<size_t>(end - begin);
    const ssize_t n = ::pread(fd, block.data(), size, static_cast<off_t>(begin));
    if (n != static_cast<ssize_t>(size)) {
      return make_error(ErrorCode::kIo, errno_message("pread", "while seeking the last lines"));
    }
    for (size_t i = size; i-- > 0;) {
      if (block[i] != '\n') continue;
      // The newline that ends the file terminates the last line; it does not start one.
      if (!skipped_final_newline && begin + i + 1 == file_size) {
        skipped_final_newline = true;
        continue;
      }
      if (++newlines_seen == lines) return begin + i + 1;
    }
    end = begin;
  }
  return 0;
}

Result<std::unique_ptr<Tailer>> Tailer::open(std::shared_ptr<const Source> source,
                                             StartPosition start, const TailerOptions& options) {
  UniqueFd fd(::open(source->path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return io_error("open", source->path);
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return io_error("fstat", source->path);
  if (!S_ISREG(info.st_mode)) {
    return make_error(ErrorCode::kIo, source->path + " is not a regular file");
  }
  const auto size = static_cast<uint64_t>(info.st_size);
  uint64_t offset = 0;
  switch (start.kind) {
    case StartPosition::Kind::kHead:
      break;
    case StartPosition::Kind::kEnd:
      offset = size;
      break;
    case StartPosition::Kind::kLastLines: {
      auto last = offset_of_last_lines(fd.get(), size, start.lines);
      if (!last) return std::unexpected(last.error());
      offset = *last;
    }
  }
  auto identity = identify(fd.get());
  if (!identity) return std::unexpected(identity.error());
  if (::lseek(fd.get(), static_cast<off_t>(offset), SEEK_SET) < 0) {
    return make_error(ErrorCode::kIo, errno_message("lseek", source->path));
  }
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<Tailer>(
      new Tailer(std::move(source), std::move(fd), *identity, offset, options));
}

Result<std::unique_ptr<Tailer>> Tailer::resume(std::shared_ptr<const Source> source,
                                               const FileIdentity& saved, uint64_t offset,
                                               const Fingerprint& tail,
                                               const TailerOptions& options, bool& resumed) {
  auto tailer = open(std::move(source), {StartPosition::Kind::kHead}, options);
  if (!tailer) return tailer;
  Tailer& t = **tailer;
  resumed = matches_checkpoint(t.fd_->get(), t.identity_, saved, offset, tail);
  if (resumed && offset > 0) {
    if (::lseek(t.fd_->get(), static_cast<off_t>(offset), SEEK_SET) < 0) {
      return make_error(ErrorCode::kIo, errno_message("lseek", t.source_->path));
    }
    t.read_offset_ = offset;
    t.handed_out_offset_ = offset;
    t.tracker_ = std::make_shared<OffsetTracker>(offset);
    t.before_read_ = tail;
  }
  return tailer;
}

Result<std::unique_ptr<Tailer>> Tailer::adopt(std::shared_ptr<const Source> source, UniqueFd fd,
                                              FileIdentity identity, uint64_t offset,
                                              const TailerOptions& options) {
  if (::lseek(fd.get(), static_cast<off_t>(offset), SEEK_SET) < 0) {
    return make_error(ErrorCode::kIo, errno_message("lseek", source->path));
  }
  return std::unique_ptr<Tailer>(
      new Tailer(std::move(source), std::move(fd), identity, offset, options));
}

void Tailer::detach() {
  fd_ = std::make_shared<UniqueFd>();  // a checkpoint snapshot may hold the old one briefly
  carry_.clear();
  parser_.reset();
}

Tailer::Tailer(std::shared_ptr<const Source> source, UniqueFd fd, FileIdentity identity,
               uint64_t offset, const TailerOptions& options)
    : source_(std::move(source)),
      fd_(std::make_shared<UniqueFd>(std::move(fd))),
      identity_(identity),
      options_(options),
      framer_(options.max_line_bytes, options.long_lines),
      tracker_(std::make_shared<OffsetTracker>(offset)),
      read_offset_(offset),
      handed_out_offset_(offset),
      chunk_bytes_(options.chunk_bytes),
      parser_(options.parser) {
  remember_bytes_before_offset();
}

void Tailer::remember_bytes_before_offset() {
  const auto length = static_cast<uint32_t>(std::min<uint64_t>(read_offset_, kTailBytes));
  before_read_ = fingerprint(fd_->get(), read_offset_ - length, length).value_or(Fingerprint{});
}

void Tailer::set_path(const std::string& path) {
  Source renamed = *source_;
  renamed.path = path;
  source_ = std::make_shared<const Source>(std::move(renamed));
}

bool Tailer::restart_if_truncated() {
  struct stat info {};
  if (::fstat(fd_->get(), &info) != 0) return false;
  const auto size = static_cast<uint64_t>(info.st_size);
  const auto head = fingerprint(fd_->get(), 0, identity_.head.length);
  const bool rewritten = !head || *head != identity_.head;
  if (size >= read_offset_ && !rewritten) {
    refresh_head();
    return false;
  }
  restart_from_start();
  return true;
}

bool Tailer::restart_if_overwritten() {
  if (before_read_.length == 0) return false;
  const auto now = fingerprint(fd_->get(), read_offset_ - before_read_.length, before_read_.length);
  if (now && *now == before_read_) return false;
  restart_from_start();
  return true;
}

void Tailer::restart_from_start() {
  ++truncations_;
  ::lseek(fd_->get(), 0, SEEK_SET);
  read_offset_ = 0;
  handed_out_offset_ = 0;
  carry_.clear();
  before_read_ = Fingerprint{};
  if (auto id = identify(fd_->get())) identity_.head = id->head;
}

void Tailer::refresh_head() {
  if (identity_.head.length >= kHeadBytes || read_offset_ <= identity_.head.length) return;
  if (auto id = identify(fd_->get())) identity_.head = id->head;
}

Result<Tailer::ReadOutcome> Tailer::read(MemoryLease lease, int64_t now_ns) {
  if (detached()) return ReadOutcome{.end_of_file = true, .batch = std::nullopt};
  ByteBuffer buffer(next_read_bytes());
  const size_t carried = carry_.size();
  if (carried > 0) std::memcpy(buffer.data(), carry_.data(), carried);
  auto got = read_some(fd_->get(), buffer.data() + carried, chunk_bytes_, source_->path);
  if (!got) return std::unexpected(got.error());
  if (*got == 0) return ReadOutcome{.end_of_file = true, .batch = std::nullopt};
  // Only bytes that arrived after a short read can belong to a rewrite (no read at all
  // leaves it to restart_if_truncated()); they are read again from 0 if so.
  if (std::exchange(verify_before_read_, *got < chunk_bytes_) && restart_if_overwritten()) {
    return read(std::move(lease), now_ns);
  }
  bytes_read_ += *got;
  const size_t filled = carried + *got;
  const size_t remembered = std::min<size_t>(filled, kTailBytes);
  before_read_ = fingerprint(std::string_view(buffer.data() + filled - remembered, remembered));
  buffer.resize_within_capacity(filled);
  std::vector<Record> records;
  const uint64_t buffer_offset = read_offset_ - carried;
  const size_t consumed =
      framer_.frame(std::string_view(buffer.data(), filled), 0, buffer_offset, now_ns, records);
  read_offset_ += *got;
  carry_.assign(buffer.data() + consumed, filled - consumed);
  if (consumed == 0) return ReadOutcome{};
  return ReadOutcome{.batch = make_batch(std::move(buffer), std::move(records), std::move(lease))};
}

std::optional<Batch> Tailer::flush_partial(MemoryLease lease, int64_t now_ns) {
  if (!has_partial()) return std::nullopt;
  ByteBuffer buffer(carry_.size());
  std::vector<Record> records;
  if (!carry_.empty()) {
    buffer.append(carry_);
    framer_.flush(carry_, 0, read_offset_ - carry_.size(), now_ns, records);
    carry_.clear();
  }
  return make_batch(std::move(buffer), std::move(records), std::move(lease), /*final=*/true);
}

std::optional<Batch> Tailer::flush_parser(MemoryLease lease) {
  if (!parser_ || !parser_->holding()) return std::nullopt;
  return make_batch(ByteBuffer(0), {}, std::move(lease), /*final=*/true);
}

Batch Tailer::make_batch(ByteBuffer buffer, std::vector<Record> records, MemoryLease lease,
                         bool final) {
  uint64_t end_offset = read_offset_ - carry_.size();
  std::vector<Field> fields;
  const uint64_t filtered_before = parse_stats_.dropped_lines;
  if (parser_ && !parser_->passthrough()) {
    const BatchParts parts{buffer, records, fields};
    parser_->parse(parts, parse_stats_);
    if (final) parser_->flush(parts, parse_stats_);
    end_offset = parser_->ack_end(end_offset);
  }
  handed_out_offset_ = end_offset;
  uint64_t lines = 0;
  for (const Record& record : records) lines += record.lines;
  if (options_.ledger) options_.ledger->read(lines, parse_stats_.dropped_lines - filtered_before);
  AckHandle ack(tracker_, tracker_->register_batch(end_offset), options_.ledger, lines);
  const uint64_t charged = lease.bytes();
  Batch batch(source_, std::move(buffer), std::move(records), std::move(lease), std::move(ack));
  batch.mutable_fields() = std::move(fields);
  if (batch.byte_size() > charged) batch.charge(batch.byte_size() - charged);
  return batch;
}

}  // namespace logship
