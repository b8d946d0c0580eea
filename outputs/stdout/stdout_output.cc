#include "outputs/stdout/stdout_output.h"

#include <unistd.h>

#include <cerrno>

#include "outputs/encoding/json_record.h"

namespace logship {
namespace {

Result<void> write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      // The reader left (`logship tail ... | head`): the end of the run, not a failure.
      if (errno == EPIPE) return make_error(ErrorCode::kShutdown, "stdout closed by its reader");
      return make_error(ErrorCode::kIo, errno_message("write", "stdout"));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

}  // namespace

Result<void> StdoutOutput::send(Batch batch, std::stop_token) {
  buffer_.clear();
  for (const Record& record : batch.records()) {
    if (format_ == RecordFormat::kJson) {
      append_json_record(buffer_, batch, record);
    } else {
      buffer_ += batch.line(record);
    }
    buffer_ += '\n';
  }
  if (auto written = write_all(fd_, buffer_); !written) return written;
  batch.settle(Fate::kDelivered);
  return {};
}

}  // namespace logship
