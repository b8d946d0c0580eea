"""`logship tail` draws a progress line on stderr when it is a terminal, and none when
stderr is piped."""

import shlex
import subprocess

import harness


class Progress(harness.TempDirTest):
    def setUp(self):
        super().setUp()
        self.log = self.write("big.log", b"".join(b"line %08d\n" % i for i in range(2_000_000)))

    def test_a_terminal_gets_a_progress_line(self):
        command = shlex.join([harness.LOGSHIP, "tail", "--from-head", "--output", "null", self.log])
        # script(1) runs the command on a pseudo-terminal and copies what it draws.
        result = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True,
                                timeout=120)
        self.assertEqual(result.returncode, 0, result.stdout.decode(errors="replace"))
        self.assertIn(b"%", result.stdout)
        self.assertIn(b"MiB", result.stdout)
        self.assertIn(b"logship: files=1", result.stdout)

    def test_a_pipe_gets_only_the_summary(self):
        result = harness.run("tail", "--from-head", "--output", "null", self.log)
        self.assertEqual(result.returncode, 0)
        self.assertNotIn(b"%", result.stderr)
        self.assertTrue(result.stderr.startswith(b"logship: files=1"), result.stderr)


if __name__ == "__main__":
    harness.main()
