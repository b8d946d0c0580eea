// In-process parsing throughput: frames a corpus into 256 KiB batches of lines and runs a
// FileParser over them, against counting the lines alone (the `wc -l` floor) in the same
// run. Usage: parse_throughput FILE none|json|cri|logfmt|docker [TIMESTAMP_FIELD]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "inputs/parse/file_parser.h"

namespace {

using Clock = std::chrono::steady_clock;

logship::ParserKind kind_of(std::string_view name) {
  if (name == "json") return logship::ParserKind::kJson;
  if (name == "cri") return logship::ParserKind::kCri;
  if (name == "logfmt") return logship::ParserKind::kLogfmt;
  if (name == "docker") return logship::ParserKind::kDocker;
  return logship::ParserKind::kNone;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  std::ifstream in(argv[1], std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)), {});
  logship::ParseConfig config;
  if (argc > 3) config.timestamp.field = argv[3];
  auto parser = logship::FileParser::create(kind_of(argv[2]), 256 * 1024, config);
  if (!parser) return 2;

  const auto count_start = Clock::now();
  size_t newlines = 0;
  for (const char* p = data.data();
       (p = static_cast<const char*>(std::memchr(p, '\n', data.data() + data.size() - p))); ++p) {
    ++newlines;
  }
  const double count_s = std::chrono::duration<double>(Clock::now() - count_start).count();

  const auto start = Clock::now();
  logship::ParseStats stats;
  constexpr size_t kChunk = 256 * 1024;
  size_t pos = 0;
  uint64_t fields = 0;
  while (pos < data.size()) {
    size_t end = std::min(pos + kChunk, data.size());
    const size_t last = data.rfind('\n', end - 1);
    if (last != std::string::npos && last >= pos) end = last + 1;
    logship::ByteBuffer bytes(end - pos);
    bytes.append(std::string_view(data).substr(pos, end - pos));
    std::vector<logship::Record> records;
    std::vector<logship::Field> field_vec;
    size_t line_begin = 0;
    for (const char* p = bytes.data(); p < bytes.data() + bytes.size();) {
      const char* nl =
          static_cast<const char*>(std::memchr(p, '\n', bytes.data() + bytes.size() - p));
      const size_t line_end = nl ? nl - bytes.data() : bytes.size();
      logship::Record r{};
      r.line = {static_cast<uint32_t>(line_begin), static_cast<uint32_t>(line_end - line_begin)};
      r.file_offset = pos + line_begin;
      r.file_bytes = static_cast<uint32_t>(line_end - line_begin + 1);
      records.push_back(r);
      line_begin = line_end + 1;
      p = bytes.data() + line_begin;
    }
    parser->parse({bytes, records, field_vec}, stats);
    fields += field_vec.size();
    pos = end;
  }
  const double parse_s = std::chrono::duration<double>(Clock::now() - start).count();
  const double gib = data.size() / 1073741824.0;
  std::printf(
      "%s: %.3f GiB, %zu lines, %llu records, %llu fields, %llu parse_failed, "
      "%llu timestamp_failed\n",
      argv[2], gib, newlines, static_cast<unsigned long long>(stats.records),
      static_cast<unsigned long long>(fields), static_cast<unsigned long long>(stats.parse_failed),
      static_cast<unsigned long long>(stats.timestamp_failed));
  std::printf("  count lines: %.3f s (%.0f MB/s)\n", count_s, data.size() / count_s / 1e6);
  std::printf("  frame+parse: %.3f s (%.0f MB/s), %.2f CPU s/GiB, ratio to counting %.3f\n",
              parse_s, data.size() / parse_s / 1e6, parse_s / gib, count_s / parse_s);
  return 0;
}
