// logship: entry point. Everything else lives behind run_cli().
#include <malloc.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "agent/cli.h"

namespace {

// Where the host hands out transparent huge pages only on request (`madvise`, the default
// of most distributions), starts this program again, once, with glibc's malloc asking for
// them (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, read only at process start). The agent's
// heap is touched a batch buffer and a Kafka message at a time; on 4 KiB pages every first
// touch is a page fault, and shipping 1 GiB to Kafka took about 25,000 of them: 20% of its
// CPU on this VM (2.39 -> 1.89 CPU s/GiB with huge pages, peak RSS about 1 MiB higher).
// An operator's own GLIBC_TUNABLES setting of glibc.malloc.hugetlb is left alone, so
// `GLIBC_TUNABLES=glibc.malloc.hugetlb=0` turns this off. If anything fails, the agent
// simply runs on as it is. Sanitizer builds replace malloc: nothing to ask for there.
#if !defined(__SANITIZE_ADDRESS__)
void restart_with_huge_page_heap(char** argv) {
  constexpr std::string_view kTunable = "glibc.malloc.hugetlb";
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::string_view(tunables).find(kTunable) != std::string_view::npos) {
    return;
  }
  std::string mode;
  std::getline(std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled"), mode);
  // "always" gives huge pages without asking, "never" refuses them.
  if (mode.find("[madvise]") == std::string::npos) return;
  // The binary's own path rather than /proc/self/exe, which would rename the process "exe".
  char self[PATH_MAX];
  const ssize_t length = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (length <= 0) return;
  self[length] = '\0';
  // The new program's environment: ours, with the tunable added to GLIBC_TUNABLES. Ours is
  // left as it is, in case the exec fails.
  std::string setting = "GLIBC_TUNABLES=" + std::string(kTunable) + "=1";
  if (tunables != nullptr && *tunables != '\0') setting += std::string(":") + tunables;
  std::vector<char*> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::string_view(*entry).starts_with("GLIBC_TUNABLES=")) continue;
    environment.push_back(*entry);
  }
  environment.push_back(setting.data());
  environment.push_back(nullptr);
  execve(self, argv, environment.data());  // returns only on failure (binary replaced, say)
}
#endif

}  // namespace

int main(int argc, char** argv) {
#if !defined(__SANITIZE_ADDRESS__)
  restart_with_huge_page_heap(argv);
#endif
  // One malloc arena: glibc reserves 64 MiB of address space per extra arena, which
  // would make the agent's footprint under `ulimit -v` / `prlimit --as` many times its
  // real use. Allocations are per batch, not per record, so the shared arena's lock is
  // not contended.
  mallopt(M_ARENA_MAX, 1);
  // Batch buffers (256 KiB and up) come and go all the time: serve them from the heap and
  // keep a few MiB of it instead of mmap/munmap and trimming on every batch, which costs
  // page faults (measured: about 0.6 CPU s/GiB of system time with the JSON parser).
  constexpr int kMiB = 1 << 20;
  mallopt(M_MMAP_THRESHOLD, 4 * kMiB);
  mallopt(M_TRIM_THRESHOLD, 8 * kMiB);
  return logship::run_cli(argc, argv);
}
