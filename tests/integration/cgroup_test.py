"""At its cgroup's memory limit with a stuck sink: the agent runs in a memory cgroup of its
own (96 MiB; cgroup v1 here, v2 where that is what the host has) with memory_limit left to
its default (half the cgroup limit), 200 files are written at a combined 50 MB/s, and the
Loki endpoint accepts connections but never reads (the receiver is SIGSTOPped, so only the
kernel's backlog answers). No OOM kill and no charge past the limit (failcnt and oom_kill
unchanged), RSS within the limit the agent derived plus 16 MiB, the lag rising; then the
endpoint answers and every line arrives, in order per stream (one stream per file)."""

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

CGROUP_LIMIT = 96 << 20
FILES = 200
RATE = 50 << 20           # bytes per second, all files together
WRITE_SECONDS = float(os.environ.get("LOGSHIP_CGROUP_WRITE_SECONDS", "2"))
LINE = 200                 # bytes per line, newline included
RSS_SLACK = 16 << 20


def own_memory_cgroup():
    """(controller directory of this process's memory cgroup, version)."""
    with open("/proc/self/cgroup") as f:
        entries = [line.rstrip("\n").split(":", 2) for line in f]
    for _, controllers, path in entries:
        if "memory" in controllers.split(","):
            return "/sys/fs/cgroup/memory" + path, 1
    for hierarchy, controllers, path in entries:
        if hierarchy == "0" and controllers == "":
            return "/sys/fs/cgroup" + path, 2
    raise AssertionError("no memory cgroup found in /proc/self/cgroup")


class Cgroup:
    def __init__(self, test):
        parent, self.version = own_memory_cgroup()
        self.path = os.path.join(parent, f"logship-test-{os.getpid()}")
        os.mkdir(self.path)
        test.addCleanup(self.remove)
        self.write("memory.limit_in_bytes" if self.version == 1 else "memory.max",
                   str(CGROUP_LIMIT))

    def write(self, name, value):
        with open(os.path.join(self.path, name), "w") as f:
            f.write(value)

    def read(self, name):
        with open(os.path.join(self.path, name)) as f:
            return f.read()

    def pressure(self):
        """What must not change: times the limit was hit and OOM kills."""
        if self.version == 1:
            oom = dict(line.split() for line in self.read("memory.oom_control").splitlines())
            return {"failcnt": int(self.read("memory.failcnt")), "oom_kill": int(oom["oom_kill"])}
        events = dict(line.split() for line in self.read("memory.events").splitlines())
        return {"max": int(events["max"]), "oom_kill": int(events["oom_kill"])}

    def enter(self):
        """For preexec_fn: moves the child into the cgroup before it execs."""
        with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))

    def remove(self):
        # Empty by now: the agent was stopped by the test or its cleanup.
        deadline = time.monotonic() + 10
        while True:
            try:
                os.rmdir(self.path)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


class AtTheCgroupLimit(harness.TempDirTest):
    def start_receiver(self):
        receiver = subprocess.Popen([os.environ["LOKI_RECEIVER"]], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE)

        def stop():
            if receiver.poll() is None:
                os.kill(receiver.pid, signal.SIGCONT)
            receiver.stdin.close()
            receiver.wait(10)
            receiver.stdout.close()
        self.addCleanup(stop)
        ready, _, _ = select.select([receiver.stdout], [], [], 10)
        self.assertTrue(ready, "loki_receiver did not print its port")
        return receiver, int(receiver.stdout.readline())

    def test_a_stuck_sink_pauses_reading_within_the_derived_limit_and_loses_nothing(self):
        if os.geteuid() != 0:
            self.fail("creating a memory cgroup needs root (CI runs as root)")
        if harness.SANITIZED:
            # A sanitizer's shadow memory alone passes a 96 MiB cgroup, and its slowdown makes
            # the stuck-sink timing meaningless: this test is about the release binary.
            self.skipTest("measures memory at a cgroup limit: not under a sanitizer")
        cgroup = Cgroup(self)
        receiver, loki_port = self.start_receiver()
        os.kill(receiver.pid, signal.SIGSTOP)  # accepts (the kernel's backlog), never reads
        logs = self.path("logs")
        os.makedirs(logs)
        port = harness.free_port()
        config = self.write("logship.toml", f"""
[agent]
data_dir = "{self.dir}/data"
metrics_listen = "127.0.0.1:{port}"
[[inputs]]
name = "app"
paths = ["{logs}/*.log"]
start_at = "head"
[[outputs]]
name = "loki"
type = "loki"
url = "http://127.0.0.1:{loki_port}/loki/api/v1/push"
labels = {{ file = "{{file.path}}" }}
request_timeout = "2s"
min_backoff = "50ms"
max_backoff = "500ms"
""".encode())
        before = cgroup.pressure()
        err = open(self.path("agent.err"), "wb")
        self.addCleanup(err.close)
        agent = subprocess.Popen([harness.LOGSHIP, "run", "-c", config],
                                 stdout=subprocess.DEVNULL, stderr=err, preexec_fn=cgroup.enter)

        def stop_agent():
            if agent.poll() is None:
                agent.kill()
            agent.wait()
        self.addCleanup(stop_agent)
        harness.wait_until(lambda: ledger.has_ledger(port, "app", "loki"), 20, "the agent's metrics")
        samples = ledger.scrape(port)
        derived = samples[("logship_memory_limit_bytes", frozenset())]
        self.assertEqual(derived, CGROUP_LIMIT // 2, "memory_limit: half the cgroup's limit")

        per_file = int(RATE * WRITE_SECONDS / FILES / LINE)
        written = [0] * FILES
        handles = [open(os.path.join(logs, f"f{i:03d}.log"), "ab") for i in range(FILES)]
        slices = 20
        peak_rss, lags = 0, []
        start = time.monotonic()
        for s in range(slices):
            for i, f in enumerate(handles):
                count = per_file // slices
                f.write(b"".join(b"f%03d %09d %s\n" % (i, written[i] + n, b"x" * (LINE - 16))
                                 for n in range(count)))
                f.flush()
                written[i] += count
            peak_rss = max(peak_rss, rss(agent.pid))
            # The writer's pace: 50 MB/s in slices, not a synchronisation.
            time.sleep(max(0.0, start + (s + 1) * WRITE_SECONDS / slices - time.monotonic()))
        for f in handles:
            f.close()
        total = sum(written)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:  # the sink stays stuck: RSS must stay put
            peak_rss = max(peak_rss, rss(agent.pid))
            lags.append(ledger.scrape(port)[("logship_input_lag_bytes",
                                             frozenset({("input", "app")}))])
            time.sleep(0.2)  # the sampling interval
        self.assertIsNone(agent.poll(), "the agent died at its cgroup limit")
        self.assertGreater(lags[-1], 0.5 * total * LINE, "the lag did not rise with the sink stuck")
        self.assertLessEqual(peak_rss, derived + RSS_SLACK,
                             f"peak RSS {peak_rss >> 20} MiB over the derived limit "
                             f"{int(derived) >> 20} MiB + 16 MiB")

        os.kill(receiver.pid, signal.SIGCONT)
        harness.wait_until(lambda: ledger.settled_at(port, "app", "loki", total), 120,
                           f"{total} lines delivered once the endpoint answers")
        try:
            ledger.check(ledger.from_metrics(port, "app", "loki"), total)
        except AssertionError as error:
            with open(self.path("agent.err"), "rb") as log:
                raise AssertionError(f"{error}\nagent log (end):\n"
                                     f"{log.read()[-3000:].decode(errors='replace')}") from None
        stats = json.loads(urllib.request.urlopen(
            f"http://127.0.0.1:{loki_port}/stats", timeout=10).read())
        self.assertEqual(stats["invalid_requests"], 0, "a push out of order or invalid")
        self.assertEqual(stats["accepted_entries"], total, "duplicates or losses at the receiver")
        self.assertEqual(cgroup.pressure(), before, "the cgroup hit its limit or OOM-killed")
        agent.send_signal(signal.SIGTERM)
        self.assertEqual(agent.wait(timeout=30), 0)
        print(f"{total} lines, peak RSS {peak_rss >> 20} MiB under a derived limit of "
              f"{int(derived) >> 20} MiB; lag peaked at {int(max(lags)) >> 20} MiB")


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    harness.main()
