#pragma once
// Names the calling thread so `top -H`, `ps -L` and /proc/PID/task show which stage spends
// the CPU. Linux keeps at most 15 characters; longer names are cut.

namespace logship {

void name_this_thread(const char* name);

}  // namespace logship
