"""The ledger of `logship run`: every line read ends in one counted outcome. Filters count
what they drop, multi-line records and split lines count the file lines they carry, and
the exported identity read == delivered + filtered + rejected + dropped + in flight holds
at every scrape, also while the output fails and recovers."""

import json
import os
import select
import signal
import subprocess
import threading
import time
import urllib.request

import harness
import ledger


class Ledger(harness.TempDirTest):
    def start_agent(self, inputs, output, port):
        config = self.write("logship.toml", f"""
[agent]
data_dir = "{self.dir}/data"
metrics_listen = "127.0.0.1:{port}"
{inputs}
{output}
""".encode())
        out = open(self.path("out.txt"), "wb")
        self.addCleanup(out.close)
        agent = subprocess.Popen([harness.LOGSHIP, "run", "-c", config], stdout=out,
                                 stderr=subprocess.PIPE)

        def stop():
            if agent.poll() is None:
                agent.kill()
            agent.wait()
            agent.stderr.close()
        self.addCleanup(stop)
        return agent

    def stop_agent(self, agent):
        agent.send_signal(signal.SIGTERM)
        self.assertEqual(agent.wait(timeout=30), 0, agent.stderr.read().decode(errors="replace"))

    def wait_settled(self, port, input_name, output_name, lines):
        harness.wait_until(lambda: ledger.settled_at(port, input_name, output_name, lines), 60,
                           f"{lines} lines read and settled")
        return ledger.from_metrics(port, input_name, output_name)

    def test_drop_if_counts_what_it_filters_and_delivers_the_rest(self):
        lines = 30_000
        levels = ("debug", "info", "warn")
        self.write("app.log", b"".join(b'{"level":"%s","n":%d}\n' % (levels[i % 3].encode(), i)
                                       for i in range(lines)))
        port = harness.free_port()
        agent = self.start_agent(f"""
[[inputs]]
name = "app"
paths = ["{self.dir}/app.log"]
start_at = "head"
parser = "json"
drop_if = [{{ field = "level", matches = "^debug$" }}]
""", """
[[outputs]]
name = "out"
type = "stdout"
""", port)
        got = self.wait_settled(port, "app", "out", lines)
        ledger.check(got, lines, filtered=lines // 3)
        self.stop_agent(agent)
        with open(self.path("out.txt"), "rb") as f:
            shipped = f.read().splitlines()
        self.assertEqual(len(shipped), lines - lines // 3)
        self.assertFalse([line for line in shipped if b'"debug"' in line])

    def test_stack_traces_and_split_lines_count_the_file_lines_they_carry(self):
        traces, trace_lines, long_lines = 200, 40, 8
        chunks = []
        for i in range(traces):
            chunks.append(b"2026-12-07 12:00:%02d ERROR request %d failed\n" % (i % 60, i))
            chunks += [b"\tat com.example.Frame%d(Frame.java:%d)\n" % (j, j)
                       for j in range(trace_lines - 1)]
            if i % (traces // long_lines) == 0:
                prefix = b"2026-12-07 12:00:00 INFO "
                chunks.append(prefix + b"x" * ((1 << 20) - len(prefix)) + b"\n")
        self.write("app.log", b"".join(chunks))
        written = traces * trace_lines + long_lines
        port = harness.free_port()
        agent = self.start_agent(f"""
[[inputs]]
name = "app"
paths = ["{self.dir}/app.log"]
start_at = "head"
max_line_bytes = "256KiB"
multiline = {{ start_pattern = '^\\d{{4}}-', max_lines = 500, flush_after = "200ms" }}
""", """
[[outputs]]
name = "out"
type = "null"
""", port)
        got = self.wait_settled(port, "app", "out", written)
        ledger.check(got, written)
        samples = ledger.scrape(port)
        app = frozenset({("input", "app")})
        # Each 1 MiB line went out as four 256 KiB pieces: counted split, once per line.
        self.assertEqual(samples[("logship_input_split_lines_total", app)], long_lines)
        self.assertEqual(samples[("logship_output_sent_records_total",
                                  frozenset({("output", "out")}))],
                         traces + long_lines * 4)
        self.stop_agent(agent)

    def test_the_identity_holds_at_every_scrape_while_the_output_fails_and_recovers(self):
        receiver_bin = os.environ.get("LOKI_RECEIVER")
        if not receiver_bin:
            self.fail("set LOKI_RECEIVER to the loki_receiver binary")
        receiver = subprocess.Popen([receiver_bin], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE)
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

        # Failing for 1.5 s, then accepting for 1.5 s, five times over.
        loki("/control", b"503 duration_ms=1500\nok duration_ms=1500\n" * 5)
        port = harness.free_port()
        path = self.write("app.log", b"")
        agent = self.start_agent(f"""
[[inputs]]
name = "app"
paths = ["{path}"]
start_at = "head"
""", f"""
[[outputs]]
name = "loki"
type = "loki"
url = "http://127.0.0.1:{loki_port}/loki/api/v1/push"
labels = {{ job = "app" }}
linger = "50ms"
min_backoff = "20ms"
max_backoff = "200ms"
""", port)
        stop = threading.Event()
        written = [0]

        def write():
            with open(path, "ab") as f:
                while not stop.is_set():
                    f.write(b"".join(b"line %d\n" % (written[0] + i) for i in range(200)))
                    f.flush()
                    written[0] += 200
                    stop.wait(0.02)
        writer = threading.Thread(target=write)
        writer.start()
        harness.wait_until(lambda: ledger.has_ledger(port, "app", "loki"), 10,
                           "the agent to serve its metrics")
        scrapes = 0
        try:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                ledger.check(ledger.from_metrics(port, "app", "loki"), None, in_flight=None)
                scrapes += 1
                time.sleep(0.1)  # the scrape interval under test, not a synchronisation
        finally:
            stop.set()
            writer.join()
        self.assertGreater(scrapes, 100)
        harness.wait_until(lambda: json.loads(loki("/stats"))["accepted_entries"] >= written[0],
                           60, f"{written[0]} entries accepted once the receiver recovers")
        got = self.wait_settled(port, "app", "loki", written[0])
        ledger.check(got, written[0])
        self.assertEqual(json.loads(loki("/stats"))["accepted_entries"], written[0])
        self.stop_agent(agent)


if __name__ == "__main__":
    harness.main()
