#pragma once
// StdoutOutput: writes each record to a file descriptor (stdout for `logship tail`), as
// the raw line or as one JSON object per line, and settles the batch delivered once the
// bytes are written. A write error ends the output: kShutdown when the reader is gone
// (EPIPE: the run ends quietly, what was not written stays in flight), kIo otherwise.
// Thread: the pipeline's output thread.

#include "agent/config.h"
#include "outputs/output.h"

namespace logship {

class StdoutOutput final : public Output {
 public:
  StdoutOutput(int fd, RecordFormat format) : fd_(fd), format_(format) {}

  Result<void> send(Batch batch, std::stop_token stop) override;
  bool drain(std::chrono::steady_clock::time_point) override { return true; }

 private:
  int fd_;
  RecordFormat format_;
  std::string buffer_;  // reused between batches
};

}  // namespace logship
