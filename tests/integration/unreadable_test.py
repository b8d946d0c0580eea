"""Paths the agent may not read are never silent. Run as the unprivileged user `nobody`
(the tests switch to it, so they need root): a chmod 000 file, a file in a
chmod 000 directory, a directory given as a path and a glob with no match are each named
in one warn line with the system's reason and counted, while the readable file is shipped."""

import os
import pwd
import re
import subprocess
import unittest

import durable
import harness
import ledger



def warned(stderr, path):
    """The reasons of the `path unreadable` warn lines naming `path`."""
    pattern = re.compile(r'level=warn msg="path unreadable" input=\S+ path="?' + re.escape(path) +
                         r'"? reason="([^"]*)"')
    return pattern.findall(stderr)


@unittest.skipUnless(os.geteuid() == 0, "switching to the user nobody needs root")
class UnreadablePaths(harness.TempDirTest):
    def setUp(self):
        super().setUp()
        os.chmod(self.dir, 0o755)
        self.readable = self.write("ok.log", durable.lines(0, 3))
        self.secret = self.write("secret.log", durable.lines(100, 2))
        os.chmod(self.secret, 0)
        os.mkdir(self.path("closed"))
        self.inner = self.write("closed/inner.log", durable.lines(200, 2))
        os.chmod(self.path("closed"), 0)
        os.mkdir(self.path("adir"))
        os.mkdir(self.path("empty"))
        self.unmatched = self.path("empty/*.log")
        self.addCleanup(os.chmod, self.path("closed"), 0o755)
        os.mkdir(self.path("bin"))
        self.logship = harness.copy_for_any_user(self.path("bin"))
        self.expected = {self.secret: ["permission denied"],
                         self.inner: ["permission denied"],
                         self.path("adir"): ["is a directory"],
                         self.unmatched: ["no match"]}

    def assert_each_warned_once(self, stderr, expected):
        for path, reasons in expected.items():
            self.assertEqual(warned(stderr, path), reasons, f"warn lines for {path}:\n{stderr}")

    def test_tail_ships_the_readable_file_names_each_other_and_exits_1(self):
        result = subprocess.run(
            [self.logship, "tail", "--from-head", self.readable, self.secret, self.inner,
             self.path("adir"), self.unmatched], capture_output=True, timeout=60,
            preexec_fn=harness.become_nobody)
        stderr = result.stderr.decode()
        self.assertEqual(result.returncode, 1, stderr)
        self.assertEqual(result.stdout, durable.lines(0, 3))
        self.assert_each_warned_once(stderr, self.expected)
        ledger.check(ledger.from_summary(result.stderr), 3)

    def test_tail_with_nothing_readable_fails_with_every_reason(self):
        result = subprocess.run([self.logship, "tail", "--from-head", self.secret,
                                 self.path("adir")], capture_output=True, timeout=60,
                                preexec_fn=harness.become_nobody)
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"no file can be read: {self.path('adir')} (is a directory) {self.secret} "
                      "(permission denied)", result.stderr.decode())

    def test_run_counts_them_logs_each_once_and_again_when_its_reason_changes(self):
        port = harness.free_port()
        data = self.path("data")
        os.mkdir(data)
        nobody = pwd.getpwnam("nobody")
        os.chown(data, nobody.pw_uid, nobody.pw_gid)
        paths = [self.readable, self.secret, self.inner, self.path("adir"), self.unmatched]
        config = self.path("logship.toml")
        with open(config, "w") as f:
            f.write(f'[agent]\ndata_dir = "{data}"\nmetrics_listen = "127.0.0.1:{port}"\n\n'
                    f'[[inputs]]\nname = "app"\ntype = "file"\nstart_at = "head"\n'
                    f'rescan_interval = "100ms"\npaths = {paths!r}\n\n'.replace("'", '"') +
                    '[[outputs]]\nname = "out"\ntype = "stdout"\nformat = "raw"\n')
        agent = durable.Agent(["run", "-c", config], self.path("out.txt"), self.path("err"),
                              preexec_fn=harness.become_nobody, binary=self.logship)
        agent.start()
        self.addCleanup(agent.ensure_dead)

        def unreadable():
            try:
                samples = ledger.scrape(port)
            except OSError:  # not listening yet
                return None
            return samples.get(("logship_input_unreadable_paths", frozenset({("input", "app")})))

        harness.wait_until(lambda: unreadable() == 4, 20,
                           "logship_input_unreadable_paths{input=app} == 4")
        durable.wait_for_size(self.path("out.txt"), 3 * durable.WIDTH, 20, "ok.log's 3 lines")
        # The file made readable is shipped and leaves the count; the glob whose directory
        # is closed now is logged again with its new reason.
        os.chmod(self.secret, 0o644)
        os.chmod(self.path("empty"), 0)
        self.addCleanup(os.chmod, self.path("empty"), 0o755)
        harness.wait_until(lambda: unreadable() == 3, 20, "secret.log readable again")
        durable.wait_for_size(self.path("out.txt"), 5 * durable.WIDTH, 20, "secret.log's lines")
        harness.wait_until(lambda: warned(agent.stderr_text(), self.unmatched) ==
                           ["no match", "permission denied"], 20,
                           "a second warn line for the glob, with its new reason")
        harness.wait_until(lambda: ledger.settled_at(port, "app", "out", 5), 20,
                           "5 lines settled")
        ledger.check(ledger.from_metrics(port, "app", "out"), 5)
        self.assertEqual(agent.stop(), 0, agent.stderr_text())
        stderr = agent.stderr_text()
        self.assert_each_warned_once(stderr, {**self.expected,
                                              self.unmatched: ["no match", "permission denied"]})
        with open(self.path("out.txt"), "rb") as f:
            self.assertEqual(sorted(f.read().splitlines(keepends=True)),
                             sorted(durable.lines(0, 3).splitlines(keepends=True) +
                                    durable.lines(100, 2).splitlines(keepends=True)))


if __name__ == "__main__":
    harness.main()
