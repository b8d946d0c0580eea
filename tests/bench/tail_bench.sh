#!/usr/bin/env bash
# file -> null throughput of `logship tail --from-head`, as a ratio to `wc -l` on the same
# warm file in the same run, plus CPU seconds per GiB, peak RSS, and the lines the agent
# delivered (its summary's `lines=`) against the lines written (`wc -l`).
# KIND is the corpus gen_corpus.py writes: json (~250-byte lines), nginx (combined access
# log) or cri (container runtime lines, 2% P partials).
# Usage: tests/bench/tail_bench.sh [SIZE_MIB=1024] [PARSER=none] [KIND=json] [LOGSHIP=build/release/agent/logship]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
size_mib=${1:-1024}
parser=${2:-none}
kind=${3:-json}
logship=${4:-$here/../../build/release/agent/logship}
case "$kind" in
  json | nginx | cri) ;;
  *) echo "tail_bench.sh: KIND must be json, nginx or cri, not '$kind'" >&2; exit 2 ;;
esac
corpus=${BENCH_DIR:-/tmp}/logship-bench-$kind-${size_mib}MiB.log
[ -f "$corpus" ] || python3 "$here/gen_corpus.py" "$kind" "$size_mib" "$corpus"
bytes=$(stat -c %s "$corpus")
cat "$corpus" >/dev/null  # warm the page cache
scratch=$(mktemp -d)  # the last run's time, stdout and stderr
trap 'rm -rf "$scratch"' EXIT

# Prints "wall_s cpu_s max_rss_kib" of a command.
measure() {
  /usr/bin/time -f "%e %U %S %M" -o "$scratch/time" "$@" >"$scratch/out" \
    2>"$scratch/err"
  awk '{printf "%s %.3f %s\n", $1, $2 + $3, $4}' "$scratch/time"
}

best() {  # best of 3 runs by wall time
  for _ in 1 2 3; do measure "$@"; done | sort -n | head -1
}

read -r wc_wall _ _ < <(best wc -l "$corpus")
written=$(awk '{print $1}' "$scratch/out")  # the last wc -l run's count
parser_args=()
[ "$parser" = none ] || parser_args=(--parser "$parser")
read -r ls_wall ls_cpu ls_rss < <(best "$logship" tail --from-head --output null "${parser_args[@]}" "$corpus")
lines=$(grep -o ' lines=[0-9]*' "$scratch/err" | head -1 | cut -d= -f2)

awk -v b="$bytes" -v ww="$wc_wall" -v lw="$ls_wall" -v lc="$ls_cpu" -v rss="$ls_rss" \
    -v lines="$lines" -v written="$written" -v parser="$parser" -v kind="$kind" 'BEGIN {
  gib = b / 1073741824
  printf "corpus: %.2f GiB of %s lines, parser %s\n", gib, kind, parser
  printf "lines delivered / written: %s / %s%s\n", lines, written,
         lines == written ? "" : "  MISMATCH"
  printf "wc -l:   %.3f s  (%.0f MB/s)\n", ww, b / ww / 1e6
  printf "logship: %.3f s  (%.0f MB/s)\n", lw, b / lw / 1e6
  printf "throughput ratio to wc -l: %.2f\n", ww / lw
  printf "CPU s per GiB: %.3f\n", lc / gib
  printf "peak RSS: %.1f MiB\n", rss / 1024
}'
