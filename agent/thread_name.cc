#include "agent/thread_name.h"

#include <pthread.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace logship {

void name_this_thread(const char* name) {
  constexpr size_t kMaxName = 15;  // the kernel's TASK_COMM_LEN less the terminating NUL
  const std::string cut(name, std::min(std::strlen(name), kMaxName));
  pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace logship
