#pragma once
// Names the calling thread so `top -H`, `ps -L` and /proc/PID/task show which stage spends
// the CPU. At most 15 characters (the kernel's limit): a longer name is refused and the
// thread keeps the one it had.

namespace logship {

void name_this_thread(const char* name);

}  // namespace logship
