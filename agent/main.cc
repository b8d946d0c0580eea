// logship: entry point. Everything else lives behind run_cli().
#include <malloc.h>

#include "agent/cli.h"

int main(int argc, char** argv) {
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
