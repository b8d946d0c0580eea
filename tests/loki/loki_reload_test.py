"""SIGHUP while Loki is down: the agent stays up, the pipeline beside it keeps shipping, and
once Loki is back every line arrives, the ledger balanced.

Usage: loki_reload_test.py LOGSHIP LOKI_RECEIVER [unittest args]

A Loki output points at a closed loopback port and a null output ships the same file. Lines
are appended throughout. The Loki label changes twice, 10 s apart, each time with SIGHUP: the
Loki pipeline cannot drain, so each reload abandons it and starts its replacement from the
acknowledged offsets. Then a receiver starts on that port."""

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

LOGSHIP = os.path.abspath(sys.argv.pop(1))
RECEIVER = os.path.abspath(sys.argv.pop(1))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402  (bounded waits and free ports, beside the integration tests)
import ledger  # noqa: E402  (the shared ledger check)

CONFIG = """
[agent]
data_dir = "{dir}/data"
metrics_listen = "127.0.0.1:{metrics_port}"
checkpoint_interval = "200ms"
shutdown_timeout = "2s"

[[inputs]]
name = "app"
paths = ["{dir}/a.log"]
start_at = "head"

[[outputs]]
name = "loki"
type = "loki"
url = "http://127.0.0.1:{loki_port}/loki/api/v1/push"
labels = {{ job = "app", version = "{version}" }}
max_backoff = "1s"

[[outputs]]
name = "null"
type = "null"
"""


class Writer:
    """Appends "line N" lines to a file, 50 every 20 ms, until stopped."""

    def __init__(self, path):
        self.path = path
        self.written = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self):
        with open(self.path, "ab", buffering=0) as f:
            while not self.stopping.is_set():
                f.write(b"".join(b"line %d\n" % (self.written + i) for i in range(50)))
                self.written += 50
                self.stopping.wait(0.02)

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=10)
        return self.written


class ReloadWhileLokiDown(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="logship-loki-reload-")
        self.dir = self._tmp.name
        self.addCleanup(self._tmp.cleanup)
        self.loki_port = harness.free_port()
        self.metrics_port = harness.free_port()
        self.config = os.path.join(self.dir, "logship.toml")
        self.stderr_path = os.path.join(self.dir, "stderr")

    def write_config(self, version):
        with open(self.config, "w") as f:
            f.write(CONFIG.format(dir=self.dir, metrics_port=self.metrics_port,
                                  loki_port=self.loki_port, version=version))

    def stderr_lines(self, msg):
        with open(self.stderr_path, "rb") as f:
            return [line for line in f.read().splitlines() if f"msg={msg} ".encode() in line
                    or line.endswith(f"msg={msg}".encode())]

    def ledger_of(self, output):
        return ledger.from_metrics(self.metrics_port, "app", output)

    def alive(self):
        if self.agent.poll() is not None:
            with open(self.stderr_path, "rb") as f:
                self.fail(f"logship exited {self.agent.returncode}: {f.read()[-3000:]!r}")
        return True

    def null_delivered(self):
        self.alive()
        return self.ledger_of("null")["delivered"]

    def reload(self, version, reloads_before):
        """Changes the Loki label and sends SIGHUP; waits for its `reloaded` line while
        checking that the null pipeline delivers meanwhile. Returns the Loki pipeline's
        lines in flight just before, plus those written while it reloaded (an upper bound of
        what the abandoned pipeline held)."""
        in_flight = self.ledger_of("loki")["in_flight"]
        written_before = self.writer.written
        self.write_config(version)
        delivered_before = self.null_delivered()
        self.agent.send_signal(signal.SIGHUP)
        delivered_during = delivered_before
        while len(self.stderr_lines("reloaded")) == reloads_before:
            delivered_during = max(delivered_during, self.null_delivered())
            if time.monotonic() > self.reload_deadline:
                self.fail(f"no `reloaded` line for reload {reloads_before + 1}")
            time.sleep(0.05)
        self.assertGreater(delivered_during, delivered_before,
                           "the null pipeline stopped shipping while Loki's drained")
        return in_flight + self.writer.written - written_before

    def test_reloads_abandon_the_stuck_pipeline_and_every_line_arrives_later(self):
        self.write_config("1")
        with open(os.path.join(self.dir, "a.log"), "wb"):
            pass
        self.writer = Writer(os.path.join(self.dir, "a.log"))
        self.addCleanup(self.writer.stop)
        with open(self.stderr_path, "wb") as stderr:
            self.agent = subprocess.Popen([LOGSHIP, "run", "-c", self.config], stderr=stderr)
        self.addCleanup(lambda: self.agent.poll() is None and (self.agent.kill(),
                                                               self.agent.wait()))
        harness.wait_until(lambda: ledger.has_ledger(self.metrics_port, "app", "null") and
                   self.null_delivered() > 0, 30, "the null pipeline's first lines")

        bound = 0
        for reload_number, version in enumerate(("2", "3")):
            started = time.monotonic()
            self.reload_deadline = started + 30
            bound += self.reload(version, reload_number)
            # The agent that used to exit shutdown_timeout after the reload is still here,
            # and the null pipeline keeps shipping.
            delivered = self.null_delivered()
            harness.wait_until(lambda: self.null_delivered() > delivered, 10,
                               "the null pipeline to ship after the reload")
            if reload_number == 0:
                harness.wait_until(lambda: time.monotonic() - started >= 10 and self.alive(),
                                   15, "10 s to pass since the first reload")
        reloaded = self.stderr_lines("reloaded")
        self.assertEqual(len(reloaded), 2, reloaded)
        for line in reloaded:
            for field in (b"started=1", b"stopped=1", b"kept=1", b"abandoned=1",
                          b"abandoned_pipelines=app/loki"):
                self.assertIn(field, line)

        total = self.writer.stop()
        harness.wait_until(lambda: self.null_delivered() == total, 30,
                           "the null pipeline's last line")
        receiver = subprocess.Popen(
            [RECEIVER, "--port", str(self.loki_port), "--store",
             os.path.join(self.dir, "accepted.jsonl")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.addCleanup(receiver.wait, 10)
        self.addCleanup(receiver.stdin.close)
        self.addCleanup(receiver.stdout.close)
        ready, _, _ = select.select([receiver.stdout], [], [], 10)
        self.assertTrue(ready, "loki_receiver did not start")
        harness.wait_until(lambda: ledger.settled_at(self.metrics_port, "app", "loki", total),
                           90, f"the Loki pipeline to settle all {total} lines")
        self.alive()

        with open(os.path.join(self.dir, "accepted.jsonl"), "rb") as f:
            lines = [json.loads(entry)["line"] for entry in f]
        self.assertEqual(set(lines), {f"line {i}" for i in range(total)},
                         "lines missing at Loki")
        self.assertLessEqual(len(lines) - total, bound,
                             "more duplicates than the reloads had in flight")
        ledger.check(self.ledger_of("loki"), total)
        ledger.check(self.ledger_of("null"), total)

        self.agent.send_signal(signal.SIGTERM)
        self.assertEqual(self.agent.wait(timeout=20), 0)


if __name__ == "__main__":
    harness.main()
