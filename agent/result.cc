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

}  // namespace logship
