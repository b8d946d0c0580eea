"""Shared helpers for the Kafka integration tests: the mock cluster process (mock_kafka), the
real consumer (kafka_consume), deterministic corpora, and the logship binary. Every wait is
bounded and fails with a message saying what was expected. Standard library only.

Each test script is run as: SCRIPT LOGSHIP MOCK_KAFKA KAFKA_CONSUME [unittest args].
"""

import collections
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

if len(sys.argv) < 4:
    sys.exit("usage: %s LOGSHIP MOCK_KAFKA KAFKA_CONSUME [unittest args]" % sys.argv[0])
LOGSHIP, MOCK_KAFKA, KAFKA_CONSUME = (os.path.abspath(p) for p in sys.argv[1:4])
del sys.argv[1:4]
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import ledger  # noqa: E402  (the shared ledger check, found through the path above)
# Under ASan everything is slower and RSS means nothing; CMake says which build this is.
SANITIZED = os.environ.get("LOGSHIP_SANITIZED") == "1"


class LineReader:
    """Reads lines from a pipe with a timeout (select on the raw fd, own buffer)."""

    def __init__(self, stream):
        self.fd = stream.fileno()
        self.buffer = b""

    def readline(self, timeout, what):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                chunk = os.read(self.fd, 4096)
                if not chunk:
                    raise AssertionError(f"pipe closed while waiting for {what}")
                self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()


class MockKafka:
    """The mock_kafka process: N brokers on 127.0.0.1, faults on stdin."""

    def __init__(self, workdir, brokers=3, topics=(("logs", 6),)):
        args = [MOCK_KAFKA, "--brokers", str(brokers)]
        for name, partitions in topics:
            args += ["--topic", name, "--partitions", str(partitions)]
        self.log = open(os.path.join(workdir, "mock_kafka.log"), "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log)
        self.reader = LineReader(self.proc.stdout)
        self.bootstrap = self.reader.readline(10, "mock_kafka's bootstrap servers")
        self.brokers = brokers

    def command(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        answer = self.reader.readline(10, f"mock_kafka's answer to '{line}'")
        if answer != "ok":
            raise AssertionError(f"mock_kafka: '{line}' -> {answer}")

    def all_brokers(self, state):
        for broker in range(1, self.brokers + 1):
            self.command(f"broker_{state} {broker}")

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (subprocess.TimeoutExpired, BrokenPipeError):
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.log.close()


def consume(bootstrap, topic, expect, timeout=60):
    """All messages of `topic` as (partition, offset, key, value) tuples, bytes key/value."""
    result = subprocess.run([KAFKA_CONSUME, "--brokers", bootstrap, "--topic", topic,
                             "--expect", str(expect), "--timeout", str(timeout)],
                            capture_output=True, timeout=timeout + 30)
    if result.returncode != 0:
        raise AssertionError("kafka_consume failed: " + result.stderr.decode(errors="replace"))
    return parse_records(result.stdout)


class BackgroundConsumer:
    """kafka_consume reading `topic` while the test runs, so lines are read before the mock
    broker drops old segments (it keeps ~5 MiB and 100k messages per partition)."""

    def __init__(self, workdir, bootstrap, topic, expect, timeout=180):
        self.path = os.path.join(workdir, f"consumed-{topic}.tsv")
        self.out = open(self.path, "wb")
        self.err = open(self.path + ".err", "wb")
        self.timeout = timeout
        self.proc = subprocess.Popen([KAFKA_CONSUME, "--brokers", bootstrap, "--topic", topic,
                                      "--expect", str(expect), "--timeout", str(timeout)],
                                     stdout=self.out, stderr=self.err)

    def messages(self):
        """Waits for the consumer to finish; the messages as consume() returns them."""
        code = self.proc.wait(timeout=self.timeout + 30)
        self.out.close()
        self.err.close()
        if code != 0:
            with open(self.path + ".err", "rb") as f:
                raise AssertionError("kafka_consume failed: " + f.read().decode(errors="replace"))
        with open(self.path, "rb") as f:
            return parse_records(f.read())

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.out.close()
        self.err.close()


def parse_records(output):
    messages = []
    for line in output.split(b"\n")[:-1]:
        partition, offset, key, value = line.split(b"\t", 3)
        messages.append((int(partition), int(offset), key, value))
    return messages


def produced_count(bootstrap, topic, expect=0, timeout=60):
    """Messages ever appended to `topic` (sum of high watermarks), once it reaches `expect`."""
    result = subprocess.run([KAFKA_CONSUME, "--brokers", bootstrap, "--topic", topic,
                             "--watermarks", "--expect", str(expect), "--timeout", str(timeout)],
                            capture_output=True, timeout=timeout + 30)
    last = result.stdout.decode().strip().split("\n")[-1]
    if not last.startswith("messages "):
        raise AssertionError("kafka_consume --watermarks failed: " + result.stderr.decode())
    return int(last.split()[1])


def make_lines(file_id, count, start=0):
    """Deterministic, self-identifying lines ("f<file> <seq> <payload>") of varied length,
    with JSON-ish text, tabs and multi-byte UTF-8, no newline or carriage return."""
    words = ["alpha", "beta\tgamma", "δέλτα", "{\"k\":\"v\"}", "epsilon", "日本語", "z"]
    lines = []
    for seq in range(start, start + count):
        payload = " ".join(words[(seq * 7 + i) % len(words)] for i in range(seq % 9 + 1))
        lines.append(f"f{file_id} {seq:08d} {payload}".encode())
    return lines


def write_lines(path, lines, mode="wb"):
    with open(path, mode) as f:
        f.write(b"".join(line + b"\n" for line in lines))


def line_id(value):
    """(file, seq) of a line made by make_lines."""
    file_part, seq, _ = value.split(b" ", 2)
    return file_part.decode(), int(seq)


class ProcessWatch:
    """Samples a process's resident memory while the test waits on something else:
    peak_rss is the largest VmRSS seen, high_water the kernel's VmHWM (whole life)."""

    def __init__(self, proc):
        self.proc = proc
        self.peak_rss = 0
        self.high_water = 0

    def sample(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        self.peak_rss = max(self.peak_rss, int(line.split()[1]) * 1024)
                    elif line.startswith("VmHWM:"):
                        self.high_water = max(self.high_water, int(line.split()[1]) * 1024)
        except FileNotFoundError:
            pass


def wait_until(condition, timeout, what, watch=None):
    """Polls `condition` until true; fails with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if watch:
            watch.sample()
        if condition():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def wait_exit(proc, timeout, what, watch=None):
    wait_until(lambda: proc.poll() is not None, timeout, what, watch)
    return proc.returncode


def start_logship(args, workdir, name="logship"):
    log = open(os.path.join(workdir, name + ".log"), "ab")
    proc = subprocess.Popen([LOGSHIP, *args], stdout=subprocess.DEVNULL, stderr=log)
    proc.log_file = log
    return proc


def stop_logship(proc, timeout=60):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    return wait_exit(proc, timeout, "logship to exit after SIGTERM")


def tail_args(bootstrap, topic, paths, *extra):
    return ["tail", "--from-head", "--output", "kafka", "--kafka-brokers", bootstrap,
            "--kafka-topic", topic, *extra, *paths]


def free_port():
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path):
    """(status, body) of a GET on logship's endpoint; 5xx answers included."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def metric(port, name, output="kafka"):
    """The value of `name`{output="..."} on logship's /metrics, 0 when not exported yet."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    labels = rf'\{{[^}}]*output="{re.escape(output)}"[^}}]*\}}'
    match = re.search(rf"^{re.escape(name)}{labels} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def checkpointed(data_dir, path):
    """The acknowledged offset of `path` in logship's checkpoint file (v1 text), or -1."""
    try:
        with open(os.path.join(data_dir, "checkpoints"), encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return -1
    for line in text.split("\n"):
        fields = line.split("\t")
        if fields[0] == "v1" and len(fields) == 11 and fields[10] == path:
            return int(fields[6])
    return -1


def write_config(path, data_dir, inputs_paths, bootstrap, topic, memory_limit="32MiB",
                 extra_output="", properties=None, metrics_port=None, shutdown_timeout="20s"):
    """A `logship run` config; /metrics on 127.0.0.1:`metrics_port`, or off without one."""
    props = ", ".join(f'"{k}" = "{v}"' for k, v in (properties or {}).items())
    paths = ", ".join(f'"{p}"' for p in inputs_paths)
    listen = f"127.0.0.1:{metrics_port}" if metrics_port else ""
    with open(path, "w") as f:
        f.write(f"""
[agent]
data_dir = "{data_dir}"
memory_limit = "{memory_limit}"
checkpoint_interval = "200ms"
shutdown_timeout = "{shutdown_timeout}"
metrics_listen = "{listen}"

[[inputs]]
name = "app"
paths = [{paths}]
start_at = "head"

[[outputs]]
name = "kafka"
type = "kafka"
brokers = ["{bootstrap}"]
topic = "{topic}"
properties = {{ {props} }}
{extra_output}
""")
    return path


class KafkaTest(unittest.TestCase):
    """A test with a temporary directory and a mock cluster, both cleaned up."""

    brokers = 3
    topics = (("logs", 6),)

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="logship-kafka-")
        self.dir = self._tmp.name
        self.kafka = MockKafka(self.dir, self.brokers, self.topics)
        self.procs = []
        self.consumers = []

    def tearDown(self):
        for consumer in self.consumers:
            consumer.kill()
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.log_file.close()
        self.kafka.close()
        if os.environ.get("KEEP_LOGS"):
            print(f"logs kept in {self.dir}", file=sys.stderr)
        else:
            self._tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def consume_along(self, topic, expect):
        consumer = BackgroundConsumer(self.dir, self.kafka.bootstrap, topic, expect)
        self.consumers.append(consumer)
        return consumer

    def require_config_type(self, config):
        """Skips (saying why) when this build's config loader cannot load `config` yet."""
        check = subprocess.run([LOGSHIP, "check", "-c", config], capture_output=True)
        if check.returncode != 0 and b"kafka" in check.stderr:
            self.skipTest("logship check refuses type = \"kafka\": " +
                          check.stderr.decode(errors="replace").strip())

    def logship(self, args, name="logship"):
        proc = start_logship(args, self.dir, name)
        self.procs.append(proc)
        return proc

    def log_text(self, name="logship"):
        with open(self.path(name + ".log"), "rb") as f:
            return f.read().decode(errors="replace")

    def wait_produced(self, topic, count, timeout, proc, name="logship", watch=None):
        """Waits until `topic` holds `count` messages; fails at once if `proc` exits."""
        def arrived():
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited with {proc.returncode} while "
                                     f"{count} lines were expected in Kafka; its stderr:\n"
                                     f"{self.log_text(name)[-3000:]}")
            return produced_count(self.kafka.bootstrap, topic, timeout=2) >= count
        wait_until(arrived, timeout, f"{count} lines in Kafka topic {topic}", watch)

    def wait_acknowledged(self, data_dir, paths, timeout, proc, name="logship", watch=None):
        """Waits until the checkpoints of `paths` cover the whole files, so every line was
        acknowledged; after a restart or an outage the topic's message count cannot tell
        that, since it also counts the lines sent again."""
        sizes = {path: os.path.getsize(path) for path in paths}

        def covered():
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited with {proc.returncode} before its "
                                     f"checkpoints reached {sizes}; its stderr:\n"
                                     f"{self.log_text(name)[-3000:]}")
            return all(checkpointed(data_dir, path) == size for path, size in sizes.items())
        wait_until(covered, timeout, f"the checkpoints to reach the files' ends {sizes}", watch)

    def assert_exit(self, proc, timeout, what, watch=None, name="logship"):
        code = wait_exit(proc, timeout, what, watch)
        self.assertEqual(code, 0, f"{what}: exit {code}; its stderr:\n{self.log_text(name)[-3000:]}")

    def assert_tail_ledger(self, written, name="logship", **outcomes):
        """The finished `tail`'s summary accounts for exactly `written` lines (see
        tests/integration/ledger.py for `outcomes`)."""
        ledger.check(ledger.from_summary(self.log_text(name).encode()), written, **outcomes)

    def assert_all_arrived(self, messages, expected_lines, allow_duplicates=False):
        """Every expected line arrived byte for byte; no line that was not expected."""
        got = collections.Counter(value for _, _, _, value in messages)
        want = collections.Counter(expected_lines)
        missing = want - got
        unexpected = set(got) - set(want)
        self.assertFalse(missing, f"{sum(missing.values())} lines lost, e.g. "
                                  f"{list(missing)[:3]}")
        self.assertFalse(unexpected, f"lines nobody wrote arrived, e.g. {list(unexpected)[:3]}")
        duplicates = sum((got - want).values())
        if not allow_duplicates:
            self.assertEqual(duplicates, 0, f"{duplicates} lines arrived more than once")
        return duplicates

    def assert_file_order(self, messages):
        """Within each partition, each file's lines are in file order."""
        last = {}
        for partition, offset, _, value in sorted(messages, key=lambda m: (m[0], m[1])):
            file_id, seq = line_id(value)
            previous = last.get((partition, file_id), -1)
            self.assertGreater(seq, previous, f"partition {partition} offset {offset}: "
                                              f"{file_id} line {seq} after line {previous}")
            last[(partition, file_id)] = seq


def main():
    """Exit 1 on a failure, 77 (ctest's SKIP_RETURN_CODE here) when a test was skipped."""
    result = unittest.main(verbosity=2, exit=False).result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.skipped:
        print(f"{len(result.skipped)} test(s) skipped", file=sys.stderr)
        sys.exit(77)
    sys.exit(0)
