// loki_output_bench: the Loki output alone (no files, no parsing) pushing generated JSON
// lines to a receiver, to measure the output's own cost. Prints MB/s and CPU s/GiB of this
// process. Usage: loki_output_bench URL MIB LABEL_SETS [protobuf|json]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "outputs/loki/loki_output.h"

using namespace logship;

namespace {

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: loki_output_bench URL MIB LABEL_SETS [protobuf|json]\n");
    return 2;
  }
  LokiOutputConfig config;
  config.url = argv[1];
  const uint64_t total = std::strtoull(argv[2], nullptr, 10) << 20;
  const int label_sets = std::atoi(argv[3]);
  if (argc > 4 && std::string(argv[4]) == "json") config.encoding = LokiEncoding::kJson;
  config.labels = {{"job", "{job}"}};
  auto output = LokiOutput::create(
      config, nullptr,
      LokiEvents{.log =
                     [](const LokiEvent& event) {
                       std::fprintf(stderr, "loki event %d: status %d %s\n",
                                    static_cast<int>(event.kind), event.status.value_or(0),
                                    event.error.c_str());
                     }},
      nullptr);
  if (!output) {
    std::fprintf(stderr, "%s\n", output.error().message.c_str());
    return 1;
  }
  // ~250-byte JSON lines, a 256 KiB chunk copied into every batch as a file read would.
  std::string chunk;
  std::vector<Record> layout;
  for (int i = 0; chunk.size() < 256 * 1024 - 300; ++i) {
    std::string line =
        "{\"time\":\"2026-11-23T12:00:00.123456Z\",\"level\":\"info\",\"seq\":" +
        std::to_string(i) + ",\"msg\":\"request handled\",\"path\":\"/api/v1/items/" +
        std::to_string(i % 997) + "\",\"status\":200,\"duration_ms\":12.5,\"user\":\"u" +
        std::to_string(i % 113) + "\",\"trace\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}";
    Record record{};
    record.line = {static_cast<uint32_t>(chunk.size()), static_cast<uint32_t>(line.size())};
    record.file_bytes = static_cast<uint32_t>(line.size() + 1);
    layout.push_back(record);
    chunk += line;
    chunk += '\n';
  }
  std::vector<std::shared_ptr<const Source>> sources;
  for (int i = 0; i < label_sets; ++i) {
    sources.push_back(std::make_shared<const Source>(
        Source{"bench", "/bench/" + std::to_string(i), {{"job", "job" + std::to_string(i)}}}));
  }
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = cpu_seconds();
  uint64_t sent = 0;
  const auto base_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  for (uint64_t n = 0; sent < total; ++n) {
    ByteBuffer bytes(chunk.size());
    bytes.append(chunk);
    std::vector<Record> records = layout;
    for (auto& record : records) record.timestamp_ns = base_ns + static_cast<int64_t>(n);
    Batch batch(sources[n % sources.size()], std::move(bytes), std::move(records), MemoryLease(),
                AckHandle());
    if (!(*output)->send(std::move(batch), {})) return 1;
    sent += chunk.size();
  }
  if (!(*output)->drain(std::chrono::steady_clock::now() + std::chrono::seconds(60))) {
    std::fprintf(stderr, "drain timed out\n");
    return 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = cpu_seconds() - cpu_start;
  const double gib = static_cast<double>(sent) / (1ull << 30);
  std::printf("output-only: %.0f MiB in %.2f s = %.0f MB/s, %.2f CPU s/GiB, wire %.1f MiB\n",
              sent / 1048576.0, seconds, sent / 1e6 / seconds, cpu / gib,
              (*output)->stats().body_bytes_sent.load() / 1048576.0);
  return 0;
}
