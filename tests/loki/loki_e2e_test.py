"""End-to-end tests of the Loki output: the real logship binary against loki_receiver.

Usage: loki_e2e_test.py LOGSHIP LOKI_RECEIVER [unittest args, e.g. a test class name]

Every wait is bounded and fails with what it was waiting for. Nothing is skipped: a
scenario that logship cannot run (a flag or key it refuses) fails with logship's error."""

import base64
import json
import os
import re
import resource
import select
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

LOGSHIP = os.path.abspath(sys.argv.pop(1))
RECEIVER = os.path.abspath(sys.argv.pop(1))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import ledger  # noqa: E402  (the shared ledger check, beside the integration tests)


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class Receiver:
    """A running loki_receiver storing accepted entries as JSON lines."""

    def __init__(self, directory, *extra):
        self.store = os.path.join(directory, "accepted.jsonl")
        self.proc = subprocess.Popen([RECEIVER, "--store", self.store, *extra],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        if not ready:
            raise AssertionError("loki_receiver did not print its port within 10s")
        self.port = int(self.proc.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}/loki/api/v1/push"

    def control(self, script):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/control",
                                         data=script.encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.read() == b"ok\n", "receiver refused the fault script"

    def stats(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats", timeout=10) as r:
            return json.loads(r.read())

    def entries(self):
        with open(self.store, "rb") as f:
            return [json.loads(line) for line in f]

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


class TlsProxy:
    """Terminates TLS on 127.0.0.1 with a self-signed certificate (IP SAN 127.0.0.1) and
    forwards the bytes to the receiver."""

    def __init__(self, directory, target_port):
        self.cert = os.path.join(directory, "cert.pem")
        key = os.path.join(directory, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-keyout", key, "-out", self.cert, "-subj", "/CN=loki-test",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(self.cert, key)
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        try:
            client.settimeout(30)
            tls = self.context.wrap_socket(client, server_side=True)
        except (ssl.SSLError, OSError):
            client.close()
            return
        upstream = socket.create_connection(("127.0.0.1", self.target_port))

        def pump(source, sink):
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threading.Thread(target=pump, args=(upstream, tls), daemon=True).start()
        pump(tls, upstream)

    def close(self):
        self.stopping.set()
        self.listener.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape_metric(port, name, labels):
    """The value of one sample of `logship run`'s /metrics, or None when it is absent."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


def now_iso():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


LEVELS = ["debug", "info", "warn", "error"]
SANITIZED = os.environ.get("LOGSHIP_SANITIZED") == "1"


def write_json_logs(path, file_id, count):
    """Lines of ~120 bytes: {"time":..,"level":..,"file":N,"seq":I,"msg":..}."""
    stamp = now_iso()
    with open(path, "w") as f:
        for i in range(count):
            level = LEVELS[(i * 7 + file_id) % 4]
            f.write(f'{{"time":"{stamp}","level":"{level}","file":{file_id},"seq":{i},'
                    f'"msg":"request handled path=/api/v1/items/{i % 1000} status=200"}}\n')


class LokiTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="logship-loki-")
        self.dir = self._tmp.name
        self.receiver = Receiver(self.dir)
        self.procs = []

    def tearDown(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if hasattr(proc, "stderr_file"):
                proc.stderr_file.close()
        self.receiver.close()
        self._tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def tail(self, *args, timeout=150):
        result = subprocess.run([LOGSHIP, "tail", "--from-head", "--output", "loki",
                                 "--loki-url", self.receiver.url, *args],
                                capture_output=True, timeout=timeout)
        return result

    def start_tail(self, *args):
        """logship tail in the background, stderr to a file (read by finish_tail)."""
        stderr = open(self.path(f"stderr.{len(self.procs)}"), "w+b")
        proc = subprocess.Popen([LOGSHIP, "tail", "--from-head", "--output", "loki",
                                 "--loki-url", self.receiver.url, *args], stderr=stderr)
        proc.stderr_file = stderr
        self.procs.append(proc)
        return proc

    def finish_tail(self, proc, timeout):
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.fail(f"logship tail did not finish within {timeout}s "
                      f"(receiver: {self.receiver.stats()})")
        proc.stderr_file.seek(0)
        stderr = proc.stderr_file.read()
        self.assertEqual(code, 0, f"logship tail exited {code}: {stderr.decode(errors='replace')}")
        return stderr.decode(errors="replace")

    def start_run(self, metrics_listen="", input_keys="", output_keys="", agent_keys=""):
        """`logship run -c` in the background, stderr to a file, with a config of one input
        "app" reading a.log from its head into one Loki output "loki" at the receiver;
        `input_keys`, `output_keys` and `agent_keys` are TOML lines added to those tables."""
        path = self.path(f"logship.{len(self.procs)}.toml")
        with open(path, "w") as f:
            f.write(f"""
[agent]
data_dir = "{self.path('data')}"
metrics_listen = "{metrics_listen}"
{agent_keys}
[[inputs]]
name = "app"
paths = ["{self.path('a.log')}"]
start_at = "head"
{input_keys}
[[outputs]]
name = "loki"
type = "loki"
url = "{self.receiver.url}"
{output_keys}
""")
        stderr = open(self.path(f"stderr.{len(self.procs)}"), "w+b")
        proc = subprocess.Popen([LOGSHIP, "run", "-c", path], stderr=stderr)
        proc.stderr_file = stderr
        self.procs.append(proc)
        return proc

    def stop_run(self, proc, timeout=20):
        """SIGTERM, then the exit code must be 0; returns stderr."""
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        return self.finish_tail(proc, timeout)

    def wait_accepted(self, count, timeout):
        wait_until(lambda: self.receiver.stats()["accepted_entries"] >= count, timeout,
                   f"the receiver to accept {count} entries (stats: {self.receiver.stats()})")

    def wait_accepted_while_running(self, proc, count, timeout):
        def accepted():
            if proc.poll() is not None:
                proc.stderr_file.seek(0)
                self.fail(f"logship exited {proc.returncode} before the receiver accepted "
                          f"{count} entries: {proc.stderr_file.read().decode(errors='replace')}")
            return self.receiver.stats()["accepted_entries"] >= count
        wait_until(accepted, timeout, f"the receiver to accept {count} entries "
                                      f"(stats: {self.receiver.stats()})")

    def assert_exactly_once(self, expected_keys, entries):
        seen = {}
        for entry in entries:
            record = json.loads(entry["line"])
            key = (record["file"], record["seq"])
            seen[key] = seen.get(key, 0) + 1
        missing = expected_keys - seen.keys()
        dups = {k: n for k, n in seen.items() if n > 1}
        self.assertFalse(missing, f"{len(missing)} lines never accepted, e.g. {sorted(missing)[:5]}")
        self.assertFalse(dups, f"{len(dups)} lines accepted twice, e.g. {list(dups)[:5]}")


class JsonLevels500k(LokiTest):
    def test_every_line_once_in_order_with_labels(self):
        counts = [166_667, 166_667, 166_666]
        files = []
        for i, n in enumerate(counts):
            files.append(self.path(f"app{i}.log"))
            write_json_logs(files[-1], i, n)
        result = self.tail("--parser", "json", "--label=job=app", "--label=level={fields.level}",
                           "--memory-limit", "32MiB", "--", *files)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        # Four streams keep all four lanes busy: their request buffers count in the budget.
        peak_rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if not SANITIZED:  # ASan's shadow memory makes RSS meaningless
            self.assertLessEqual(peak_rss_mib, 32 + 16, "peak RSS over memory_limit + 16 MiB")
        entries = self.receiver.entries()
        self.assertEqual(len(entries), 500_000)
        self.assert_exactly_once({(f, s) for f, n in enumerate(counts) for s in range(n)},
                                 entries)
        last_seq = {}
        for entry in entries:
            record = json.loads(entry["line"])
            self.assertEqual(entry["labels"], f'{{job="app", level="{record["level"]}"}}')
            key = (entry["labels"], record["file"])
            self.assertGreater(record["seq"], last_seq.get(key, -1),
                               f"stream {key} out of file order")
            last_seq[key] = record["seq"]
        self.assertEqual(len({e["labels"] for e in entries}), 4)
        self.assertEqual(self.receiver.stats()["invalid_requests"], 0)


class StreamPerFile(LokiTest):
    def test_file_path_label_gives_each_file_its_own_stream_in_order(self):
        counts = [3000, 2000, 1000]
        files = []
        for i, n in enumerate(counts):
            files.append(self.path(f"svc{i}.log"))
            write_json_logs(files[-1], i, n)
        result = self.tail("--label=job=app", "--label=filename={file.path}", "--", *files)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        entries = self.receiver.entries()
        self.assert_exactly_once({(f, s) for f, n in enumerate(counts) for s in range(n)},
                                 entries)
        last_seq = {}
        for entry in entries:
            record = json.loads(entry["line"])
            self.assertEqual(entry["labels"],
                             f'{{filename="{files[record["file"]]}", job="app"}}')
            self.assertGreater(record["seq"], last_seq.get(record["file"], -1),
                               f"file {record['file']} out of order in its stream")
            last_seq[record["file"]] = record["seq"]
        self.assertEqual(self.receiver.stats()["streams"], 3)


class FaultsThenRecovery(LokiTest):
    def test_429_then_500_then_resets_lose_and_duplicate_nothing(self):
        self.receiver.control("429 duration_ms=5000 retry_after=1\n"
                              "500 duration_ms=5000\n"
                              "reset count=3\n")
        write_json_logs(self.path("a.log"), 0, 20_000)
        proc = self.start_tail("--parser", "json", "--label=level={fields.level}", "--",
                               self.path("a.log"))
        stderr = self.finish_tail(proc, 120)
        stats = self.receiver.stats()
        self.assertEqual(stats["retry_after_violations"], 0, "a request came before Retry-After")
        self.assertGreaterEqual(stats["faults_served"], 3 + 2 + 3)
        self.assertEqual(stats["invalid_requests"], 0)
        self.assertIn("retrying until it succeeds", stderr)
        self.assert_exactly_once({(0, s) for s in range(20_000)}, self.receiver.entries())


def get_status(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class PoisonEntries(LokiTest):
    """100k lines, 37 of them refused by Loki for three reasons, spread over the file: the
    receiver holds exactly the others, once each; the ledger counts the 37 by reason."""

    TOTAL = 100_000
    MAX_LINE = 4096

    def run_with(self, encoding):
        self.receiver.close()
        # A Loki whose limits are below the agent's own: lines over 4 KiB, label values
        # over 256 bytes (logship cuts them at 2 KiB, Loki's default) are refused.
        self.receiver = Receiver(self.dir, "--max-line-bytes", str(self.MAX_LINE),
                                 "--max-label-value-bytes", "256")
        now = now_iso()
        old = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 30 * 86400))
        kinds = ["too_old"] * 10 + ["line_too_long"] * 10 + ["invalid_labels"] * 17
        poison = {13 + k * (self.TOTAL // len(kinds)): kind for k, kind in enumerate(kinds)}
        offsets = {kind: set() for kind in kinds}
        expected = set()
        offset = 0
        with open(self.path("a.log"), "w") as f:
            for i in range(self.TOTAL):
                kind = poison.get(i)
                stamp, user, pad = now, f"u{i % 5}", ""
                if kind == "too_old":
                    stamp, user = old, f"backfill-{i}"  # a backfill's stream, a month old
                elif kind == "line_too_long":
                    pad = "x" * self.MAX_LINE
                elif kind == "invalid_labels":
                    user = f"{i}-" + "v" * 300
                else:
                    expected.add((0, i))
                line = (f'{{"time":"{stamp}","user":"{user}","file":0,"seq":{i},'
                        f'"pad":"{pad}","msg":"request handled"}}\n')
                if kind:
                    offsets[kind].add(offset)
                f.write(line)
                offset += len(line.encode())
        port = free_port()
        proc = self.start_run(
            metrics_listen=f"127.0.0.1:{port}",
            input_keys='parser = "json"\ntimestamp = { field = "time", format = "rfc3339" }',
            output_keys=(f'encoding = "{encoding}"\n'
                         'labels = { job = "app", user = "{fields.user}" }'))
        wait_until(lambda: proc.poll() is not None or
                   ledger.settled_at(port, "app", "loki", self.TOTAL), 120,
                   "the agent to read and settle all 100k lines")
        ledger.check(ledger.from_metrics(port, "app", "loki"), self.TOTAL,
                     rejected={"too_old": 10, "line_too_long": 10, "invalid_labels": 17})
        stderr = self.stop_run(proc)
        entries = self.receiver.entries()
        self.assertEqual(len(entries), self.TOTAL - 37)
        self.assert_exactly_once(expected, entries)
        # One log line per reason (the log's repeat limiter counts the rest), naming the file
        # and the offset of a refused line.
        for kind in ("too_old", "line_too_long", "invalid_labels"):
            found = re.findall(rf'msg="loki rejected an entry, not retried: {kind}" '
                               rf'output=loki status=400 reason={kind} error=.* '
                               rf'path=(\S+) offset=(\d+)', stderr)
            self.assertTrue(found, f"no log line for {kind}:\n{stderr}")
            path, logged = found[0]
            self.assertEqual(path, self.path("a.log"))
            self.assertIn(int(logged), offsets[kind], f"{kind} logged at a good line's offset")

    def test_protobuf_pushes_lose_only_the_refused_entries(self):
        self.run_with("protobuf")

    def test_json_pushes_lose_only_the_refused_entries(self):
        self.run_with("json")


class RefusedEverything(LokiTest):
    """A 400 for every push, with a text, an empty or a binary body: each entry is
    rejected alone ("other"), the pushes are bounded, and tail moves on and exits 1."""

    LINES = 600

    def refuse_all(self, body):
        self.receiver.control(f"400 duration_ms=600000 body={body}\n")
        write_json_logs(self.path("a.log"), 0, self.LINES)
        result = self.tail("--label=job=app", "--", self.path("a.log"), timeout=60)
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 1, "lines were rejected: tail must fail\n" + stderr)
        ledger.check(ledger.from_summary(result.stderr), self.LINES, rejected=self.LINES)
        self.assertEqual(self.receiver.entries(), [])
        pushes = self.receiver.stats()["requests"]
        self.assertLessEqual(pushes, 2 * self.LINES, "bisection must stay bounded")
        self.assertIn('msg="loki rejected an entry, not retried: other"', stderr)

    def test_text_body(self):
        self.refuse_all("text")

    def test_empty_body(self):
        self.refuse_all("empty")

    def test_binary_body(self):
        self.refuse_all("binary")


class EndpointFaults(LokiTest):
    """401, 403 and 404 are about the endpoint, not the entries: retried until they stop,
    logged at error level, /ready 503 meanwhile; nothing rejected, every line once."""

    def answer_for(self, status, seconds):
        lines = 3000
        write_json_logs(self.path("a.log"), 0, lines)
        self.receiver.control(f"{status} duration_ms={seconds * 1000}\n")
        port = free_port()
        proc = self.start_run(metrics_listen=f"127.0.0.1:{port}", agent_keys='ready_grace = "1s"',
                              output_keys='min_backoff = "50ms"\nmax_backoff = "500ms"')
        wait_until(lambda: ledger.has_ledger(port, "app", "loki") and
                   get_status(port, "/ready")[0] == 503, 20,
                   f"/ready to answer 503 during the {status}s")
        code, body = get_status(port, "/ready")
        self.assertIn("loki", body)
        self.assertEqual(get_status(port, "/health")[0], 200)
        wait_until(lambda: ledger.settled_at(port, "app", "loki", lines), seconds + 30,
                   f"every line delivered after the {status}s")
        wait_until(lambda: get_status(port, "/ready")[0] == 200, 10, "/ready 200 again")
        ledger.check(ledger.from_metrics(port, "app", "loki"), lines)
        stderr = self.stop_run(proc)
        self.assert_exactly_once({(0, i) for i in range(lines)}, self.receiver.entries())
        self.assertRegex(stderr, rf'level=error msg="loki endpoint refused the push \(check url '
                                 rf'and credentials\); retrying" output=loki status={status}')
        self.assertNotIn("rejected", stderr)

    def test_401_for_20s(self):
        self.answer_for(401, 20)

    def test_403(self):
        self.answer_for(403, 4)

    def test_404(self):
        self.answer_for(404, 4)


class Utf8AndLongLines(LokiTest):
    def test_invalid_utf8_is_replaced_and_a_1mib_line_is_split(self):
        long_line = b"".join(b"%07d " % i for i in range(1 << 17))[: 1 << 20]
        with open(self.path("a.log"), "wb") as f:
            f.write(b"before \xff\xfe bad bytes \xc3\n" + long_line + b"\nafter\n")
        result = self.tail("--label=job=raw", "--", self.path("a.log"))
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        lines = [e["line"] for e in self.receiver.entries()]
        self.assertEqual(self.receiver.stats()["invalid_requests"], 0)
        self.assertEqual(lines[0], "before \ufffd\ufffd bad bytes \ufffd")
        self.assertEqual(lines[-1], "after")
        pieces = lines[1:-1]
        self.assertGreater(len(pieces), 1, "the 1 MiB line was not split")
        self.assertTrue(all(len(p) <= 256 * 1024 for p in pieces))
        self.assertEqual("".join(pieces).encode(), long_line)


class Status260Retried(LokiTest):
    def test_ingestion_refused_260_is_retried_not_acknowledged(self):
        # Loki's 260 is a 2xx that means "not ingested". Three pushes get it, interleaved
        # with accepted ones; four streams put at least six pushes through the script.
        self.receiver.control("ok count=1\n260 count=2\nok count=1\n260 count=1\n")
        total = 20_000
        write_json_logs(self.path("a.log"), 0, total)
        proc = self.start_tail("--parser", "json", "--label=level={fields.level}", "--",
                               self.path("a.log"))
        stderr = self.finish_tail(proc, 60)
        stats = self.receiver.stats()
        self.assertEqual(stats["script_phases_left"], 0, f"the script was not used up: {stats}")
        self.assertEqual(stats["faults_served"], 3, stats)
        # Every refused push was sent again, and nothing was accepted twice.
        self.assertEqual(stats["requests"], stats["accepted_requests"] + 3, stats)
        self.assertEqual(stats["invalid_requests"], 0)
        self.assertEqual(stats["accepted_entries"], total, stats)
        self.assertRegex(stderr, r'msg="loki push failed; retrying until it succeeds" '
                                 r'output=\S+ status=260 ')
        self.assertNotIn("loki push rejected", stderr)
        self.assert_exactly_once({(0, s) for s in range(total)}, self.receiver.entries())


class StreamLimit(LokiTest):
    def test_records_over_max_streams_lose_field_labels_counted_exactly_and_logged(self):
        # user = u0..u6 in turn; max_streams = 3 keeps the first three users seen (u0-u2) as
        # streams; the others are shipped without the user label (README: "Labels"), one
        # more stream {job="app"}, and each of those records is counted. The file is written
        # in two parts, so at least two batches go over the cap.
        half, users, cap = 7_000, 7, 3
        total = 2 * half

        def append(start):
            with open(self.path("a.log"), "a") as f:
                for i in range(start, start + half):
                    f.write(f'{{"user":"u{i % users}","file":0,"seq":{i}}}\n')

        append(0)
        over_limit = sum(1 for i in range(total) if i % users >= cap)
        port = free_port()
        proc = self.start_run(
            metrics_listen=f"127.0.0.1:{port}",
            input_keys='parser = "json"\nlabels = { job = "app" }',
            output_keys=(f'labels = {{ job = "{{job}}", user = "{{fields.user}}" }}\n'
                         f'max_streams = {cap}\nlinger = "20ms"'))
        self.wait_accepted_while_running(proc, half, 60)
        append(half)
        self.wait_accepted_while_running(proc, total, 60)
        series = '{output="loki"}'
        counted = lambda: scrape_metric(port, "logship_loki_records_over_stream_limit_total",
                                        series)
        # The counter is published after the batch's last push is queued: await it.
        wait_until(lambda: counted() == over_limit, 10,
                   f"logship_loki_records_over_stream_limit_total == {over_limit} "
                   f"(it is {counted()})")
        self.assertEqual(scrape_metric(port, "logship_loki_streams", series), cap + 1)
        stderr = self.stop_run(proc)
        entries = self.receiver.entries()
        self.assert_exactly_once({(0, s) for s in range(total)}, entries)
        for entry in entries:
            record = json.loads(entry["line"])
            expected = (f'{{job="app", user="{record["user"]}"}}'
                        if record["seq"] % users < cap else '{job="app"}')
            self.assertEqual(entry["labels"], expected, record)
        # One warning when the cap is first exceeded; the later batches' repeats within the
        # log's 10 s interval are counted, not written, and the count comes out at exit.
        warnings = [line for line in stderr.splitlines()
                    if 'msg="loki stream limit reached' in line]
        first = [line for line in warnings if "repeated=" not in line]
        self.assertEqual(len(first), 1, stderr)
        self.assertRegex(first[0], r"level=warn .*output=loki max_streams=3 records=\d+")
        self.assertTrue(any(re.search(r"repeated=[1-9]", line) for line in warnings), stderr)


class AuthHeadersOnEveryPush(LokiTest):
    """The tenant and credentials of a config file go with every push of `logship run`:
    small batches make many pushes; 500s, a reset connection and a 429 make retries and a
    new connection, which must carry them too."""

    def run_with(self, settings):
        total = 3_000
        write_json_logs(self.path("a.log"), 0, total)
        self.receiver.control("500 count=2\nok count=5\nreset count=1\nok count=5\n"
                              "429 count=1\n")
        proc = self.start_run(output_keys=f"""batch_bytes = "8KiB"
linger = "20ms"
max_concurrent_requests = 2
min_backoff = "10ms"
max_backoff = "50ms"
{settings}""")
        self.wait_accepted_while_running(proc, total, 60)
        self.stop_run(proc)
        self.assert_exactly_once({(0, s) for s in range(total)}, self.receiver.entries())
        stats = self.receiver.stats()
        self.assertEqual(stats["script_phases_left"], 0, f"the script was not used up: {stats}")
        self.assertGreaterEqual(stats["requests"], 30, stats)
        self.assertGreaterEqual(stats["connections"], 2, stats)
        return stats

    def test_tenant_and_basic_auth_on_every_push(self):
        stats = self.run_with('tenant = "team-a"\n'
                              'basic_auth_user = "shipper"\n'
                              'basic_auth_password = "pa:ss word"\n')
        basic = "Basic " + base64.b64encode(b"shipper:pa:ss word").decode()
        self.assertEqual(stats["push_headers"], [
            {"tenant": "team-a", "authorization": basic, "pushes": stats["requests"]}])

    def test_tenant_and_bearer_token_file_on_every_push(self):
        token_file = self.path("token")
        with open(token_file, "w") as f:
            f.write("s3cret-token\n")
        stats = self.run_with(f'tenant = "team-b"\nbearer_token_file = "{token_file}"\n')
        self.assertEqual(stats["push_headers"], [
            {"tenant": "team-b", "authorization": "Bearer s3cret-token",
             "pushes": stats["requests"]}])


class KillAndRestart(LokiTest):
    def test_sigkill_mid_run_is_at_least_once_with_bounded_duplicates(self):
        # Slow the receiver to about one accepted push per second so the kill lands mid-run.
        self.receiver.control("ok count=1\n429 count=1 retry_after=1\n" * 100)
        total = 100_000
        write_json_logs(self.path("a.log"), 0, total)
        args = ["--data-dir", self.path("data"), "--", self.path("a.log")]
        proc = self.start_tail(*args)
        wait_until(lambda: proc.poll() is not None or
                   self.receiver.stats()["accepted_requests"] >= 3, 60,
                   "three accepted pushes before the kill")
        if proc.poll() is not None:
            self.finish_tail(proc, 1)  # fails with logship's error if it exited non-zero
            self.fail("logship finished before it could be killed")
        proc.kill()
        proc.wait()
        before = self.receiver.stats()
        self.assertLess(before["accepted_entries"], total, "everything shipped before the kill")
        self.receiver.control("")  # healthy from now on
        self.finish_tail(self.start_tail(*args), 120)
        entries = self.receiver.entries()
        seqs = [json.loads(e["line"])["seq"] for e in entries]
        self.assertEqual(set(seqs), set(range(total)), "a line was lost")
        duplicates = len(seqs) - total
        # At-least-once: pushes accepted but not yet checkpointed when the process died are
        # sent again. In slow motion (one push per ~2 s, checkpoints every second) that is at
        # most a few pushes.
        per_push = -(-before["accepted_entries"] // before["accepted_requests"])
        print(f"killed after {before['accepted_entries']} accepted entries; {duplicates} "
              f"duplicates after the restart (~{per_push} entries per push)", file=sys.stderr)
        self.assertLessEqual(duplicates, 3 * per_push,
                             f"{duplicates} duplicates, pushes carried ~{per_push} entries")


class Tls(LokiTest):
    def test_https_with_a_trusted_ca_delivers_and_an_untrusted_one_never_does(self):
        proxy = TlsProxy(self.dir, self.receiver.port)
        try:
            write_json_logs(self.path("a.log"), 0, 2_000)
            url = f"https://127.0.0.1:{proxy.port}/loki/api/v1/push"
            stderr_path = self.path("untrusted.stderr")
            with open(stderr_path, "wb") as stderr:
                untrusted = subprocess.Popen(
                    [LOGSHIP, "tail", "--from-head", "--output", "loki", "--loki-url", url,
                     "--", self.path("a.log")], stderr=stderr,
                    env={**os.environ, "SSL_CERT_FILE": "/nonexistent",
                         "SSL_CERT_DIR": "/nonexistent"})
            self.procs.append(untrusted)

            def said_tls_failed():
                with open(stderr_path, "rb") as f:
                    text = f.read()
                if untrusted.poll() is not None:
                    self.fail(f"logship exited {untrusted.returncode}: {text!r}")
                return b"TLS handshake" in text

            wait_until(said_tls_failed, 30, "logship to report the failed TLS handshake")
            untrusted.kill()
            untrusted.wait()
            self.assertEqual(self.receiver.stats()["accepted_entries"], 0)
            trusted = subprocess.run(
                [LOGSHIP, "tail", "--from-head", "--output", "loki", "--loki-url", url,
                 "--", self.path("a.log")], capture_output=True, timeout=60,
                env={**os.environ, "SSL_CERT_FILE": proxy.cert})
            self.assertEqual(trusted.returncode, 0, trusted.stderr.decode(errors="replace"))
            self.assert_exactly_once({(0, s) for s in range(2_000)}, self.receiver.entries())
        finally:
            proxy.close()


if __name__ == "__main__":
    program = unittest.main(verbosity=2, exit=False)
    result = program.result
    # A run that tested nothing (a misspelt scenario name) is a failure, not a pass.
    if not result.wasSuccessful() or result.testsRun == 0:
        sys.exit(1)
