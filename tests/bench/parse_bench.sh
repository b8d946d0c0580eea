#!/usr/bin/env bash
# Parsing cost, file -> null: `logship tail --from-head --output null` with `--parser cri`
# on a CRI corpus and `--parser json` (its `ts` field read as the timestamp) on a JSON
# corpus, each as a ratio to `wc -l` and to `--parser none` on the same warm file in the
# same run, with CPU seconds per GiB and peak RSS. Targets (issue 7): json >= 0.1 of
# wc -l, cri >= 0.25 of wc -l.
# Usage: tests/bench/parse_bench.sh [SIZE_MIB=1024] [LOGSHIP=build/release/agent/logship]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
size_mib=${1:-1024}
logship=${2:-$here/../../build/release/agent/logship}
dir=${BENCH_DIR:-/tmp}

# Prints "wall_s cpu_s max_rss_kib" of a command; best of 3 by wall time.
measure() {
  /usr/bin/time -f "%e %U %S %M" -o "$dir/logship-parse-bench-time" "$@" >/dev/null 2>&1
  awk '{printf "%s %.3f %s\n", $1, $2 + $3, $4}' "$dir/logship-parse-bench-time"
}
best() { for _ in 1 2 3; do measure "$@"; done | sort -n | head -1; }

bench() {  # KIND PARSER [extra logship args...]
  local kind=$1 parser=$2
  shift 2
  local corpus=$dir/logship-bench-$kind-${size_mib}MiB.log
  [ -f "$corpus" ] || python3 "$here/gen_corpus.py" "$kind" "$size_mib" "$corpus"
  local bytes
  bytes=$(stat -c %s "$corpus")
  cat "$corpus" >/dev/null  # warm the page cache
  read -r wc_wall _ _ < <(best wc -l "$corpus")
  read -r none_wall none_cpu _ < <(best "$logship" tail --from-head --output null "$corpus")
  read -r p_wall p_cpu p_rss < <(best "$logship" tail --from-head --output null \
    --parser "$parser" "$@" "$corpus")
  awk -v b="$bytes" -v ww="$wc_wall" -v nw="$none_wall" -v nc="$none_cpu" -v pw="$p_wall" \
      -v pc="$p_cpu" -v rss="$p_rss" -v kind="$kind" -v parser="$parser" 'BEGIN {
    gib = b / 1073741824
    printf "%s corpus, %.2f GiB, --parser %s\n", kind, gib, parser
    printf "  wc -l          %7.3f s  %6.0f MB/s\n", ww, b / ww / 1e6
    printf "  --parser none  %7.3f s  %6.0f MB/s  %6.2f CPU s/GiB\n", nw, b / nw / 1e6, nc / gib
    printf "  --parser %-6s%7.3f s  %6.0f MB/s  %6.2f CPU s/GiB  peak RSS %.1f MiB\n",
           parser, pw, b / pw / 1e6, pc / gib, rss / 1024
    printf "  ratio to wc -l: %.3f   ratio to --parser none: %.3f\n", ww / pw, nw / pw
  }'
}

bench cri cri
# The JSON corpus's time is in "ts" (RFC 3339); LOGSHIP_BENCH_TS_ARGS passes whatever
# the CLI uses to select it (e.g. a config file), empty by default.
# shellcheck disable=SC2086
bench json json ${LOGSHIP_BENCH_TS_ARGS:-}
