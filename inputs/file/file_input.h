#pragma once
// FileInput: the `file` input. Expands its globs once at start, tails every matching
// file, and hands batches to the pipeline, charging each read to the memory budget first
// (when the budget is spent it waits: the files on disk are the buffer). One-shot: reads
// every file to its end, ships held incomplete last lines, returns. Follow: keeps reading
// appends, woken by inotify, until stopped.
// Thread: run() on the input's own thread; counts() and unacknowledged() after it returns.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "agent/memory_budget.h"
#include "inputs/file/framer.h"
#include "inputs/file/tailer.h"
#include "inputs/input.h"

namespace logship {

struct FileInputOptions {
  std::string name;
  std::vector<std::string> paths;  // globs
  std::vector<std::string> exclude;
  StartPosition start;
  TailerOptions tailer;
  bool follow = false;
  std::chrono::milliseconds flush_partial_after{5000};
  std::vector<std::pair<std::string, std::string>> labels;
};

struct FileInputCounts {
  uint64_t files = 0;
  uint64_t bytes = 0;
  FramerCounts lines;
  ParseStats parse;
};

class FileInput final : public Input {
 public:
  FileInput(FileInputOptions options, MemoryBudget& budget)
      : options_(std::move(options)), budget_(&budget) {}

  Result<void> run(std::stop_token stop, const BatchSink& sink) override;
  uint64_t unacknowledged() const override;
  FileInputCounts counts() const;

 private:
  Result<void> open_files();
  // Reads every file until each is at its end; false when stopping.
  Result<bool> read_available(std::stop_token stop, const BatchSink& sink);
  bool flush_partials(std::stop_token stop, const BatchSink& sink,
                      std::chrono::steady_clock::time_point idle_since);

  FileInputOptions options_;
  MemoryBudget* budget_;
  std::vector<std::unique_ptr<Tailer>> tailers_;
  std::chrono::steady_clock::time_point last_data_;
};

// Regular files matching any glob and no exclude pattern, sorted, without duplicates.
std::vector<std::string> expand_globs(const std::vector<std::string>& globs,
                                      const std::vector<std::string>& exclude);

}  // namespace logship
