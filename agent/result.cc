#include "agent/result.h"

#include <cerrno>
#include <cstring>
#include <string_view>

namespace logship {

std::string errno_message(std::string_view call, std::string_view object) {
  const int saved = errno;
  std::string message;
  message.append(call).append(" ").append(object).append(": ").append(std::strerror(saved));
  return message;
}

std::unexpected<Error> io_error(std::string_view call, std::string_view object) {
  const int saved = errno;
  return std::unexpected<Error>(Error{ErrorCode::kIo, errno_message(call, object), saved});
}

}  // namespace logship
