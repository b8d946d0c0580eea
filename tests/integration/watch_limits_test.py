"""inotify's limits, met for real through its sysctls (restored after each test; run
serially, as they are host-wide): directories beyond fs.inotify.max_user_watches are
polled, logged once and counted, and their files still ship; a burst of creations past
fs.inotify.max_queued_events overflows the event queue, which a full rescan answers, so no
file is missed and the overflow is counted."""

import os
import pwd
import unittest

import durable
import harness
import ledger

SYSCTL = "/proc/sys/fs/inotify/"


def sysctl(name, value=None):
    with open(SYSCTL + name, "r+") as f:
        old = f.read().strip()
        if value is not None:
            f.seek(0)
            f.write(str(value))
    return old


def writable_sysctls():
    try:
        for name in ("max_user_watches", "max_queued_events"):
            sysctl(name, sysctl(name))
        return True
    except OSError:
        return False


@unittest.skipUnless(os.geteuid() == 0 and writable_sysctls(),
                     "needs root and writable fs.inotify sysctls")
class WatchLimits(harness.TempDirTest):
    def set_sysctl(self, name, value):
        old = sysctl(name, value)
        self.addCleanup(sysctl, name, old)

    def start(self, paths, as_nobody=False):
        os.chmod(self.dir, 0o755)
        self.port = harness.free_port()
        data = self.path("data")
        os.mkdir(data)
        config = self.path("logship.toml")
        with open(config, "w") as f:
            f.write(f'[agent]\ndata_dir = "{data}"\nmetrics_listen = "127.0.0.1:{self.port}"\n\n'
                    f'[[inputs]]\nname = "app"\ntype = "file"\npaths = ["{paths}"]\n'
                    'start_at = "head"\nrescan_interval = "30s"\n\n'
                    '[[outputs]]\nname = "out"\ntype = "stdout"\nformat = "raw"\n')
        preexec, binary = None, None
        if as_nobody:  # its own watch count, so the limit is exact whatever root holds
            nobody = pwd.getpwnam("nobody")
            os.chown(data, nobody.pw_uid, nobody.pw_gid)
            os.mkdir(self.path("bin"))
            preexec, binary = harness.become_nobody, harness.copy_for_any_user(self.path("bin"))
        self.agent = durable.Agent(["run", "-c", config], self.path("out.txt"), self.path("err"),
                                   preexec_fn=preexec, binary=binary)
        self.agent.start()
        self.addCleanup(self.agent.ensure_dead)

    def metric(self, name):
        try:
            return ledger.scrape(self.port).get((name, frozenset({("input", "app")})))
        except OSError:
            return None

    def lines_out(self):
        with open(self.path("out.txt"), "rb") as f:
            return f.read().count(b"\n")

    def test_directories_past_the_watch_limit_are_polled_counted_and_shipped(self):
        for d in range(30):
            os.mkdir(self.path(f"pod{d:02d}"))
            self.write(f"pod{d:02d}/app.log", durable.lines(d * 100, 10))
        self.set_sysctl("max_user_watches", 10)
        self.start(self.path("pod*/app.log"), as_nobody=True)
        # The root of the glob and 30 pod directories: 10 watched, 21 polled.
        harness.wait_until(lambda: self.metric("logship_input_polled_directories") == 21, 20,
                           "21 polled directories")
        harness.wait_until(lambda: self.lines_out() == 300, 20, "the 300 lines there at start")
        for d in range(30):  # appends in watched and in polled directories alike
            with open(self.path(f"pod{d:02d}/app.log"), "ab") as f:
                f.write(durable.lines(d * 100 + 10, 1))
        harness.wait_until(lambda: self.lines_out() == 330, 10,
                           "every append, polled directories' included")
        harness.wait_until(lambda: ledger.settled_at(self.port, "app", "out", 330), 20,
                           "330 lines settled")
        ledger.check(ledger.from_metrics(self.port, "app", "out"), 330)
        self.assertEqual(self.agent.stop(), 0)
        self.assertEqual(self.agent.stderr_text().count("inotify watches exhausted"), 1,
                         self.agent.stderr_text())

    def test_a_queue_overflow_is_answered_by_a_rescan_that_misses_no_file(self):
        os.mkdir(self.path("logs"))
        self.set_sysctl("max_queued_events", 16)  # read when the agent's inotify starts
        self.start(self.path("logs/*.log"))
        harness.wait_until(lambda: self.metric("logship_input_watch_overflows_total") == 0, 20,
                           "the agent serving metrics")
        for n in range(500):
            self.write(f"logs/{n:03d}.log", durable.lines(n, 1))
        # Far less than rescan_interval (30 s): the overflow's rescan finds them, not the timer.
        harness.wait_until(lambda: self.lines_out() == 500, 10, "a line from each of 500 files")
        self.assertGreaterEqual(self.metric("logship_input_watch_overflows_total"), 1)
        harness.wait_until(lambda: ledger.settled_at(self.port, "app", "out", 500), 20,
                           "500 lines settled")
        ledger.check(ledger.from_metrics(self.port, "app", "out"), 500)
        self.assertEqual(self.agent.stop(), 0)


if __name__ == "__main__":
    harness.main()
