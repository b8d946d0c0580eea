"""/metrics, /health and /ready of `logship run`: the exposition parses as strict
Prometheus text format and its counters equal what was shipped."""

import re
import signal
import socket
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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Metrics(harness.TempDirTest):
    def test_counters_equal_the_lines_shipped(self):
        port = free_port()
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
            def get(path):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                    return r.status, r.read().decode()

            def shipped():
                with open(self.path("out.txt"), "rb") as f:
                    return f.read().count(b"\n")

            harness.wait_until(lambda: shipped() == LINES, 60, f"{LINES} lines shipped")
            self.assertEqual(get("/health")[0], 200)
            self.assertEqual(get("/ready")[0], 200)
            status, text = get("/metrics")
            self.assertEqual(status, 200)
            samples = parse_exposition(text)
            out = frozenset({("output", "out")})
            app = frozenset({("input", "app")})
            self.assertEqual(samples[("logship_output_sent_records_total", out)], LINES)
            self.assertEqual(samples[("logship_input_read_lines_total", app)], LINES)
            self.assertEqual(samples[("logship_memory_limit_bytes", frozenset())], 64 << 20)
            agent.send_signal(signal.SIGTERM)
            self.assertEqual(agent.wait(timeout=20), 0)
        finally:
            if agent.poll() is None:
                agent.kill()


if __name__ == "__main__":
    harness.main()
