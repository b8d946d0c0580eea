#!/usr/bin/env bash
# Idle cost: `logship tail -f` on 1,000 quiet files, CPU averaged over a window read from
# /proc/PID/stat (utime + stime). Target: under 0.5 % of one core.
# SETTLE: seconds to wait after start-up before the window; beyond max_open_files (1,024)
# files take turns (closed after 2 s idle) until all are read: allow for it.
# Usage: tests/bench/idle_cpu.sh [LOGSHIP] [FILES] [SECONDS] [SETTLE=2]
set -euo pipefail

logship=${1:-build/release/agent/logship}
files=${2:-1000}
window=${3:-60}
settle=${4:-2}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

mkdir -p "$work/logs"
for i in $(seq -w 1 "$files"); do echo "line of file $i" > "$work/logs/f$i.log"; done

"$logship" tail -f --from-head --output null --data-dir "$work/data" "$work/logs/*.log" \
  2>"$work/err" &
pid=$!

ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
# Let start-up (discovery, the first read of every file) finish before measuring.
for _ in $(seq 50); do [[ -s "$work/data/checkpoints" ]] && break; sleep 0.1; done
sleep "$settle"
hz=$(getconf CLK_TCK)
before=$(ticks)
start=$(date +%s.%N)
sleep "$window"
after=$(ticks)
end=$(date +%s.%N)
rss_kib=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
open_fds=$(ls "/proc/$pid/fd" | wc -l)
watches=$(cat /proc/$pid/fdinfo/* 2>/dev/null | grep -c '^inotify wd:' || true)

awk -v t=$((after - before)) -v hz="$hz" -v s="$start" -v e="$end" -v f="$files" \
    -v rss="$rss_kib" -v fds="$open_fds" -v watches="$watches" 'BEGIN {
  cpu = t / hz; wall = e - s; pct = 100 * cpu / wall;
  printf "idle: %d quiet files, %.1f s window: cpu %.3f s = %.3f %% of one core (target < 0.5 %%); rss %.1f MiB; open fds %d; inotify watches %d\n",
         f, wall, cpu, pct, rss / 1024, fds, watches;
  exit (pct < 0.5 ? 0 : 1)
}'
