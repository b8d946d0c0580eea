// logship: entry point. Everything else lives behind run_cli().
#include <malloc.h>

#include "agent/cli.h"

int main(int argc, char** argv) {
  // One malloc arena: glibc reserves 64 MiB of address space per extra arena, which
  // would make the agent's footprint under `ulimit -v` / `prlimit --as` many times its
  // real use. Allocations are per batch, not per record, so the shared arena's lock is
  // not contended.
  mallopt(M_ARENA_MAX, 1);
  return logship::run_cli(argc, argv);
}
