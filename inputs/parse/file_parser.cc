#include "inputs/parse/file_parser.h"

#include <algorithm>
#include <span>

#include "inputs/parse/json_parser.h"
#include "inputs/parse/logfmt_parser.h"
#include "inputs/parse/regex_parser.h"

namespace logship {
namespace {

// Slices into `extra_` are marked with the top bit until finish() knows where it lands.
constexpr uint32_t kExtraBit = 1u << 31;

void fix_up(Slice& slice, uint32_t base) {
  if (slice.begin & kExtraBit) slice.begin = (slice.begin & ~kExtraBit) + base;
}

LineFormat line_format(ParserKind kind) {
  switch (kind) {
    case ParserKind::kCri:
      return LineFormat::kCri;
    case ParserKind::kDocker:
      return LineFormat::kDocker;
    default:
      return LineFormat::kPlain;
  }
}

}  // namespace

Result<FileParser> FileParser::create(ParserKind kind, uint64_t max_line_bytes,
                                      const ParseConfig& config) {
  std::string error;
  auto rule = MultilineRule::create(config.multiline, error);
  if (!rule) return make_error(ErrorCode::kInvalidConfig, "multiline.start_pattern: " + error);
  std::optional<Regex> regex;
  if (kind == ParserKind::kRegex) {
    regex = Regex::compile(config.regex, error);
    if (!regex) return make_error(ErrorCode::kInvalidConfig, "regex: " + error);
    if (regex->named_groups().empty()) {
      return make_error(ErrorCode::kInvalidConfig,
                        "regex: '" + config.regex + "' has no named group (?<name>...)");
    }
  }
  auto processing = Processing::create(config, error);
  if (!processing) return make_error(ErrorCode::kInvalidConfig, error);
  RecordAssembler assembler(line_format(kind), max_line_bytes, config.multiline, std::move(*rule));
  return FileParser(kind, config, std::move(assembler), std::move(regex), std::move(*processing));
}

FileParser::FileParser(ParserKind kind, const ParseConfig& config, RecordAssembler assembler,
                       std::optional<Regex> regex, Processing processing)
    : kind_(kind),
      timestamp_(config.timestamp),
      flush_after_(config.multiline.flush_after),
      passthrough_(kind == ParserKind::kNone && config.multiline.mode == MultilineMode::kOff &&
                   processing.empty()),
      cache_stream_((kind == ParserKind::kCri || kind == ParserKind::kDocker) &&
                    processing.empty() && config.timestamp.field.empty()),
      assembler_(std::move(assembler)),
      regex_(std::move(regex)),
      processing_(std::move(processing)) {}

void FileParser::begin(BatchParts& parts, ParseStats& stats) {
  parts_ = &parts;
  stats_ = &stats;
  first_record_ = parts.records.size();
  first_field_ = parts.fields.size();
  extra_.clear();
  stream_name_.reset();
  stream_values_.clear();
}

void FileParser::parse(BatchParts parts, ParseStats& stats) {
  if (passthrough_) {
    stats.records += parts.records.size();
    return;
  }
  framed_.clear();
  framed_.swap(parts.records);
  begin(parts, stats);
  // Room for the fields at the last batch's rate: growing the vector record by record
  // copies it and touches fresh pages several times over.
  parts.fields.reserve(parts.fields.size() + framed_.size() * fields_per_line_);
  const std::string_view buffer(parts.bytes.data(), parts.bytes.size());
  for (const Record& line : framed_) assembler_.push(buffer, line, *this, stats);
  assembler_.end_batch(buffer);
  if (!framed_.empty()) {
    const size_t added = parts.fields.size() - first_field_;
    fields_per_line_ = std::max<size_t>(1, (added + framed_.size() - 1) / framed_.size());
  }
  finish();
}

void FileParser::flush(BatchParts parts, ParseStats& stats) {
  begin(parts, stats);
  assembler_.flush(*this, stats);
  finish();
}

std::optional<int64_t> FileParser::flush_due_ns() const {
  const auto since = assembler_.held_since();
  if (!since) return std::nullopt;
  return *since + std::chrono::nanoseconds(flush_after_).count();
}

Slice FileParser::to_extra(std::string_view text) {
  const Slice slice{static_cast<uint32_t>(extra_.size()) | kExtraBit,
                    static_cast<uint32_t>(text.size())};
  extra_.append(text);
  return slice;
}

Field FileParser::stream_field(std::string_view value) {
  constexpr size_t kCachedValues = 2;  // stdout, stderr; Docker allows anything
  if (!stream_name_) stream_name_ = to_extra("stream");
  for (const auto& [text, slice] : stream_values_) {
    if (text == value) return {*stream_name_, slice};
  }
  const Slice slice = to_extra(value);
  if (stream_values_.size() < kCachedValues) stream_values_.emplace_back(value, slice);
  return {*stream_name_, slice};
}

bool FileParser::parse_fields(std::string_view text) {
  switch (kind_) {
    case ParserKind::kJson:
      return parse_json(text, fields_);
    case ParserKind::kLogfmt:
      return parse_logfmt(text, fields_);
    case ParserKind::kRegex:
      return parse_regex(text, *regex_, fields_);
    default:
      fields_.reset(text);
      return true;
  }
}

void FileParser::extract_timestamp(Record& out, int64_t read_time_ns) {
  if (timestamp_.field.empty()) return;
  const CollectedField* field = fields_.find(timestamp_.field);
  const auto parsed = field == nullptr
                          ? std::nullopt
                          : parse_timestamp(fields_.text(field->value), timestamp_, read_time_ns);
  if (parsed) {
    out.timestamp_ns = *parsed;
  } else {
    ++stats_->timestamp_failed;
  }
}

void FileParser::emit(const AssembledRecord& record) {
  Record out{};
  out.file_offset = record.file_offset;
  out.file_bytes = static_cast<uint32_t>(record.end_offset - record.file_offset);
  out.lines = record.lines;
  out.timestamp_ns = record.container_time_ns.value_or(record.read_time_ns);
  out.line = record.in_buffer ? *record.in_buffer : to_extra(record.text);
  out.parse_failed = record.decode_failed || !parse_fields(record.text);
  if (out.parse_failed) {
    fields_.reset(record.text);
    ++stats_->parse_failed;
  }
  const bool cached_stream = cache_stream_ && !record.stream.empty();
  if (!record.stream.empty() && !cached_stream) {
    fields_.add(fields_.copy("stream"), fields_.copy(record.stream));
  }
  if (!out.parse_failed) {
    extract_timestamp(out, record.read_time_ns);
    // Filters apply to parsed records only: an unparsed line is never silently dropped.
    if (!processing_.empty()) {
      if (!processing_.keep(fields_)) {
        ++stats_->dropped;
        stats_->dropped_lines += record.lines;
        return;
      }
      processing_.apply(fields_);
    }
  }
  // Field refs: into the line (where the record text lies) or into the scratch text, which
  // is copied whole when not empty (it holds only the text of this record's fields).
  // Written in place rather than pushed one by one: this loop runs for every field, and
  // most records have no scratch text, which leaves an add per ref.
  const uint32_t line_base = out.line.begin;
  const std::string_view scratch = fields_.scratch_text();
  const std::span<const CollectedField> collected = fields_.fields();
  std::vector<Field>& fields = parts_->fields;
  out.fields_begin = static_cast<uint32_t>(fields.size());
  fields.resize(fields.size() + collected.size());
  Field* placed = fields.data() + out.fields_begin;
  if (scratch.empty()) {
    for (const CollectedField& field : collected) {
      placed->name = {line_base + field.name.begin(), field.name.size()};
      placed->value = {line_base + field.value.begin(), field.value.size()};
      ++placed;
    }
  } else {
    const uint32_t scratch_base = to_extra(scratch).begin;
    auto place = [&](TextRef ref) {
      return Slice{(ref.in_scratch() ? scratch_base : line_base) + ref.begin(), ref.size()};
    };
    for (const CollectedField& field : collected) {
      placed->name = place(field.name);
      placed->value = place(field.value);
      ++placed;
    }
  }
  if (cached_stream) parts_->fields.push_back(stream_field(record.stream));
  out.fields_count = static_cast<uint32_t>(fields_.fields().size()) + (cached_stream ? 1 : 0);
  parts_->records.push_back(out);
  ++stats_->records;
}

void FileParser::finish() {
  if (!extra_.empty()) {
    ByteBuffer& bytes = parts_->bytes;
    if (bytes.size() + extra_.size() > bytes.capacity()) {
      // Grow to exactly what is needed: append() would double the buffer, and the batch's
      // memory accounting follows its capacity.
      ByteBuffer exact(bytes.size() + extra_.size());
      exact.append({bytes.data(), bytes.size()});
      bytes = std::move(exact);
    }
    const uint32_t base = bytes.append(extra_).begin;
    for (size_t i = first_record_; i < parts_->records.size(); ++i) {
      fix_up(parts_->records[i].line, base);
    }
    for (size_t i = first_field_; i < parts_->fields.size(); ++i) {
      fix_up(parts_->fields[i].name, base);
      fix_up(parts_->fields[i].value, base);
    }
  }
  parts_ = nullptr;
  stats_ = nullptr;
}

}  // namespace logship
