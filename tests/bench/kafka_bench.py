#!/usr/bin/env python3
"""file -> Kafka benchmark: `logship run` ships a JSON corpus to the mock cluster (3 brokers,
a 6-partition topic per run, leaders spread two per broker) with compression "none" and then
"zstd", and reports for each: MB/s and lines/s (against `wc -l` on the same warm file, same
run), the agent's CPU s/GiB, its peak RSS against memory_limit, and the mock cluster's own
CPU over the run (so it is known not to be the bottleneck). Not run by ctest.

A run ends when the partitions' high watermarks hold every line (the mock keeps only the
newest ~5 MiB per partition, so lines are counted, not read back), then logship gets
SIGTERM. Usage:

  tests/bench/kafka_bench.py [--size-mib 1024] [--build build/release]
                             [--memory-limit 64MiB] [--codecs none,zstd]
                             [--property librdkafka.name=value ...]
"""

import argparse
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def parse_size(text):
    units = {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return int(text[:-len(suffix)]) * factor
    return int(text)


def wc_lines(corpus):
    best, lines = None, 0
    for _ in range(3):
        start = time.monotonic()
        out = subprocess.run(["wc", "-l", corpus], capture_output=True, text=True, check=True)
        elapsed = time.monotonic() - start
        best = elapsed if best is None else min(best, elapsed)
        lines = int(out.stdout.split()[0])
    return best, lines


def start_mock(mock, topics):
    args = [mock, "--brokers", "3", "--spread-leaders"]
    for topic in topics:
        args += ["--topic", topic, "--partitions", "6"]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    bootstrap = proc.stdout.readline().strip()
    if not bootstrap:
        sys.exit("mock_kafka did not start")
    return proc, bootstrap


def run_once(args, bootstrap, mock_pid, corpus, lines, codec, workdir):
    topic = "bench-" + codec
    config = os.path.join(workdir, f"{codec}.toml")
    with open(config, "w") as f:
        f.write(f"""
[agent]
data_dir = "{workdir}/data-{codec}"
memory_limit = "{args.memory_limit}"
metrics_listen = ""

[[inputs]]
name = "bench"
paths = ["{corpus}"]
start_at = "head"

[[outputs]]
name = "kafka"
type = "kafka"
brokers = ["{bootstrap}"]
topic = "{topic}"
compression = "{codec}"
""")
        if args.property:
            f.write("\n[outputs.properties]\n")
            for setting in args.property:
                name, value = setting.split("=", 1)
                f.write(f'"{name}" = "{value}"\n')
    logship = os.path.join(args.build, "agent", "logship")
    consume = os.path.join(args.build, "tests", "tools", "kafka_consume")
    mock_cpu_before = cpu_seconds(mock_pid)
    start = time.monotonic()
    proc = subprocess.Popen([logship, "run", "-c", config], stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(workdir, f"logship-{codec}.log"), "wb"))
    # kafka_consume polls the watermarks every 100 ms until every line is in; an agent that
    # exits first (a bad config, a port in use) ends the run instead of the 1800 s timeout.
    consumer = subprocess.Popen([consume, "--brokers", bootstrap, "--topic", topic,
                                 "--watermarks", "--expect", str(lines), "--timeout", "1800"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    consumer_fd, agent_fd = os.pidfd_open(consumer.pid), os.pidfd_open(proc.pid)
    ready, _, _ = select.select([consumer_fd, agent_fd], [], [])  # whichever ends first
    os.close(consumer_fd)
    os.close(agent_fd)
    if consumer_fd not in ready:
        consumer.kill()
        consumer.wait()
        with open(os.path.join(workdir, f"logship-{codec}.log")) as log:
            sys.exit(f"{codec}: logship exited with {proc.wait()} before every line arrived:\n"
                     f"{log.read()}")
    consumer.wait()
    elapsed = time.monotonic() - start
    agent_cpu, agent_rss = cpu_seconds(proc.pid), peak_rss(proc.pid)
    mock_cpu = cpu_seconds(mock_pid) - mock_cpu_before
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    if consumer.returncode != 0:
        sys.exit(f"{codec}: not every line arrived: {consumer.stderr.read().strip()}")
    return elapsed, agent_cpu, agent_rss, mock_cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    parser.add_argument("--memory-limit", default="64MiB")
    parser.add_argument("--codecs", default="none,zstd")
    parser.add_argument("--property", action="append", default=[],
                        help="a librdkafka setting NAME=VALUE passed through; repeatable")
    args = parser.parse_args()
    codecs = args.codecs.split(",")

    corpus = os.path.join(os.environ.get("BENCH_DIR", "/tmp"),
                          f"logship-bench-json-{args.size_mib}MiB.log")
    if not os.path.exists(corpus):
        subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"), "json",
                        str(args.size_mib), corpus], check=True)
    size = os.path.getsize(corpus)
    gib = size / (1 << 30)
    wc_wall, lines = wc_lines(corpus)  # also warms the page cache
    print(f"corpus: {gib:.2f} GiB, {lines} JSON lines; memory_limit {args.memory_limit}; "
          f"mock: 3 brokers, 6 partitions")
    print(f"wc -l: {wc_wall:.3f} s ({size / wc_wall / 1e6:.0f} MB/s)")

    mock, bootstrap = start_mock(os.path.join(args.build, "tests", "tools", "mock_kafka"),
                                 ["bench-" + codec for codec in codecs])
    try:
        with tempfile.TemporaryDirectory(prefix="logship-kafka-bench-") as workdir:
            for codec in codecs:
                elapsed, cpu, rss, mock_cpu = run_once(args, bootstrap, mock.pid, corpus, lines,
                                                       codec, workdir)
                limit = parse_size(args.memory_limit)
                print(f"compression={codec}: {elapsed:.2f} s, {size / elapsed / 1e6:.0f} MB/s, "
                      f"{lines / elapsed:,.0f} lines/s, ratio to wc -l {wc_wall / elapsed:.3f}; "
                      f"agent CPU {cpu:.2f} s = {cpu / gib:.2f} CPU s/GiB; "
                      f"peak RSS {rss / (1 << 20):.1f} MiB "
                      f"(memory_limit {(rss - limit) / (1 << 20):+.1f} MiB); "
                      f"mock CPU {mock_cpu:.2f} s = {mock_cpu / gib:.2f} s/GiB")
    finally:
        mock.stdin.close()
        mock.wait(timeout=30)


if __name__ == "__main__":
    main()
