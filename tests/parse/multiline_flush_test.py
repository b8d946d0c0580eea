"""`logship run` with multiline: the last multi-line record of a file that went quiet ships
after `multiline.flush_after`, not only after the much longer `flush_partial_after`."""

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402

TRACE = (b"java.lang.IllegalStateException: boom\n"
         b"\tat com.example.Shop.pay(Shop.java:42)\n"
         b"\tat com.example.Main.main(Main.java:7)\n")


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


class MultilineFlush(harness.TempDirTest):
    def test_a_quiet_files_last_stack_trace_ships_after_flush_after(self):
        log = self.write("app.log", b"")
        config = self.path("logship.toml")
        with open(config, "w") as f:
            f.write(f"""
[agent]
data_dir = "{self.path('data')}"
metrics_listen = ""

[[inputs]]
name = "app"
paths = ["{log}"]
start_at = "head"
flush_partial_after = "60s"
multiline = {{ mode = "java", flush_after = "300ms" }}

[[outputs]]
name = "out"
type = "stdout"
format = "json"
""")
        os.makedirs(self.path("data"))
        out_path = self.path("out.jsonl")
        with open(out_path, "wb") as out, open(self.path("stderr.txt"), "wb") as err:
            agent = subprocess.Popen([harness.LOGSHIP, "run", "-c", config], stdout=out,
                                     stderr=err)
        try:
            with open(log, "ab", buffering=0) as f:
                f.write(b"INFO started\n" + TRACE)
            written = time.monotonic()
            # Far below flush_partial_after (60 s): only flush_after can ship the trace.
            harness.wait_until(lambda: read_bytes(out_path).count(b"\n") >= 2, 15,
                               "the held stack trace")
            elapsed = time.monotonic() - written
            agent.send_signal(signal.SIGTERM)
            code = agent.wait(timeout=20)
        finally:
            if agent.poll() is None:
                agent.kill()
                agent.wait()
        self.assertEqual(code, 0, read_bytes(self.path("stderr.txt")).decode(errors="replace"))
        lines = [json.loads(line)["line"] for line in read_bytes(out_path).splitlines()]
        self.assertEqual(lines, ["INFO started", TRACE.decode().rstrip("\n")])
        self.assertGreaterEqual(elapsed, 0.25, "shipped before flush_after")


if __name__ == "__main__":
    harness.main()
