// The file input's Tailer with a FileParser: joined records ship once, and a batch is
// acknowledged only up to the lines the parser still holds.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <stop_token>
#include <string>

#include "agent/memory_budget.h"
#include "inputs/file/tailer.h"

namespace logship {
namespace {

struct TempFile {
  TempFile() {
    char name[] = "/tmp/logship-parse-XXXXXX";
    fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    path = name;
  }
  ~TempFile() {
    ::close(fd);
    ::unlink(path.c_str());
  }
  void append(const std::string& text) const {
    REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }
  int fd;
  std::string path;
};

TEST_CASE("a CRI tailer joins P pieces across reads and acks held bytes with their record") {
  TempFile file;
  const std::string t = "2023-11-14T22:13:20Z stdout ";
  const std::string whole = t + "F one\n";
  file.append(whole + t + "P two-\n");

  TailerOptions options;
  options.parser = FileParser::create(ParserKind::kCri, 1024, {}).value();
  auto source = std::make_shared<const Source>(Source{"k8s", file.path, {}});
  auto tailer = Tailer::open(source, StartPosition{}, options);
  REQUIRE(tailer.has_value());
  MemoryBudget budget(1 << 20);
  auto read = [&] {
    auto lease = budget.acquire((*tailer)->next_read_bytes(), std::stop_token{});
    auto outcome = (*tailer)->read(std::move(*lease), 7);
    REQUIRE(outcome.has_value());
    REQUIRE(outcome->batch.has_value());
    return std::move(*outcome->batch);
  };

  Batch first = read();
  REQUIRE(first.records().size() == 1);
  CHECK(first.line(first.records()[0]) == "one");
  CHECK((*tailer)->has_partial());
  first.settle(Fate::kDelivered);
  CHECK((*tailer)->committed_offset() == whole.size());

  file.append(t + "F three\n");
  Batch second = read();
  REQUIRE(second.records().size() == 1);
  CHECK(second.line(second.records()[0]) == "two-three");
  CHECK(second.records()[0].file_offset == whole.size());
  second.settle(Fate::kDelivered);
  const size_t file_size = whole.size() + (t + "P two-\n").size() + (t + "F three\n").size();
  CHECK((*tailer)->committed_offset() == file_size);
  CHECK((*tailer)->parse_stats().partials_joined == 1);
}

TEST_CASE("flush_partial ships a held multi-line record at the end of a file") {
  TempFile file;
  file.append("Traceback (most recent call last):\n  File \"a.py\", line 1\n");
  ParseConfig config;
  config.multiline.mode = MultilineMode::kPython;
  TailerOptions options;
  options.parser = FileParser::create(ParserKind::kNone, 1024, config).value();
  auto source = std::make_shared<const Source>(Source{"py", file.path, {}});
  auto tailer = Tailer::open(source, StartPosition{}, options);
  REQUIRE(tailer.has_value());
  MemoryBudget budget(1 << 20);
  auto outcome = (*tailer)->read(*budget.acquire(4096, std::stop_token{}), 1);
  REQUIRE(outcome.has_value());
  REQUIRE(outcome->batch.has_value());
  CHECK(outcome->batch->records().empty());
  REQUIRE((*tailer)->has_partial());
  auto flushed = (*tailer)->flush_partial(*budget.acquire(4096, std::stop_token{}), 2);
  REQUIRE(flushed.has_value());
  REQUIRE(flushed->records().size() == 1);
  CHECK(flushed->line(flushed->records()[0]) ==
        "Traceback (most recent call last):\n  File \"a.py\", line 1");
  CHECK_FALSE((*tailer)->has_partial());
}

TEST_CASE("a parsed batch charges its record and field tables to the memory budget") {
  TempFile file;
  std::string lines;
  for (int i = 0; i < 2000; ++i) {
    lines += R"({"level":"info","seq":)" + std::to_string(i) +
             R"(,"msg":"a","path":"/x"})"
             "\n";
  }
  file.append(lines);
  TailerOptions options;
  options.parser = FileParser::create(ParserKind::kJson, 1024, {}).value();
  auto source = std::make_shared<const Source>(Source{"app", file.path, {}});
  auto tailer = Tailer::open(source, StartPosition{}, options);
  REQUIRE(tailer.has_value());
  MemoryBudget budget(16 << 20);
  auto lease = budget.acquire((*tailer)->next_read_bytes(), std::stop_token{});
  auto outcome = (*tailer)->read(std::move(*lease), 1);
  REQUIRE(outcome.has_value());
  REQUIRE(outcome->batch.has_value());
  const Batch& batch = *outcome->batch;
  REQUIRE(batch.records().size() == 2000);
  CHECK(batch.fields(batch.records()[0]).size() == 4);
  CHECK(budget.used() >= batch.byte_size());
  CHECK(batch.byte_size() > lines.size() + 2000 * 4 * sizeof(Field));
}

}  // namespace
}  // namespace logship
