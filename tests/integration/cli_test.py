"""The command line's habits: --version, help, unknown commands and bad numbers answer
with exit codes and messages a user expects (0 for what was asked, 2 for a usage error)."""

import harness
import ledger


class Cli(harness.TempDirTest):
    def test_version_flags_print_what_the_version_command_prints(self):
        version = harness.run("version")
        self.assertEqual(version.returncode, 0)
        self.assertTrue(version.stdout.startswith(b"logship "), version.stdout)
        for flag in ("--version", "-V"):
            result = harness.run(flag)
            self.assertEqual((result.returncode, result.stdout), (0, version.stdout), flag)

    def test_help_shows_the_commands_or_one_command(self):
        overview = harness.run("help")
        self.assertEqual(overview.returncode, 0)
        for command in (b"run", b"check", b"tail", b"offsets", b"version"):
            self.assertIn(command, overview.stdout)
        tail = harness.run("help", "tail")
        self.assertEqual(tail.returncode, 0)
        self.assertIn(b"--from-head", tail.stdout)
        self.assertIn(b"--progress", tail.stdout)
        wrong = harness.run("help", "tial")
        self.assertEqual(wrong.returncode, 2)
        self.assertIn(b'no command "tial"', wrong.stderr)

    def test_an_unknown_command_names_itself_and_the_commands(self):
        result = harness.run("tial", "x.log")
        self.assertEqual(result.returncode, 2)
        self.assertIn(b'unknown command "tial"; the commands are run, check, tail, offsets, '
                      b"top, status, version, help", result.stderr)
        nothing = harness.run()
        self.assertEqual(nothing.returncode, 2)
        self.assertIn(b"a command is required", nothing.stderr)

    def test_numbers_reject_negatives_and_garbage(self):
        path = self.write("x.log", b"a\nb\n")
        for value in ("-1", "abc", "1.5x"):
            result = harness.run("tail", "-n", value, path)
            self.assertEqual(result.returncode, 2, f"-n {value}: {result.stderr!r}")
            self.assertEqual(result.stdout, b"", f"-n {value} shipped lines")
        last = harness.run("tail", "-n", "1", path)
        self.assertEqual(last.stdout, b"b\n")
        ledger.check(ledger.from_summary(last.stderr), 1)


if __name__ == "__main__":
    harness.main()
