#include "inputs/file/file_input.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;

// A temporary directory holding `count` one-line files f0.log..; removed at scope exit.
struct TempDir {
  explicit TempDir(int count) {
    char name[] = "/tmp/logship-file-input-XXXXXX";
    REQUIRE(::mkdtemp(name) != nullptr);
    path = name;
    for (int i = 0; i < count; ++i) {
      std::ofstream(path + "/f" + std::to_string(i) + ".log") << "file " << i << "\n";
    }
  }
  ~TempDir() { fs::remove_all(path); }
  std::string path;
};

logship::FileInputOptions one_shot(const std::string& directory, size_t max_open_files) {
  logship::FileInputOptions options;
  options.name = "files";
  options.scope = "files/test";
  options.paths = {directory + "/*.log"};
  options.start = {logship::StartPosition::Kind::kHead};
  options.max_open_files = max_open_files;
  return options;
}

std::vector<std::string> expected_lines(int count) {
  std::vector<std::string> lines;
  for (int i = 0; i < count; ++i) lines.push_back("file " + std::to_string(i));
  std::ranges::sort(lines);
  return lines;
}

// An output that acknowledges on its own thread, after the batch was handed over.
class LateAcks {
 public:
  LateAcks()
      : thread_([this](std::stop_token stop) {
          std::unique_lock lock(mutex_);
          while (wake_.wait(lock, stop, [&] { return !batches_.empty(); })) {
            auto batch = std::move(batches_.front());
            batches_.pop_front();
            lock.unlock();
            batch.settle(logship::Fate::kDelivered);
            lock.lock();
          }
        }) {}

  bool take(logship::Batch&& batch) {
    std::lock_guard lock(mutex_);
    for (const auto& record : batch.records()) lines_.emplace_back(batch.line(record));
    batches_.push_back(std::move(batch));
    wake_.notify_one();
    return true;
  }

  std::vector<std::string> sorted_lines() {
    std::lock_guard lock(mutex_);
    auto lines = lines_;
    std::ranges::sort(lines);
    return lines;
  }

 private:
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<logship::Batch> batches_;
  std::vector<std::string> lines_;
  std::jthread thread_;  // last: stopped and joined before the members it uses go
};

}  // namespace

TEST_CASE("a one-shot read ships every file even beyond max_open_files") {
  TempDir dir(7);
  logship::MemoryBudget budget(64 << 20);
  logship::FileInput input(one_shot(dir.path, 2), budget);
  std::vector<std::string> lines;
  const logship::BatchSink sink = [&](logship::Batch& batch, std::stop_token, auto) {
    for (const auto& record : batch.records()) lines.emplace_back(batch.line(record));
    batch.settle(logship::Fate::kDelivered);
    return logship::PushResult::kPushed;
  };
  std::stop_source stop;
  REQUIRE(input.run(stop.get_token(), sink));
  std::ranges::sort(lines);
  CHECK(lines == expected_lines(7));
  CHECK(input.counts().files == 7);
  CHECK(input.counts().files_waiting == 0);
  CHECK(input.unacknowledged() == 0);
  const auto entries = input.checkpoint_entries();
  REQUIRE(entries.size() == 7);
  for (const auto& entry : entries) CHECK(entry.offset == fs::file_size(entry.path));
}

TEST_CASE("a one-shot read beyond max_open_files waits for late acknowledgements") {
  TempDir dir(9);
  logship::MemoryBudget budget(64 << 20);
  logship::FileInput input(one_shot(dir.path, 3), budget);
  std::vector<logship::CheckpointEntry> entries;
  {
    LateAcks output;
    std::stop_source stop;
    REQUIRE(input.run(stop.get_token(), [&](logship::Batch& batch, std::stop_token, auto) {
      return output.take(std::move(batch)) ? logship::PushResult::kPushed
                                           : logship::PushResult::kClosed;
    }));
    CHECK(output.sorted_lines() == expected_lines(9));
  }
  entries = input.checkpoint_entries();
  CHECK(entries.size() == 9);
}

TEST_CASE("a one-shot read resumed from its checkpoints ships nothing again") {
  TempDir dir(5);
  logship::MemoryBudget budget(64 << 20);
  const logship::BatchSink settle = [](logship::Batch& batch, std::stop_token, auto) {
    batch.settle(logship::Fate::kDelivered);
    return logship::PushResult::kPushed;
  };
  logship::FileInput first(one_shot(dir.path, 2), budget);
  std::stop_source stop;
  REQUIRE(first.run(stop.get_token(), settle));
  auto options = one_shot(dir.path, 2);
  options.resume = first.checkpoint_entries();
  logship::FileInput second(std::move(options), budget);
  size_t records = 0;
  REQUIRE(second.run(stop.get_token(), [&](logship::Batch& batch, std::stop_token, auto) {
    records += batch.records().size();
    batch.settle(logship::Fate::kDelivered);
    return logship::PushResult::kPushed;
  }));
  CHECK(records == 0);
  CHECK(second.checkpoint_entries().size() == 5);
}
