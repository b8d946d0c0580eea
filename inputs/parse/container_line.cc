#include "inputs/parse/container_line.h"

#include "inputs/parse/json_parser.h"
#include "inputs/parse/timestamp.h"

namespace logship {

std::optional<ContainerLine> parse_cri(std::string_view line) {
  Rfc3339Cache times;
  return parse_cri(line, times);
}

std::optional<ContainerLine> parse_cri(std::string_view line, Rfc3339Cache& times) {
  const size_t time_end = line.find(' ');
  if (time_end == std::string_view::npos) return std::nullopt;
  const size_t stream_end = line.find(' ', time_end + 1);
  if (stream_end == std::string_view::npos || stream_end == time_end + 1) return std::nullopt;
  // The tag runs to the next space or the end of the line (an empty message).
  const size_t tag_begin = stream_end + 1;
  size_t tag_end = line.find(' ', tag_begin);
  if (tag_end == std::string_view::npos) tag_end = line.size();
  const std::string_view tag = line.substr(tag_begin, tag_end - tag_begin);
  // Tags are ':'-separated; the first says whether the piece is partial.
  const std::string_view first_tag = tag.substr(0, tag.find(':'));
  if (first_tag != "P" && first_tag != "F") return std::nullopt;
  const auto time = times.parse(line.substr(0, time_end));
  if (!time) return std::nullopt;
  ContainerLine out;
  out.time_ns = *time;
  out.stream = line.substr(time_end + 1, stream_end - time_end - 1);
  out.partial = first_tag == "P";
  out.message = tag_end < line.size() ? line.substr(tag_end + 1) : std::string_view();
  return out;
}

std::optional<ContainerLine> parse_docker(std::string_view line, FieldCollector& scratch) {
  if (!parse_json(line, scratch)) return std::nullopt;
  const CollectedField* log = scratch.find("log");
  if (log == nullptr) return std::nullopt;
  ContainerLine out;
  out.message = scratch.text(log->value);
  if (!out.message.empty() && out.message.back() == '\n') {
    out.message.remove_suffix(1);
  } else {
    out.partial = true;  // dockerd splits lines at 16 KiB; only the last piece has '\n'
  }
  if (const CollectedField* stream = scratch.find("stream")) {
    out.stream = scratch.text(stream->value);
  }
  const CollectedField* time = scratch.find("time");
  if (time == nullptr) return std::nullopt;
  const auto time_ns = parse_rfc3339(scratch.text(time->value));
  if (!time_ns) return std::nullopt;
  out.time_ns = *time_ns;
  return out;
}

}  // namespace logship
