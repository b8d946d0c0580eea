"""`logship tail` draws a progress line on stderr when it is a terminal (unless the
records go to that same terminal), none when stderr is piped, and as --progress says."""

import shlex
import subprocess

import harness
import ledger

LINES = 2_000_000


class Progress(harness.TempDirTest):
    def setUp(self):
        super().setUp()
        self.log = self.write("big.log", b"".join(b"line %08d\n" % i for i in range(LINES)))

    def test_a_terminal_gets_a_progress_line(self):
        command = shlex.join([harness.LOGSHIP, "tail", "--from-head", "--output", "null", self.log])
        # script(1) runs the command on a pseudo-terminal and copies what it draws.
        result = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True,
                                timeout=120)
        self.assertEqual(result.returncode, 0, result.stdout.decode(errors="replace"))
        self.assertIn(b"%", result.stdout)
        self.assertIn(b"MiB", result.stdout)
        self.assertIn(b"logship: files=1", result.stdout)

    def on_a_terminal(self, *args):
        command = shlex.join([harness.LOGSHIP, "tail", "--from-head", *args, self.log])
        result = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True,
                                timeout=120)
        self.assertEqual(result.returncode, 0, result.stdout[-2000:].decode(errors="replace"))
        # stdout and stderr share the terminal: the summary is the text after the last erase.
        ledger.check(ledger.from_summary(result.stdout.split(b"\x1b[K")[-1]), LINES)
        return result.stdout

    def test_records_on_the_same_terminal_get_no_progress_line_that_would_cut_them(self):
        shown = self.on_a_terminal("--output", "stdout")
        self.assertFalse(b"\x1b[K" in shown.split(b"logship: files=")[0],
                         "a progress line was drawn between the records")
        self.assertTrue(shown.endswith(b"line 01999999\r\n" + shown.split(b"line 01999999\r\n")[-1])
                        and b"line 00000000\r\n" in shown, "the records, whole, first to last")

    def test_never_draws_no_line_and_always_draws_one_into_a_pipe(self):
        self.assertEqual(self.on_a_terminal("--output", "null", "--progress", "never").count(b"%"),
                         0)
        result = harness.run("tail", "--from-head", "--output", "null", "--progress", "always",
                             self.log)
        self.assertEqual(result.returncode, 0)
        self.assertIn(b"%", result.stderr)
        ledger.check(ledger.from_summary(result.stderr.split(b"\x1b[K")[-1]), LINES)
        self.assertEqual(harness.run("tail", "--progress", "sometimes", self.log).returncode, 2)

    def test_a_pipe_gets_only_the_summary(self):
        result = harness.run("tail", "--from-head", "--output", "null", self.log)
        self.assertEqual(result.returncode, 0)
        self.assertNotIn(b"%", result.stderr)
        self.assertTrue(result.stderr.startswith(b"logship: files=1"), result.stderr)


if __name__ == "__main__":
    harness.main()
