#pragma once
// Shared body of the CRI and Docker fuzz targets: the input's lines go through a
// RecordAssembler (partial joins with a small max_line_bytes, and a multiline rule picked
// by the first byte), batch by batch; every record's text must be readable and its file
// range well-formed, and nothing may be left held after flush().

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "agent/batch.h"
#include "inputs/parse/record_assembler.h"

namespace logship::fuzz {

class CheckingSink final : public RecordSink {
 public:
  void emit(const AssembledRecord& record) override {
    if (record.end_offset <= record.file_offset) std::abort();
    volatile char sink = 0;
    for (char c : record.text) sink = sink ^ c;  // every byte must be readable
  }
};

inline void assemble(LineFormat format, const uint8_t* data, size_t size) {
  if (size == 0) return;
  const MultilineMode modes[] = {MultilineMode::kOff, MultilineMode::kJava, MultilineMode::kPython,
                                 MultilineMode::kGo};
  MultilineConfig multiline;
  multiline.mode = modes[data[0] % 4];
  multiline.max_lines = 4;
  multiline.max_bytes = 200;
  std::string error;
  auto rule = MultilineRule::create(multiline, error);
  RecordAssembler assembler(format, 64, multiline, std::move(*rule));
  CheckingSink sink;
  ParseStats stats;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  uint64_t offset = 0;
  // Batches of up to 3 lines, each in its own exactly-sized buffer.
  while (!input.empty()) {
    ByteBuffer buffer(input.size());
    std::vector<Record> lines;
    for (int i = 0; i < 3 && !input.empty(); ++i) {
      const size_t end = std::min(input.find('\n'), input.size());
      Record line{};
      line.line = buffer.append(input.substr(0, end));
      line.file_offset = offset;
      line.file_bytes = static_cast<uint32_t>(std::min(end + 1, input.size()));
      offset += line.file_bytes;
      input.remove_prefix(line.file_bytes);
      lines.push_back(line);
    }
    const std::string_view view(buffer.data(), buffer.size());
    for (const Record& line : lines) assembler.push(view, line, sink, stats);
    assembler.end_batch(view);
  }
  assembler.flush(sink, stats);
  if (assembler.held_from()) std::abort();
}

}  // namespace logship::fuzz
