"""`logship tail` one-shot: what goes in comes out, byte for byte, with framing rules."""

import json
import random
import subprocess

import harness
import ledger


class TailOnce(harness.TempDirTest):
    def tail(self, *args, lines=None):
        """Runs a one-shot tail that must succeed; with `lines`, checks that its summary
        accounts for exactly that many lines, all delivered."""
        result = harness.run("tail", *args)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        if lines is not None:
            ledger.check(ledger.from_summary(result.stderr), lines)
        return result

    def test_a_million_short_lines_come_out_byte_for_byte(self):
        data = b"".join(b"line %d\n" % i for i in range(1_000_000))
        path = self.write("million.log", data)
        out = self.tail("--from-head", path, lines=1_000_000).stdout
        self.assertEqual(len(out), len(data))
        self.assertTrue(out == data, "output differs from the file")

    def test_random_bytes_pass_through_unchanged(self):
        rng = random.Random(42)
        data = bytes(b for b in rng.randbytes(8 << 20) if b != 0x0D) + b"\n"
        path = self.write("random.log", data)
        out = self.tail("--from-head", path).stdout
        self.assertTrue(out == data, "random bytes (NUL, 0xff, ...) were altered")

    def test_crlf_endings_lose_the_cr(self):
        path = self.write("crlf.log", b"one\r\ntwo\r\nthree\n")
        self.assertEqual(self.tail("--from-head", path, lines=3).stdout, b"one\ntwo\nthree\n")

    def test_ten_mib_line_splits_into_one_mib_pieces_that_join_back(self):
        rng = random.Random(7)
        line = bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(10 << 20))
        path = self.write("huge.log", line + b"\nafter\n")
        result = self.tail("--from-head", "--max-line-bytes", "1MiB", path, lines=2)
        pieces = result.stdout.split(b"\n")[:-1]
        self.assertEqual(pieces[-1], b"after")
        self.assertEqual([len(p) for p in pieces[:-1]], [1 << 20] * 10)
        self.assertTrue(b"".join(pieces[:-1]) == line, "pieces do not join back to the line")
        self.assertIn(b"split_lines=1 ", result.stderr)

    def test_last_line_without_newline_is_emitted_at_exit(self):
        path = self.write("partial.log", b"complete\nincomplete")
        self.assertEqual(self.tail("--from-head", path, lines=2).stdout,
                         b"complete\nincomplete\n")

    def test_default_start_is_the_last_ten_lines_and_n_chooses_another_count(self):
        path = self.write("many.log", b"".join(b"%d\n" % i for i in range(100)))
        self.assertEqual(self.tail(path, lines=10).stdout,
                         b"".join(b"%d\n" % i for i in range(90, 100)))
        self.assertEqual(self.tail("-n", "2", path, lines=2).stdout, b"98\n99\n")

    def test_json_format_replaces_invalid_utf8_and_keeps_offsets(self):
        path = self.write("utf8.log", b"ok \xe2\x9c\x93\nbad \xff\xfe\n")
        lines = self.tail("--from-head", "--format", "json", path).stdout.splitlines()
        records = [json.loads(line) for line in lines]
        self.assertEqual(records[0]["line"], "ok \u2713")
        self.assertEqual(records[1]["line"], "bad \ufffd\ufffd")
        self.assertEqual([r["offset"] for r in records], [0, 7])
        self.assertEqual(records[1]["file"], path)

    def test_repeated_labels_do_not_swallow_the_paths_after_them(self):
        path = self.write("x.log", b"x\n")
        out = self.tail("--from-head", "--format", "json", "--label", "a=b", "--label", "c=d",
                        path).stdout
        self.assertEqual(json.loads(out)["labels"], {"a": "b", "c": "d"})

    def test_several_files_by_glob(self):
        self.write("a.log", b"a1\na2\n")
        self.write("b.log", b"b1\n")
        self.write("c.txt", b"not matched\n")
        out = self.tail("--from-head", self.path("*.log"), lines=3).stdout
        self.assertEqual(sorted(out.splitlines()), [b"a1", b"a2", b"b1"])

    def test_a_reader_that_leaves_ends_the_run_quietly_with_exit_0(self):
        # `logship tail big.log | head -1`, with or without -f: like tail(1) under SIGPIPE.
        path = self.write("big.log", b"".join(b"line %08d\n" % i for i in range(200_000)))
        for follow in ([], ["-f"]):
            agent = subprocess.Popen([harness.LOGSHIP, "tail", "--from-head", *follow, path],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            first = agent.stdout.readline()
            agent.stdout.close()
            stderr = agent.stderr.read()
            self.assertEqual(agent.wait(timeout=60), 0, stderr)
            self.assertEqual(first, b"line 00000000\n")
            self.assertNotIn(b"level=error", stderr)
            # What was read and not written is in flight, not lost from the account.
            ledger.check(ledger.from_summary(stderr), None, in_flight=None)

    def test_a_missing_file_fails_with_a_message(self):
        result = harness.run("tail", self.path("absent.log"))
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"no file matches", result.stderr)

    def test_unknown_flags_and_unsupported_outputs_are_usage_errors(self):
        path = self.write("x.log", b"x\n")
        self.assertEqual(harness.run("tail", "--bogus", path).returncode, 2)
        self.assertEqual(harness.run("tail", "--from-head", "-n", "3", path).returncode, 2)
        self.assertEqual(harness.run("tail", "--output", "nowhere", path).returncode, 2)


if __name__ == "__main__":
    harness.main()
