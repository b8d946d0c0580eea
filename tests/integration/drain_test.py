"""SIGTERM: stop reading, drain, checkpoint, exit 0 within shutdown_timeout + 1 s; a
restart re-reads nothing that was acknowledged. A second signal exits at once."""

import array
import fcntl
import os
import signal
import termios
import subprocess
import threading
import time

import harness

F_GETPIPE_SZ = 1032  # fcntl.F_GETPIPE_SZ, named only from Python 3.10 on

CONFIG = """
[agent]
data_dir = "{dir}/data"
shutdown_timeout = "{timeout}"
metrics_listen = ""
[[inputs]]
name = "app"
paths = ["{dir}/app.log"]
start_at = "head"
[[outputs]]
name = "out"
type = "stdout"
"""


class Drain(harness.TempDirTest):
    def start(self, timeout, stdout):
        config = self.write("logship.toml",
                            CONFIG.format(dir=self.dir, timeout=timeout).encode())
        with open(self.path("err.txt"), "wb") as err:
            return subprocess.Popen([harness.LOGSHIP, "run", "-c", config], stdout=stdout,
                                    stderr=err)

    def stderr_text(self):
        with open(self.path("err.txt"), "rb") as f:
            return f.read()

    def test_sigterm_under_load_drains_and_a_restart_repeats_nothing(self):
        self.write("app.log", b"")
        total = 300_000
        done_writing = threading.Event()

        def write():
            with open(self.path("app.log"), "ab", buffering=0) as f:
                for start in range(0, total, 3000):
                    f.write(b"".join(b"%d\n" % i for i in range(start, start + 3000)))
                    time.sleep(0.002)  # keep the agent under load while it is stopped
            done_writing.set()

        out = open(self.path("out.txt"), "ab")
        agent = self.start("2s", out)
        writer = threading.Thread(target=write)
        writer.start()
        try:
            harness.wait_until(lambda: os.path.getsize(self.path("out.txt")) > 100_000, 30,
                               "the agent to ship under load")
            started = time.monotonic()
            agent.send_signal(signal.SIGTERM)
            self.assertEqual(agent.wait(timeout=10), 0)
            self.assertLess(time.monotonic() - started, 3.0, "exit took over shutdown_timeout+1s")
            writer.join(timeout=120)
            agent = self.start("2s", out)
            # Lines written after the restart prove the new agent is up and following.
            with open(self.path("app.log"), "ab") as f:
                f.write(b"".join(b"%d\n" % i for i in range(total, total + 1000)))
            total += 1000
            harness.wait_until(
                lambda: open(self.path("out.txt"), "rb").read().endswith(b"%d\n" % (total - 1)),
                60, "the rest after the restart")
            agent.send_signal(signal.SIGTERM)
            self.assertEqual(agent.wait(timeout=10), 0)
        finally:
            writer.join(timeout=120)
            out.close()
            if agent.poll() is None:
                agent.kill()
        lines = open(self.path("out.txt"), "rb").read().splitlines()
        self.assertEqual(len(lines), total, "lines lost or shipped twice across the restart")
        self.assertTrue(lines == [b"%d" % i for i in range(total)])

    def stalled_agent(self, timeout):
        """An agent whose stdout is a pipe nobody reads: once it is full, the output is stuck."""
        self.write("app.log", b"".join(b"%d\n" % i for i in range(300_000)))
        read_end, write_end = os.pipe()
        agent = self.start(timeout, write_end)
        os.close(write_end)
        self.addCleanup(os.close, read_end)
        capacity = fcntl.fcntl(read_end, F_GETPIPE_SZ)

        def pipe_full():
            pending = array.array("i", [0])
            fcntl.ioctl(read_end, termios.FIONREAD, pending)
            return pending[0] >= capacity

        harness.wait_until(pipe_full, 30, "the output to fill the pipe")
        return agent

    def test_a_stuck_output_exits_zero_at_the_shutdown_timeout(self):
        agent = self.stalled_agent("1s")
        started = time.monotonic()
        agent.send_signal(signal.SIGTERM)
        self.assertEqual(agent.wait(timeout=10), 0)
        self.assertLess(time.monotonic() - started, 2.0)
        self.assertIn(b"did not drain", self.stderr_text())

    def test_a_second_signal_exits_at_once(self):
        agent = self.stalled_agent("60s")
        agent.send_signal(signal.SIGTERM)
        harness.wait_until(lambda: b"stopping" in self.stderr_text(), 10, "the first signal")
        started = time.monotonic()
        agent.send_signal(signal.SIGTERM)
        self.assertEqual(agent.wait(timeout=10), 1)
        self.assertLess(time.monotonic() - started, 2.0)


if __name__ == "__main__":
    harness.main()
