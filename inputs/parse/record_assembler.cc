#include "inputs/parse/record_assembler.h"

#include <algorithm>

#include "inputs/parse/container_line.h"

namespace logship {
namespace {

std::string_view view(std::string_view buffer, Slice slice) {
  return buffer.substr(slice.begin, slice.size);
}

}  // namespace

RecordAssembler::RecordAssembler(LineFormat format, uint64_t max_line_bytes,
                                 MultilineConfig multiline, MultilineRule rule)
    : format_(format),
      max_line_bytes_(max_line_bytes),
      multiline_(std::move(multiline)),
      rule_(std::move(rule)) {}

std::optional<RecordAssembler::Piece> RecordAssembler::decode(std::string_view buffer,
                                                              const Record& line) {
  const std::string_view text = view(buffer, line.line);
  std::optional<ContainerLine> decoded;
  switch (format_) {
    case LineFormat::kPlain:
      return Piece{text, line.line, {}, std::nullopt, false};
    case LineFormat::kCri:
      decoded = parse_cri(text, cri_times_);
      break;
    case LineFormat::kDocker:
      decoded = parse_docker(text, docker_scratch_);
      break;
  }
  if (!decoded) return std::nullopt;
  Piece piece{decoded->message, std::nullopt, decoded->stream, decoded->time_ns, decoded->partial};
  // A message that lies inside the line (always for CRI, for Docker when nothing needed
  // decoding) is referenced, not copied.
  const char* begin = decoded->message.data();
  if (begin >= text.data() && begin + decoded->message.size() <= text.data() + text.size()) {
    piece.slice = Slice{line.line.begin + static_cast<uint32_t>(begin - text.data()),
                        static_cast<uint32_t>(decoded->message.size())};
  }
  return piece;
}

void RecordAssembler::push(std::string_view buffer, const Record& line, RecordSink& sink,
                           ParseStats& stats) {
  if (format_ == LineFormat::kPlain && multiline_.mode == MultilineMode::kOff) {
    // Nothing to unwrap or join: the line goes out as it is, without the Pending (and its
    // strings) of the general path.
    sink.emit({view(buffer, line.line),
               line.line,
               line.file_offset,
               line.end_offset(),
               line.timestamp_ns,
               std::nullopt,
               {},
               false,
               line.lines});
    return;
  }
  const auto piece = decode(buffer, line);
  if (!piece) {
    // Not a container line: ship it raw, after what was held so order is kept.
    for (Pending& partial : partials_) {
      if (partial.active) add_line(buffer, std::exchange(partial, Pending{}), sink, stats);
    }
    if (record_.active) emit(buffer, record_, sink);
    rule_.reset();
    AssembledRecord raw{view(buffer, line.line),
                        line.line,
                        line.file_offset,
                        line.end_offset(),
                        line.timestamp_ns,
                        std::nullopt,
                        {},
                        true,
                        line.lines};
    sink.emit(raw);
    return;
  }
  if (format_ == LineFormat::kPlain) {
    Pending single;
    start(single, *piece, line);
    add_line(buffer, std::move(single), sink, stats);
    return;
  }
  join_partial(buffer, *piece, line, sink, stats);
}

void RecordAssembler::join_partial(std::string_view buffer, const Piece& piece, const Record& line,
                                   RecordSink& sink, ParseStats& stats) {
  // Pieces of stdout and stderr may interleave: join each stream on its own.
  Pending& slot = partials_[piece.stream == "stderr" ? 1 : 0];
  if (!slot.active) {
    if (!piece.partial && multiline_.mode == MultilineMode::kOff) {
      // The common case, a whole line with nothing held: out as it is, nothing copied.
      sink.emit({piece.text, piece.slice, line.file_offset, line.end_offset(), line.timestamp_ns,
                 piece.container_time_ns, piece.stream, false, line.lines});
      return;
    }
    if (!piece.partial) {
      Pending single;
      start(single, piece, line);
      add_line(buffer, std::move(single), sink, stats);
      return;
    }
    start(slot, piece, line);
  } else {
    append(buffer, slot, {}, piece.text);
    slot.end_offset = line.end_offset();
    slot.last_read_ns = line.timestamp_ns;
    slot.source_lines += line.lines;
    ++stats.partials_joined;
  }
  const bool too_long = slot.size() >= max_line_bytes_;
  if (!piece.partial || too_long) {
    if (piece.partial) ++stats.limit_splits;
    add_line(buffer, std::exchange(slot, Pending{}), sink, stats);
  }
}

void RecordAssembler::add_line(std::string_view buffer, Pending&& line, RecordSink& sink,
                               ParseStats& stats) {
  if (multiline_.mode == MultilineMode::kOff) {
    emit(buffer, line, sink);
    return;
  }
  const std::string_view text = line.slice ? view(buffer, *line.slice) : line.text;
  const bool continues = rule_.continues(text);  // always asked: rules track their state
  if (record_.active) {
    const bool fits = record_.lines < multiline_.max_lines &&
                      record_.size() + 1 + text.size() <= multiline_.max_bytes;
    if (continues && fits && record_.stream == line.stream) {
      append(buffer, record_, "\n", text);
      record_.end_offset = line.end_offset;
      record_.last_read_ns = line.last_read_ns;
      ++record_.lines;
      record_.source_lines += line.source_lines;
      ++stats.multiline_joined;
      return;
    }
    if (continues) ++stats.limit_splits;
    emit(buffer, record_, sink);
  }
  record_ = std::move(line);
  // The line may borrow its text from a partial slot's string, now moved: still valid.
}

void RecordAssembler::emit(std::string_view buffer, Pending& pending, RecordSink& sink) {
  AssembledRecord out{pending.slice ? view(buffer, *pending.slice) : pending.text,
                      pending.slice,
                      pending.file_offset,
                      pending.end_offset,
                      pending.read_time_ns,
                      pending.container_time_ns,
                      pending.stream,
                      false,
                      pending.source_lines};
  sink.emit(out);
  pending.active = false;
  pending.slice.reset();
  pending.text.clear();
  pending.lines = 0;
  pending.source_lines = 0;
}

void RecordAssembler::start(Pending& pending, const Piece& piece, const Record& line) {
  pending.active = true;
  pending.slice = piece.slice;
  if (piece.slice) {
    pending.text.clear();
  } else {
    pending.text.assign(piece.text);
  }
  pending.stream.assign(piece.stream);
  pending.file_offset = line.file_offset;
  pending.end_offset = line.end_offset();
  pending.read_time_ns = line.timestamp_ns;
  pending.last_read_ns = line.timestamp_ns;
  pending.container_time_ns = piece.container_time_ns;
  pending.lines = 1;
  pending.source_lines = line.lines;
}

void RecordAssembler::append(std::string_view buffer, Pending& pending, std::string_view separator,
                             std::string_view text) {
  if (pending.slice) {
    pending.text.assign(view(buffer, *pending.slice));
    pending.slice.reset();
  }
  pending.text.append(separator);
  pending.text.append(text);
}

void RecordAssembler::end_batch(std::string_view buffer) {
  for (Pending* pending : {&partials_[0], &partials_[1], &record_}) {
    if (pending->active && pending->slice) {
      pending->text.assign(view(buffer, *pending->slice));
      pending->slice.reset();
    }
  }
}

void RecordAssembler::flush(RecordSink& sink, ParseStats& stats) {
  const bool held = held_from().has_value();
  for (Pending& partial : partials_) {
    if (partial.active) add_line({}, std::exchange(partial, Pending{}), sink, stats);
  }
  if (record_.active) emit({}, record_, sink);
  rule_.reset();
  if (held) ++stats.timeout_flushes;
}

std::optional<uint64_t> RecordAssembler::held_from() const {
  std::optional<uint64_t> from;
  for (const Pending* pending : {&partials_[0], &partials_[1], &record_}) {
    if (pending->active) from = std::min(from.value_or(pending->file_offset), pending->file_offset);
  }
  return from;
}

std::optional<int64_t> RecordAssembler::held_since() const {
  std::optional<int64_t> since;
  for (const Pending* pending : {&partials_[0], &partials_[1], &record_}) {
    if (pending->active)
      since = std::max(since.value_or(pending->last_read_ns), pending->last_read_ns);
  }
  return since;
}

}  // namespace logship
