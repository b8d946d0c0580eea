"""`logship top` and `logship status`: the plain snapshot (`top --once`, or top on a pipe)
says what /metrics says, ledger included; status prints each checkpointed file's lag from
the checkpoint file alone; an endpoint that refuses, is not logship's or answers too slowly
ends top with one line and exit 1; and under tmux the live view shows an output going
down and up and a file's lag, quits on `q` and leaves the terminal as it found it."""

import http.server
import json
import os
import re
import select
import shutil
import signal
import subprocess
import threading
import time
import urllib.request

import harness
import ledger

LINES = 2000
ROW = re.compile(r"^(?P<input>\S+) -> (?P<output>\S+)\s+(?P<state>read|PAUSED)\s.*?"
                 r"\s(?P<delivered>\d+)\s+(?P<filtered>\d+)\s+(?P<rejected>\d+)\s+"
                 r"(?P<dropped>\d+)\s+(?P<in_flight>\d+)\s+(?P<up>up|DOWN)\s+(?P<last_ok>\S+)"
                 r"\s+(?P<retries>\S+)$")
FILE_ROW = re.compile(r"^(?P<lag>\d+)\s+(?P<input>\S+)\s+(?P<path>.+)$")


def parse_top(text):
    """The pipeline rows ({(input, output): match dict}) and file rows ({(input, path): lag})
    of top's screen or plain snapshot."""
    pipelines, files, in_files = {}, {}, False
    for line in text.splitlines():
        line = line.rstrip()
        match = ROW.match(line)
        if match:
            pipelines[(match["input"], match["output"])] = match.groupdict()
        if line.startswith("LAG BYTES"):
            in_files = True
            continue
        if in_files and not line:
            in_files = False
        match = FILE_ROW.match(line) if in_files else None
        if match:
            files[(match["input"], match["path"])] = int(match["lag"])
    return pipelines, files


def file_lags(samples):
    return {(dict(labels)["input"], dict(labels)["path"]): int(value)
            for (name, labels), value in samples.items() if name == "logship_file_lag_bytes"}


class Agent:
    """`logship run` on a config, stopped (SIGTERM, exit 0 checked) by the test's cleanup."""

    def __init__(self, test, config):
        self.test = test
        self.process = subprocess.Popen([harness.LOGSHIP, "run", "-c", config],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        test.addCleanup(self.kill)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        _, err = self.process.communicate(timeout=30)
        self.test.assertEqual(self.process.returncode, 0, err.decode(errors="replace")[-2000:])

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


class FakeEndpoint:
    """An HTTP server on 127.0.0.1 answering every GET with (status, body) after `delay`."""

    def __init__(self, test, status, body, delay=0):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        test.addCleanup(self.server.server_close)
        test.addCleanup(self.server.shutdown)


def write_config(test, port, output, paths):
    """A config reading `paths` from their start into the output "out" (`output`: its keys)."""
    globs = ", ".join(f'"{path}"' for path in paths)
    listen = f"127.0.0.1:{port}" if port else ""
    return test.write("logship.toml", f"""
[agent]
data_dir = "{test.dir}/data"
metrics_listen = "{listen}"
[[inputs]]
name = "app"
paths = [{globs}]
start_at = "head"
labels = {{ job = "app" }}
[[outputs]]
name = "out"
{output}
""".encode())


class Top(harness.TempDirTest):
    def test_the_plain_snapshot_matches_metrics_read_at_the_same_moment(self):
        port = harness.free_port()
        paths = [self.write(f"{name}.log", b"".join(b"%s line %d\n" % (name.encode(), i)
                                                      for i in range(LINES)))
                 for name in ("a", "b")]
        Agent(self, write_config(self, port, 'type = "null"', paths))
        harness.wait_until(lambda: ledger.settled_at(port, "app", "out", 2 * LINES), 60,
                           f"{2 * LINES} lines settled")
        harness.wait_until(lambda: all(lag == 0 for lag in file_lags(ledger.scrape(port)).values())
                           and len(file_lags(ledger.scrape(port))) == 2, 20,
                           "both files' lag at 0")
        url = f"http://127.0.0.1:{port}"
        for args in (["--once"], []):  # stdout is a pipe: the plain snapshot without --once too
            before = ledger.scrape(port)
            done = harness.run("top", "--url", url, *args, timeout=20)
            after = ledger.scrape(port)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertNotIn(b"\x1b", done.stdout, "no escape sequences in the plain snapshot")
            text = done.stdout.decode()
            self.assertIn(f"logship top  {url}  memory ", text)
            self.assertIn("rung 0 (none)", text)
            pipelines, files = parse_top(text)
            self.assertEqual(set(pipelines), {("app", "out")}, text)
            row = pipelines[("app", "out")]
            expected = ledger.from_samples(before, "app", "out")
            self.assertEqual(expected, ledger.from_samples(after, "app", "out"),
                             "the ledger moved while top read it")
            ledger.check(expected, 2 * LINES)
            shown = {"read": int(row["delivered"]) + int(row["filtered"]) +
                     int(row["rejected"]) + int(row["dropped"]) + int(row["in_flight"]),
                     "delivered": int(row["delivered"]), "filtered": int(row["filtered"]),
                     "rejected": int(row["rejected"]), "dropped": int(row["dropped"]),
                     "in_flight": int(row["in_flight"])}
            self.assertEqual(shown, {**expected, "rejected": 0, "dropped": 0}, text)
            self.assertEqual(row["up"], "up")
            self.assertEqual(files, file_lags(before), text)

    def test_status_prints_the_lag_of_each_checkpointed_file(self):
        sizes = {"a": 1000, "b": 2000, "c": 3000}
        paths = {name: self.write(f"{name}.log", b"x" * (size - 1) + b"\n")
                 for name, size in sizes.items()}
        port = harness.free_port()
        config = write_config(self, port, 'type = "null"', paths.values())
        agent = Agent(self, config)
        harness.wait_until(lambda: ledger.settled_at(port, "app", "out", 3), 60, "3 lines settled")
        agent.stop()  # writes the checkpoints: every file acknowledged to its end
        appended = {"a": 10, "b": 0, "c": 250}
        for name, more in appended.items():
            with open(paths[name], "ab") as f:
                f.write(b"y" * more)
        done = harness.run("status", "-c", config)
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = done.stdout.decode().splitlines()
        self.assertEqual(lines[0].split(), ["INPUT", "OUTPUT", "SIZE", "OFFSET", "LAG", "PATH"])
        rows = {line.split()[5]: line.split()[:5] for line in lines[1:4]}
        for name, size in sizes.items():
            self.assertEqual(rows[paths[name]],
                             ["app", "out", str(size + appended[name]), str(size),
                              str(appended[name])], lines)
        self.assertEqual(lines[4].split(), ["app", "(total)", str(6000 + 260), "6000", "260",
                                            "3", "files"])

    def top_fails(self, url, why, within=10):
        started = time.monotonic()
        done = harness.run("top", "--once", "--url", url, timeout=30)
        self.assertEqual(done.returncode, 1, done)
        self.assertEqual(done.stdout, b"")
        err = done.stderr.decode()
        self.assertEqual(len(err.splitlines()), 1, f"one line on stderr: {err!r}")
        self.assertRegex(err, why)
        self.assertLess(time.monotonic() - started, within)

    def test_a_refused_connection_is_one_line_and_exit_1(self):
        self.top_fails(f"http://127.0.0.1:{harness.free_port()}",
                       r"^logship top: cannot connect to 127\.0\.0\.1:\d+: Connection refused "
                       r"\(is the agent running, with metrics_listen on this address\?\)$")

    def test_an_agent_with_metrics_off_is_refused_like_a_stopped_one(self):
        path = self.write("a.log", b"one\n")
        Agent(self, write_config(self, None, 'type = "null"', [path]))
        # Nothing listens where a scrape would look: the same line as a stopped agent.
        self.top_fails(f"http://127.0.0.1:{harness.free_port()}", r"Connection refused")

    def test_an_endpoint_that_is_not_logship_is_one_line_and_exit_1(self):
        not_found = FakeEndpoint(self, 404, b"404 page not found\n")
        self.top_fails(not_found.url, rf"^logship top: {re.escape(not_found.url)}: not a logship "
                       r"metrics endpoint: it answered HTTP 404$")
        other = FakeEndpoint(self, 200, b"# TYPE go_goroutines gauge\ngo_goroutines 7\n")
        self.top_fails(other.url, rf"^logship top: {re.escape(other.url)}: not a logship metrics "
                       r"endpoint: no logship_ series in the answer$")
        html = FakeEndpoint(self, 200, b"<html><body>hello</body></html>\n")
        self.top_fails(html.url, r"not a logship metrics endpoint: line 1 is not Prometheus text")

    def test_a_slow_endpoint_costs_the_timeout_not_a_hang(self):
        slow = FakeEndpoint(self, 200, b"logship_memory_used_bytes 1\n", delay=20)
        self.top_fails(slow.url, r"no answer within 2000ms", within=8)


class TopInTmux(harness.TempDirTest):
    def setUp(self):
        super().setUp()
        if not shutil.which("tmux"):
            self.skipTest("tmux is not installed (packaging/install-deps.sh installs it)")
        receiver_bin = os.environ.get("LOKI_RECEIVER")
        if not receiver_bin:
            self.fail("set LOKI_RECEIVER to the loki_receiver binary")
        self.receiver = subprocess.Popen([receiver_bin], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE)
        self.addCleanup(self.receiver.wait, 10)
        self.addCleanup(self.receiver.stdin.close)
        self.addCleanup(self.receiver.stdout.close)
        ready, _, _ = select.select([self.receiver.stdout], [], [], 10)
        self.assertTrue(ready, "loki_receiver did not print its port")
        self.loki_port = int(self.receiver.stdout.readline())
        self.socket = f"logship-top-test-{os.getpid()}"

    def loki(self, path, body=None):
        request = urllib.request.Request(f"http://127.0.0.1:{self.loki_port}{path}", data=body)
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.read()

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args],
                              capture_output=True, timeout=10, check=True,
                              env={**os.environ, "TERM": "xterm-256color"}).stdout.decode()

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "top")

    def wait_for_screen(self, condition, what, timeout=30):
        seen = []

        def check():
            seen[:] = [self.screen()]
            return condition(*parse_top(seen[0]))

        try:
            harness.wait_until(check, timeout, what)
        except AssertionError as error:
            raise AssertionError(f"{error}; the screen:\n{seen[0] if seen else ''}") from None

    def test_the_live_view_follows_an_output_down_and_up_and_quits_on_q(self):
        self.loki("/control", b"500 duration_ms=600000\n")  # down until the test says
        port = harness.free_port()
        path = self.write("app.log", b"".join(b"line %d\n" % i for i in range(1000)))
        config = write_config(self, port, f"""type = "loki"
url = "http://127.0.0.1:{self.loki_port}/loki/api/v1/push"
min_backoff = "10ms"
max_backoff = "100ms"
""", [path])
        agent = Agent(self, config)
        harness.wait_until(lambda: ledger.has_ledger(port, "app", "out"), 30, "the agent's ledger")
        rc, before, after = self.path("rc"), self.path("stty.before"), self.path("stty.after")
        self.tmux("new-session", "-d", "-s", "top", "-x", "220", "-y", "40",
                  f"stty -g > {before}; {harness.LOGSHIP} top --url http://127.0.0.1:{port} "
                  f"--interval 200ms; echo $? > {rc}; stty -g > {after}; exec sleep 600")
        self.addCleanup(subprocess.run, ["tmux", "-L", self.socket, "kill-server"],
                        capture_output=True)
        key = ("app", "out")
        initial = os.path.getsize(path)
        self.wait_for_screen(lambda rows, files: key in rows and rows[key]["up"] == "DOWN" and
                             files.get(("app", path)) == initial,
                             "the output marked DOWN and the file's whole size as its lag")
        self.assertEqual(self.tmux("display", "-p", "-t", "top", "#{alternate_on}").strip(), "1")
        with open(path, "ab") as f:
            f.write(b"".join(b"more %d\n" % i for i in range(100)))
        size = os.path.getsize(path)
        self.wait_for_screen(lambda rows, files: files.get(("app", path)) == size,
                             f"the appended file's lag to reach {size}")
        self.loki("/control", b"")  # every push accepted from now on
        self.wait_for_screen(lambda rows, files: rows.get(key, {}).get("up") == "up" and
                             rows[key]["delivered"] == "1100" and files.get(("app", path)) == 0,
                             "the output up, 1100 lines delivered and no lag")
        ledger.check(ledger.from_metrics(port, "app", "out"), 1100)
        self.tmux("send-keys", "-t", "top", "q")
        # The shell creates the file before stty writes it: wait for its content.
        harness.wait_until(lambda: os.path.exists(after) and os.path.getsize(after) > 0, 10,
                           "top to exit on q")
        with open(rc) as f:
            self.assertEqual(f.read().strip(), "0")
        with open(before) as f, open(after) as g:
            self.assertEqual(f.read(), g.read(), "the terminal's modes are restored")
        self.assertEqual(self.tmux("display", "-p", "-t", "top", "#{alternate_on}").strip(), "0",
                         "the alternate screen is left")
        self.assertEqual(self.tmux("display", "-p", "-t", "top", "#{cursor_flag}").strip(), "1",
                         "the cursor is shown again")
        agent.stop()


if __name__ == "__main__":
    harness.main()
