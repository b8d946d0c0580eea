"""A full disk under data_dir (a 1 MiB tmpfs mounted by the test; CI runs as root): checkpoint
writes fail with ENOSPC while the agent keeps shipping; each failure is counted
(logship_checkpoint_write_errors_total), logged without flooding, and the checkpoint file
stays the last good one, never torn; once space is freed saving resumes. Killed while the
disk is full, a restart starts from the last good checkpoint: what was shipped after it is
shipped again, nothing is lost."""

import errno
import os
import subprocess

import durable
import harness
import ledger


def fill(directory):
    """Writes a filler file until the filesystem is full; returns its path."""
    path = os.path.join(directory, "filler")
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
    return path


class FullDisk(harness.TempDirTest):
    def setUp(self):
        super().setUp()
        if os.geteuid() != 0:
            self.fail("mounting a tmpfs needs root (CI runs as root)")
        self.data = self.path("data")
        os.makedirs(self.data)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", self.data], check=True)
        self.addCleanup(subprocess.run, ["umount", "-l", self.data], check=True)

    def config(self, port):
        return self.write("logship.toml", f"""
[agent]
data_dir = "{self.data}"
checkpoint_interval = "100ms"
metrics_listen = "127.0.0.1:{port}"
[[inputs]]
name = "app"
paths = ["{self.path('app.log')}"]
start_at = "head"
[[outputs]]
name = "out"
type = "stdout"
""".encode())

    def offset(self):
        entries = durable.read_checkpoints(self.data)  # fails the test on a torn file
        return entries[0]["offset"] if entries else None

    def test_checkpoints_fail_counted_while_shipping_goes_on_and_resume_when_space_returns(self):
        log = self.write("app.log", durable.lines(0, 1000))
        port = harness.free_port()
        agent = durable.Agent(["run", "-c", self.config(port)], self.path("out1.txt"),
                              self.path("agent.err"))
        agent.start()
        self.addCleanup(agent.ensure_dead)
        first_size = os.path.getsize(log)
        harness.wait_until(lambda: self.offset() == first_size, 20, "the first checkpoint")

        filler = fill(self.data)
        with open(log, "ab") as f:
            f.write(durable.lines(1000, 1000))
        harness.wait_until(lambda: ledger.settled_at(port, "app", "out", 2000), 20,
                           "the lines appended with the disk full to be shipped")
        errors = lambda: ledger.scrape(port)[("logship_checkpoint_write_errors_total",
                                              frozenset())]
        harness.wait_until(lambda: errors() >= 3, 20, "failed checkpoint saves to be counted")
        self.assertEqual(self.offset(), first_size, "the last good checkpoint must stay whole")
        log_text = agent.stderr_text()
        self.assertIn("cannot write checkpoints", log_text)
        self.assertIn("No space left on device", log_text)
        # The agent log folds repeats: far fewer lines than failures.
        self.assertLess(log_text.count("cannot write checkpoints"), errors())

        # Killed while full: the restart has only the last good checkpoint.
        agent.kill()
        os.remove(filler)
        restarted = durable.Agent(["run", "-c", self.config(port)], self.path("out2.txt"),
                                  self.path("agent2.err"))
        restarted.start()
        self.addCleanup(restarted.ensure_dead)
        full_size = os.path.getsize(log)
        harness.wait_until(lambda: self.offset() == full_size, 20,
                           "saving to resume once space is free")
        harness.wait_until(lambda: ledger.settled_at(port, "app", "out", 1000), 20,
                           "the 1000 lines after the last good checkpoint, shipped again")
        ledger.check(ledger.from_metrics(port, "app", "out"), 1000)
        self.assertEqual(restarted.stop(), 0, restarted.stderr_text())
        with open(self.path("out1.txt"), "rb") as f:
            first_run = f.read()
        with open(self.path("out2.txt"), "rb") as f:
            second_run = f.read()
        self.assertEqual(first_run, durable.lines(0, 2000))
        self.assertEqual(second_run, durable.lines(1000, 1000),
                         "the restart resumes at the last good checkpoint, not before or after")


if __name__ == "__main__":
    harness.main()
