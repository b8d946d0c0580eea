#!/usr/bin/env bash
# file -> null throughput of `logship tail --from-head`, as a ratio to `wc -l` on the same
# warm file in the same run, plus CPU seconds per GiB and peak RSS.
# Usage: tests/bench/tail_bench.sh [SIZE_MIB=1024] [PARSER=none] [LOGSHIP=build/release/agent/logship]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
size_mib=${1:-1024}
parser=${2:-none}
logship=${3:-$here/../../build/release/agent/logship}
corpus=${BENCH_DIR:-/tmp}/logship-bench-json-${size_mib}MiB.log
[ -f "$corpus" ] || python3 "$here/gen_corpus.py" json "$size_mib" "$corpus"
bytes=$(stat -c %s "$corpus")
cat "$corpus" >/dev/null  # warm the page cache

# Prints "wall_s cpu_s max_rss_kib" of a command.
measure() {
  /usr/bin/time -f "%e %U %S %M" -o /tmp/logship-bench-time "$@" >/dev/null 2>/tmp/logship-bench-err
  awk '{printf "%s %.3f %s\n", $1, $2 + $3, $4}' /tmp/logship-bench-time
}

best() {  # best of 3 runs by wall time
  for _ in 1 2 3; do measure "$@"; done | sort -n | head -1
}

read -r wc_wall wc_cpu _ < <(best wc -l "$corpus")
parser_args=()
[ "$parser" = none ] || parser_args=(--parser "$parser")
read -r ls_wall ls_cpu ls_rss < <(best "$logship" tail --from-head --output null "${parser_args[@]}" "$corpus")
lines=$(grep -o 'lines=[0-9]*' /tmp/logship-bench-err | head -1 | cut -d= -f2)

awk -v b="$bytes" -v ww="$wc_wall" -v lw="$ls_wall" -v lc="$ls_cpu" -v rss="$ls_rss" \
    -v lines="$lines" -v parser="$parser" 'BEGIN {
  gib = b / 1073741824
  printf "corpus: %.2f GiB of ~250-byte JSON lines, %s records read, parser %s\n", gib, lines, parser
  printf "wc -l:   %.3f s  (%.0f MB/s)\n", ww, b / ww / 1e6
  printf "logship: %.3f s  (%.0f MB/s)\n", lw, b / lw / 1e6
  printf "throughput ratio to wc -l: %.2f\n", ww / lw
  printf "CPU s per GiB: %.3f\n", lc / gib
  printf "peak RSS: %.1f MiB\n", rss / 1024
}'
