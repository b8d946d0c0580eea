#pragma once
// Result<T>: errors as values at component boundaries. An Error carries a code that says
// what a caller may do about it and a message naming the object and the failing call.

#include <expected>
#include <string>
#include <utility>

namespace logship {

enum class ErrorCode {
  kInvalidConfig,  // the user must fix the configuration or the command line
  kIo,             // a system call failed on a file, socket or pipe
  kRetryable,      // a transient failure: try again later
  kRejected,       // permanently refused by the destination
  kShutdown,       // stopped because the agent is shutting down
};

struct Error {
  ErrorCode code;
  std::string message;
  int system_error = 0;  // errno of the failing system call (kIo), 0 when there was none
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> make_error(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

// "open /var/log/x.log: No such file or directory" from the current errno.
std::string errno_message(std::string_view call, std::string_view object);

// A kIo error from the current errno: errno_message's text, the errno kept.
std::unexpected<Error> io_error(std::string_view call, std::string_view object);

}  // namespace logship
