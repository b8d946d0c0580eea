"""/metrics, /health and /ready of `logship run`: the exposition parses as strict
Prometheus text format, its counters equal what was shipped, per-file lag falls to 0 once
everything is acknowledged, and a Loki output (against tests/tools/loki_receiver, told to
answer 500 a few times) has its retries, latency histogram and own counters."""

import json
import os
import re
import select
import signal
import subprocess
import urllib.request

import harness

LINES = 50_000
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(rf'^({NAME})(\{{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\}})? '
                    r'(-?(?:[0-9.]+(?:e[+-]?[0-9]+)?|\+Inf|-Inf|NaN))$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"')


def parse_exposition(text):
    """Strict parse: TYPE before samples of a family, valid names, labels and values.
    Returns {(name, frozenset(labels)): value}."""
    types, samples = {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert name not in types, f"TYPE twice for {name}"
            types[name] = kind
            continue
        match = SAMPLE.match(line)
        assert match, f"not a valid sample line: {line!r}"
        name = match.group(1)
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        assert family in types, f"sample {name} before its TYPE line"
        labels = frozenset(LABEL.findall(match.group(2) or ""))
        assert (name, labels) not in samples, f"duplicate series {line}"
        samples[(name, labels)] = float(match.group(3))
    return samples


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return r.status, r.read().decode()


def scrape(port):
    status, text = get(port, "/metrics")
    assert status == 200, status
    return parse_exposition(text)


def check_histogram(test, samples, name, labels):
    """The buckets of one series are cumulative and end in +Inf == _count; returns _count."""
    buckets = sorted((float(dict(key)["le"]), value) for (n, key), value in samples.items()
                     if n == name + "_bucket" and labels <= key)
    test.assertTrue(buckets, f"no {name}_bucket series for {set(labels)}")
    test.assertEqual(buckets[-1][0], float("inf"))
    counts = [value for _, value in buckets]
    test.assertEqual(counts, sorted(counts), "buckets are cumulative")
    count = samples[(name + "_count", labels)]
    test.assertEqual(buckets[-1][1], count)
    test.assertIn((name + "_sum", labels), samples)
    return count


class Metrics(harness.TempDirTest):
    def test_counters_equal_the_lines_shipped(self):
        port = harness.free_port()
        self.write("app.log", b"".join(b"line %d\n" % i for i in range(LINES)))
        config = self.write("logship.toml", f"""
[agent]
data_dir = "{self.dir}/data"
metrics_listen = "127.0.0.1:{port}"
[[inputs]]
name = "app"
paths = ["{self.dir}/app.log"]
start_at = "head"
[[outputs]]
name = "out"
type = "stdout"
""".encode())
        with open(self.path("out.txt"), "wb") as out:
            agent = subprocess.Popen([harness.LOGSHIP, "run", "-c", config], stdout=out,
                                     stderr=subprocess.PIPE)
        try:
            def shipped():
                with open(self.path("out.txt"), "rb") as f:
                    return f.read().count(b"\n")

            harness.wait_until(lambda: shipped() == LINES, 60, f"{LINES} lines shipped")
            self.assertEqual(get(port, "/health")[0], 200)
            self.assertEqual(get(port, "/ready")[0], 200)
            out = frozenset({("output", "out")})
            app = frozenset({("input", "app")})
            app_log = frozenset({("input", "app"), ("path", f"{self.dir}/app.log")})
            # Acknowledgement follows the write to stdout: the lag gets to 0 just after.
            harness.wait_until(
                lambda: scrape(port).get(("logship_file_lag_bytes", app_log)) == 0, 20,
                "the file's lag to reach 0")
            samples = scrape(port)
            self.assertEqual(samples[("logship_output_sent_records_total", out)], LINES)
            self.assertEqual(samples[("logship_input_read_lines_total", app)], LINES)
            self.assertEqual(samples[("logship_memory_limit_bytes", frozenset())], 64 << 20)
            self.assertEqual(samples[("logship_input_lag_bytes", app)], 0)
            self.assertEqual(samples[("logship_input_open_files", app)], 1)
            self.assertEqual(samples[("logship_input_rotations_total", app)], 0)
            self.assertEqual(samples[("logship_input_truncations_total", app)], 0)
            for name in ("logship_output_retries_total", "logship_output_rejected_records_total",
                         "logship_output_dropped_batches_total",
                         "logship_output_in_flight_requests"):
                self.assertEqual(samples[(name, out)], 0, name)
            # stdout makes no requests: its histogram exists and is empty.
            self.assertEqual(check_histogram(self, samples,
                                             "logship_output_request_duration_seconds", out), 0)

            # A file appended to while it is followed lags until it is shipped.
            with open(self.path("app.log"), "ab") as f:
                f.write(b"one more\n")
            harness.wait_until(lambda: shipped() == LINES + 1, 20, "the appended line")
            harness.wait_until(
                lambda: scrape(port).get(("logship_file_lag_bytes", app_log)) == 0, 20,
                "the lag to return to 0")
            agent.send_signal(signal.SIGTERM)
            self.assertEqual(agent.wait(timeout=20), 0)
        finally:
            if agent.poll() is None:
                agent.kill()

    def test_a_loki_output_reports_retries_latency_and_its_own_counters(self):
        receiver_bin = os.environ.get("LOKI_RECEIVER")
        if not receiver_bin:
            self.fail("set LOKI_RECEIVER to the loki_receiver binary")
        receiver = subprocess.Popen([receiver_bin, "--store", self.path("accepted.jsonl")],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.addCleanup(receiver.wait, 10)
        self.addCleanup(receiver.stdin.close)
        self.addCleanup(receiver.stdout.close)
        ready, _, _ = select.select([receiver.stdout], [], [], 10)
        self.assertTrue(ready, "loki_receiver did not print its port")
        loki_port = int(receiver.stdout.readline())

        def loki(path, body=None):
            request = urllib.request.Request(f"http://127.0.0.1:{loki_port}{path}", data=body)
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.read()

        loki("/control", b"500 count=3\n")
        port = harness.free_port()
        lines = 5000
        self.write("app.log", b"".join(b"line %d\n" % i for i in range(lines)))
        config = self.write("logship.toml", f"""
[agent]
data_dir = "{self.dir}/data"
metrics_listen = "127.0.0.1:{port}"
[[inputs]]
name = "app"
paths = ["{self.dir}/app.log"]
start_at = "head"
labels = {{ job = "app" }}
[[outputs]]
name = "loki"
type = "loki"
url = "http://127.0.0.1:{loki_port}/loki/api/v1/push"
min_backoff = "10ms"
max_backoff = "50ms"
""".encode())
        with open(self.path("err.txt"), "wb") as err:
            agent = subprocess.Popen([harness.LOGSHIP, "run", "-c", config],
                                     stdout=subprocess.DEVNULL, stderr=err)
        try:
            loki_out = frozenset({("output", "loki")})
            app_log = frozenset({("input", "app"), ("path", f"{self.dir}/app.log")})
            harness.wait_until(
                lambda: json.loads(loki("/stats"))["accepted_entries"] == lines, 30,
                f"{lines} entries accepted by the receiver")
            harness.wait_until(
                lambda: scrape(port).get(("logship_file_lag_bytes", app_log)) == 0, 20,
                "the file's lag to reach 0")
            samples = scrape(port)
            requests = samples[("logship_loki_requests_total", loki_out)]
            self.assertEqual(samples[("logship_output_retries_total", loki_out)], 3)
            self.assertEqual(requests, json.loads(loki("/stats"))["requests"])
            self.assertEqual(samples[("logship_loki_delivered_records_total", loki_out)], lines)
            self.assertEqual(samples[("logship_loki_rejected_requests_total", loki_out)], 0)
            self.assertEqual(samples[("logship_output_rejected_records_total", loki_out)], 0)
            self.assertEqual(samples[("logship_loki_streams", loki_out)], 1)
            self.assertEqual(samples[("logship_loki_records_over_stream_limit_total", loki_out)],
                             0)
            self.assertGreater(samples[("logship_loki_sent_body_bytes_total", loki_out)], 0)
            self.assertEqual(samples[("logship_output_in_flight_requests", loki_out)], 0)
            self.assertEqual(samples[("logship_output_sent_records_total", loki_out)], lines)
            # Every push attempt, the failed ones too, is one latency observation.
            self.assertEqual(check_histogram(self, samples,
                                             "logship_output_request_duration_seconds",
                                             loki_out), requests)
            agent.send_signal(signal.SIGTERM)
            self.assertEqual(agent.wait(timeout=20), 0)
        finally:
            if agent.poll() is None:
                agent.kill()
                agent.wait()


if __name__ == "__main__":
    harness.main()
