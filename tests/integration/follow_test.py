"""`logship tail -f`: appends are shipped in order while another process writes them, and
SIGTERM drains and exits 0 promptly."""

import os
import signal
import subprocess
import threading
import time

import harness

LINES = 100_000
BURST = 5_000


class Follow(harness.TempDirTest):
    def test_appends_in_bursts_arrive_in_order_and_sigterm_exits_zero(self):
        log = self.write("app.log", b"")
        out_path = self.path("out.txt")
        with open(out_path, "wb") as out:
            agent = subprocess.Popen([harness.LOGSHIP, "tail", "-f", "--from-head", log],
                                     stdout=out, stderr=subprocess.PIPE)
        try:
            # The writer is its own process, appending bursts with pauses between them.
            writer = subprocess.run(
                ["python3", "-c", WRITER, log, str(LINES), str(BURST)], timeout=120)
            self.assertEqual(writer.returncode, 0)
            expected_size = sum(len(b"line %d\n" % i) for i in range(LINES))
            harness.wait_until(lambda: os.path.getsize(out_path) >= expected_size, 60,
                               f"{expected_size} bytes of output")
            started = time.monotonic()
            agent.send_signal(signal.SIGTERM)
            code = agent.wait(timeout=10)
            elapsed = time.monotonic() - started
        finally:
            if agent.poll() is None:
                agent.kill()
        self.assertEqual(code, 0, agent.stderr.read().decode(errors="replace"))
        self.assertLess(elapsed, 2.0, "SIGTERM took too long to exit")
        with open(out_path, "rb") as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), LINES)
        self.assertTrue(lines == [b"line %d" % i for i in range(LINES)], "lines out of order")

    def test_a_partial_line_is_held_until_completed(self):
        log = self.write("app.log", b"")
        out_path = self.path("out.txt")
        with open(out_path, "wb") as out:
            agent = subprocess.Popen([harness.LOGSHIP, "tail", "-f", "--from-head", log],
                                     stdout=out, stderr=subprocess.DEVNULL)
        try:
            with open(log, "ab") as f:
                f.write(b"first\nsec")
                f.flush()
                harness.wait_until(lambda: os.path.getsize(out_path) == 6, 10, "the first line")
                f.write(b"ond\n")
            harness.wait_until(lambda: os.path.getsize(out_path) == 13, 10, "the second line")
            agent.send_signal(signal.SIGINT)
            self.assertEqual(agent.wait(timeout=10), 0)
        finally:
            if agent.poll() is None:
                agent.kill()
        with open(out_path, "rb") as f:
            self.assertEqual(f.read(), b"first\nsecond\n")


WRITER = """
import sys, time
path, total, burst = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, 'ab', buffering=0) as f:
    for start in range(0, total, burst):
        f.write(b''.join(b'line %d\\n' % i for i in range(start, min(total, start + burst))))
        time.sleep(0.01)
"""

if __name__ == "__main__":
    harness.main()
