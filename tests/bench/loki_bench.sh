#!/usr/bin/env bash
# File -> Loki benchmark (issue 6): logship ships a JSON corpus into loki_receiver with one
# label set and with ten, each both without parsing (--parser none) and with the JSON
# parser. Ten label sets without parsing come from the corpus split into ten files: one
# input with a label per file (`filename={file.path}`), and ten inputs of `logship run`
# (ten pipelines), each with its own static label; with the parser they are templated
# from a field (`svc={fields.svc}`). Prints MB/s, the ratio to `wc -l` on the same warm
# files, logship's CPU s/GiB, peak RSS against memory_limit, and the receiver's own
# ceiling (bytes per receiver CPU second), so it is visibly not the bottleneck. Also runs
# loki_output_bench: the output alone.
#
# Usage: tests/bench/loki_bench.sh [BUILD_DIR]   (default build/release)
# Env:   SIZE_MB (default 1024), BENCH_DIR (default /tmp/logship-loki-bench),
#        MEMORY_LIMIT (default 64MiB)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$repo/build/release}
logship=$build/agent/logship
receiver=$build/tests/tools/loki_receiver
output_bench=$build/tests/loki/loki_output_bench
size_mb=${SIZE_MB:-1024}
dir=${BENCH_DIR:-/tmp/logship-loki-bench}
memory_limit=${MEMORY_LIMIT:-64MiB}
for binary in "$logship" "$receiver"; do
  [ -x "$binary" ] || { echo "missing $binary: build it first" >&2; exit 2; }
done

# Deterministic corpus: ~250-byte JSON lines, four files, `svc` cycling over ten values.
mkdir -p "$dir"
if [ ! -f "$dir/.done-$size_mb" ]; then
  rm -f "$dir"/*.log "$dir"/.done-*
  python3 - "$dir" "$size_mb" <<'PY'
import sys, time
directory, size_mb = sys.argv[1], int(sys.argv[2])
stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
per_file = size_mb * 1024 * 1024 // 4
levels = ["debug", "info", "info", "info", "warn", "error"]
for f in range(4):
    written, i, chunk = 0, 0, []
    with open(f"{directory}/bench{f}.log", "w") as out:
        while written < per_file:
            line = (f'{{"time":"{stamp}.{i % 1000000:06d}Z","level":"{levels[i % 6]}",'
                    f'"svc":"svc{i % 10}","seq":{i},"msg":"request handled",'
                    f'"path":"/api/v1/items/{i % 997}","status":200,"duration_ms":{i % 250}.5,'
                    f'"user":"u{i % 113}","trace":"4bf92f3577b34da6a3ce929d0e0e{i % 10000:04d}"}}\n')
            chunk.append(line)
            written += len(line)
            i += 1
            if len(chunk) == 10000:
                out.write("".join(chunk))
                chunk = []
        out.write("".join(chunk))
PY
  touch "$dir/.done-$size_mb"
fi
files=("$dir"/bench*.log)
bytes=$(cat "${files[@]}" | wc -c)
cat "${files[@]}" > /dev/null  # warm the page cache

start=$(date +%s.%N)
wc -l "${files[@]}" > /dev/null
wc_s=$(echo "$(date +%s.%N) - $start" | bc -l)

ticks=$(getconf CLK_TCK)
cpu_of() { awk -v t="$ticks" '{printf "%.2f", ($14 + $15) / t}' "/proc/$1/stat"; }

# The same bytes in ten files, for the ten-input case.
mkdir -p "$dir/ten"
if [ ! -f "$dir/ten/.done-$size_mb" ]; then
  rm -f "$dir"/ten/part*.log "$dir"/ten/.done-*
  cat "${files[@]}" > "$dir/ten/all"
  (cd "$dir/ten" && split -n l/10 -d --additional-suffix=.log all part && rm all)
  touch "$dir/ten/.done-$size_mb"
fi
ten_files=("$dir"/ten/part*.log)
cat "${ten_files[@]}" > /dev/null
lines=$(cat "${files[@]}" | wc -l)

# Starts a receiver; sets receiver_pid and port.
start_receiver() {
  coproc RECEIVER { exec "$receiver"; }
  receiver_pid=$RECEIVER_PID
  read -r port <&"${RECEIVER[0]}"
}
receiver_stats() {
  python3 -c "import urllib.request;print(urllib.request.urlopen('http://127.0.0.1:$port/stats').read().decode())"
}

# Prints one result line. Args: name wall user sys rss_kb stats
report() {
  local receiver_cpu
  receiver_cpu=$(cpu_of "$receiver_pid")
  kill "$receiver_pid" 2> /dev/null || true
  wait "$receiver_pid" 2> /dev/null || true
  python3 - "$1" "$bytes" "$2" "$3" "$4" "$5" "$wc_s" "$receiver_cpu" "$memory_limit" "$6" <<'PY'
import json, sys
name, size, wall, user, sys_s, rss_kb, wc_s, rcpu, limit, stats = sys.argv[1:]
size, wall, cpu, rss, wc_s, rcpu = (int(size), float(wall), float(user) + float(sys_s),
                                    int(rss_kb) / 1024, float(wc_s), float(rcpu))
gib = size / 2**30
stats = json.loads(stats)
units = {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}
limit_mib = next(float(limit[:-3]) * f for u, f in units.items() if limit.endswith(u))
print(f"{name}: {size / 1e6 / wall:.0f} MB/s ({wall:.2f} s; wc -l {wc_s:.2f} s, "
      f"ratio {wall / wc_s:.1f}x), {cpu / gib:.2f} CPU s/GiB, peak RSS {rss:.0f} MiB "
      f"(limit {limit_mib:.0f} MiB + 16 = {limit_mib + 16:.0f}), "
      f"accepted {stats['accepted_entries']} entries in {stats['streams']} streams, "
      f"receiver ceiling {stats['accepted_bytes'] / 1e6 / max(rcpu, 0.01):.0f} MB/s per core")
PY
}

# `logship tail` over the four files (or those in `case_files`). Args: name parser
# [logship args...]
tail_case() {
  local name=$1 parser=$2
  shift 2
  local inputs=("${files[@]}")
  [ -z "${case_files+x}" ] || inputs=("${case_files[@]}")
  start_receiver
  local log=$dir/time.$name
  /usr/bin/time -f "%e %U %S %M" -o "$log" "$logship" tail --from-head --parser "$parser" \
    --memory-limit "$memory_limit" --output loki \
    --loki-url "http://127.0.0.1:$port/loki/api/v1/push" "$@" -- "${inputs[@]}" \
    > /dev/null 2> "$dir/stderr.$name" || { echo "$name: logship failed:"; cat "$dir/stderr.$name"; }
  local wall user sys rss_kb
  read -r wall user sys rss_kb < "$log"
  report "$name" "$wall" "$user" "$sys" "$rss_kb" "$(receiver_stats)"
}

# `logship run` with ten inputs, one file and one static label each, until the receiver
# holds every line; then SIGTERM (its drain and exit count in the CPU time, not the wall).
ten_inputs_case() {
  local name=$1
  start_receiver
  local config=$dir/ten.toml data=$dir/ten-data
  rm -rf "$data"
  mkdir -p "$data"
  {
    printf '[agent]\ndata_dir = "%s"\nmemory_limit = "%s"\nmetrics_listen = ""\n' \
      "$data" "$memory_limit"
    local i names=""
    for i in "${!ten_files[@]}"; do
      printf '[[inputs]]\nname = "part%d"\npaths = ["%s"]\nstart_at = "head"\n' "$i" "${ten_files[$i]}"
      printf 'labels = { job = "bench", part = "%d" }\n' "$i"
      names+="\"part$i\","
    done
    printf '[[outputs]]\nname = "loki"\ntype = "loki"\ninputs = [%s]\n' "${names%,}"
    printf 'url = "http://127.0.0.1:%s/loki/api/v1/push"\n' "$port"
  } > "$config"
  local log=$dir/time.$name
  local start
  start=$(date +%s.%N)
  /usr/bin/time -f "%e %U %S %M" -o "$log" "$logship" run -c "$config" \
    > /dev/null 2> "$dir/stderr.$name" &
  local time_pid=$!
  local stats
  while stats=$(receiver_stats) &&
    [ "$(python3 -c "import json,sys;print(json.loads(sys.argv[1])['accepted_entries'])" "$stats")" -lt "$lines" ]; do
    kill -0 "$time_pid" 2> /dev/null || { echo "$name: logship exited:"; cat "$dir/stderr.$name"; break; }
    sleep 0.05
  done
  local wall
  wall=$(echo "$(date +%s.%N) - $start" | bc -l)
  kill -TERM "$(pgrep -P "$time_pid")" 2> /dev/null || true
  wait "$time_pid" || true
  local user sys rss_kb
  read -r _ user sys rss_kb < "$log"
  report "$name" "$wall" "$user" "$sys" "$rss_kb" "$stats"
}

echo "corpus: $((bytes / 1048576)) MiB in ${#files[@]} files ($lines lines), memory_limit $memory_limit"
tail_case one_label_set_raw none --label=job=bench
case_files=("${ten_files[@]}")
tail_case ten_label_sets_raw_label_per_file none --label=job=bench "--label=filename={file.path}"
unset case_files
ten_inputs_case ten_label_sets_raw_ten_inputs
tail_case one_label_set_json json --label=job=bench
tail_case ten_label_sets_json json --label=job=bench "--label=svc={fields.svc}"

if [ -x "$output_bench" ]; then
  coproc RECEIVER { exec "$receiver"; }
  read -r port <&"${RECEIVER[0]}"
  "$output_bench" "http://127.0.0.1:$port" "$size_mb" 1
  "$output_bench" "http://127.0.0.1:$port" "$size_mb" 10
  kill "$RECEIVER_PID" 2> /dev/null || true
fi
