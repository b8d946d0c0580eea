"""Rungs 3 and 4 of the degradation ladder (DESIGN.md). With the output stalled, files
rotated away and deleted are spooled (zstd under data_dir) and closed; once the output
moves again every line of every rotated file arrives, before any line of the live file
written since the last rotation or after the resume, and the spool empties. A SIGKILL
while spooled, a kill in the middle of writing a segment, and a SIGKILL just after a file
was created and renamed away during a pause lose nothing. With a tiny spool the oldest spooled lines are dropped and the
dropped-lines counter equals exactly the lines missing from the output."""

import collections
import glob
import os
import re
import resource
import signal
import subprocess
import urllib.request

import durable
import harness
import ledger
from metrics_test import parse_exposition

GENERATIONS = 6  # five rotated away and deleted, the last one live
GEN_LINES = durable.scaled(100_000, 30_000)


def generation(gen, lines=GEN_LINES):
    # Random payloads, so the spool cannot compress them to nothing.
    return [b"%d %07d %s\n" % (gen, seq, os.urandom(40).hex().encode())
            for seq in range(lines)]


class Spool(harness.TempDirTest):
    def setUp(self):
        super().setUp()
        self.log = self.path("app.log")
        self.spool = self.path("data/spool")
        self.port = harness.free_port()
        self.processes = []

    def tearDown(self):
        for process in self.processes:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGCONT)
                process.kill()
                process.wait()
            if process.stderr:
                process.stderr.close()
        super().tearDown()

    def config(self, spool_max_bytes):
        return self.write("logship.toml", f"""
[agent]
data_dir = "{self.dir}/data"
memory_limit = "4MiB"
spool_max_bytes = "{spool_max_bytes}"
metrics_listen = "127.0.0.1:{self.port}"
[[inputs]]
name = "app"
paths = ["{self.log}"]
start_at = "head"
rescan_interval = "1s"
[[outputs]]
name = "out"
type = "stdout"
""".encode())

    def start(self, config, stdout, max_file_bytes=None):
        """Runs the agent; with max_file_bytes, under that RLIMIT_FSIZE and without a core."""
        def limit_file_size():
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        agent = subprocess.Popen([harness.LOGSHIP, "run", "-c", config], stdout=stdout,
                                 stderr=subprocess.PIPE,
                                 preexec_fn=limit_file_size if max_file_bytes else None)
        self.processes.append(agent)
        return agent

    def out_path(self, name):
        # Not beside app.log: after a SIGKILL, a rotated file the checkpoint saw only empty
        # is adopted by inode, and the kernel may hand that inode to a new output file.
        os.makedirs(self.path("out"), exist_ok=True)
        return self.path(os.path.join("out", name))

    def stalled_reader(self, out_name):
        """A `cat` into a file, stopped: the agent's stdout pipe fills and the output blocks."""
        read_end, write_end = os.pipe()
        with open(self.out_path(out_name), "wb") as out:
            reader = subprocess.Popen(["cat"], stdin=read_end, stdout=out)
        self.processes.append(reader)
        os.close(read_end)
        os.kill(reader.pid, signal.SIGSTOP)
        return reader, write_end

    def metrics(self):
        url = f"http://127.0.0.1:{self.port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            samples = parse_exposition(response.read().decode())
        return {name: value for (name, _), value in samples.items()}

    def segments(self):
        return glob.glob(os.path.join(self.spool, "*", "*.zst"))

    def stop_once_the_spool_is_empty(self, agent):
        """Waits for every segment to be shipped, stops the agent and checks that nothing at
        all is left in the spool: no segment and no temporary."""
        harness.wait_until(lambda: not self.segments(), 30, "an empty spool")
        agent.send_signal(signal.SIGTERM)
        self.assertEqual(agent.wait(timeout=20), 0, agent.stderr.read().decode())
        self.assertEqual(self.spool_files(), [], "files left in the spool")

    def temporaries(self):
        return glob.glob(os.path.join(self.spool, "*", "*.zst.tmp"))

    def spool_files(self):
        """Every file in the spool: segments and the temporaries they are written under
        (`<seq>.zst.tmp`, spool.cc), which a finished or abandoned write must not leave."""
        return glob.glob(os.path.join(self.spool, "*", "*"))

    def deleted_files_open(self, agent):
        fd_dir = f"/proc/{agent.pid}/fd"
        targets = []
        for fd in os.listdir(fd_dir):
            try:
                targets.append(os.readlink(os.path.join(fd_dir, fd)))
            except FileNotFoundError:
                continue
        return [t for t in targets if t.startswith(self.dir) and t.endswith(" (deleted)")
                and "/data/spool/" not in t]

    def rotate_while_stalled(self, agent):
        """Writes GENERATIONS files through five rename+delete rotations; returns the lines."""
        written = []
        for gen in range(GENERATIONS):
            lines = generation(gen)
            with open(self.log, "ab") as f:
                f.write(b"".join(lines))
            written.append(lines)
            if gen == GENERATIONS - 1:
                break
            # The agent must have the file open before it goes, or nothing could ship it.
            harness.wait_until(lambda: self.opened(agent), 30, "app.log opened by the agent")
            os.rename(self.log, self.log + ".1")
            open(self.log, "wb").close()
            os.unlink(self.log + ".1")
        harness.wait_until(lambda: not self.deleted_files_open(agent), 60,
                           "every deleted file spooled and closed")
        return written

    def opened(self, agent):
        inode = os.stat(self.log).st_ino
        fd_dir = f"/proc/{agent.pid}/fd"
        for fd in os.listdir(fd_dir):
            try:
                if os.stat(os.path.join(fd_dir, fd)).st_ino == inode:
                    return True
            except FileNotFoundError:
                continue
        return False

    def wait_for_output(self, agent, written, expected, what):
        """Waits up to 120 s for `expected` lines in out.txt. On a timeout, stops the agent and
        fails with what a loss or a stall needs to be told apart: the lines of each generation
        that arrived, the spool's segments and counters, and the end of the agent's log."""
        try:
            harness.wait_until(lambda: len(self.output_lines("out.txt")) >= expected, 120, what)
        except AssertionError as timeout:
            got = collections.Counter(line.split(b" ", 1)[0]
                                      for line in self.output_lines("out.txt"))
            per_generation = ", ".join(f"{gen}: {got[b'%d' % gen]}/{len(lines)}"
                                       for gen, lines in enumerate(written))
            try:
                counters = {name: value for name, value in self.metrics().items()
                            if name.startswith(("logship_spool", "logship_input_pause",
                                                "logship_memory_degradation"))}
            except OSError as error:
                counters = f"unavailable ({error})"
            agent.send_signal(signal.SIGTERM)
            try:
                agent.wait(timeout=20)
            except subprocess.TimeoutExpired:
                agent.kill()
                agent.wait()
            log = agent.stderr.read().decode(errors="replace")[-3000:]
            raise AssertionError(
                f"{timeout}\nlines per generation (arrived/written): {per_generation}\n"
                f"spool: {sorted(os.path.basename(f) for f in self.spool_files())}\n"
                f"counters: {counters}\nagent log (end):\n{log}") from None

    def output_lines(self, *names):
        lines = []
        for name in names:
            with open(self.out_path(name), "rb") as f:
                lines.extend(f.read().splitlines(keepends=True))
        return lines

    def assert_in_order_per_file(self, lines):
        last = {}
        for line in lines:
            gen, seq = line.split(b" ", 2)[:2]
            self.assertGreater(int(seq), last.get(gen, -1), f"out of order: {line[:20]!r}")
            last[gen] = int(seq)

    def assert_arrives_before(self, got, earlier_gens, later_gen, what):
        """Every line of `earlier_gens` in `got` comes before the first line of `later_gen`."""
        earlier = tuple(b"%d " % gen for gen in earlier_gens)
        last_earlier = max(i for i, line in enumerate(got) if line.startswith(earlier))
        first_later = next(i for i, line in enumerate(got) if line.startswith(b"%d " % later_gen))
        self.assertLess(last_earlier, first_later,
                        f"{what}: line {first_later} {got[first_later][:12]!r} came before "
                        f"line {last_earlier} {got[last_earlier][:12]!r}")

    def kill_restart_and_collect(self, agent, reader, spool_max_bytes, written):
        """SIGKILLs the agent writing into out1.txt, lets that output drain, restarts it into
        out2.txt; waits for every written line and an empty spool, then stops it. Returns
        what both runs shipped."""
        agent.kill()
        agent.wait()
        os.kill(reader.pid, signal.SIGCONT)
        reader.wait(timeout=30)
        expected = {line for lines in written for line in lines}
        with open(self.out_path("out2.txt"), "wb") as out:
            agent = self.start(self.config(spool_max_bytes), out)
        harness.wait_until(
            lambda: expected <= set(self.output_lines("out1.txt", "out2.txt")), 120,
            "every line after the restart")
        self.stop_once_the_spool_is_empty(agent)
        return self.output_lines("out1.txt", "out2.txt")

    def test_rotated_files_are_spooled_then_shipped_first(self):
        reader, pipe = self.stalled_reader("out.txt")
        agent = self.start(self.config("1GiB"), pipe)
        os.close(pipe)
        written = self.rotate_while_stalled(agent)
        self.assertTrue(self.segments(), "nothing was spooled")
        metrics = self.metrics()
        self.assertGreaterEqual(metrics["logship_spool_files_total"], 1)
        self.assertGreater(metrics["logship_spool_bytes"], 0)
        self.assertGreaterEqual(metrics["logship_memory_degradation_rung"], 3)
        self.assertGreaterEqual(metrics["logship_input_pauses_total"], 1)

        os.kill(reader.pid, signal.SIGCONT)
        # Appended to the live file once the output moves again: the spool goes first.
        written.append(generation(GENERATIONS, 1000))
        with open(self.log, "ab") as f:
            f.write(b"".join(written[-1]))
        expected = sum(len(lines) for lines in written)
        self.wait_for_output(agent, written, expected, f"{expected} lines after the output resumed")
        harness.wait_until(lambda: ledger.settled_at(self.port, "app", "out", expected), 30,
                           f"the ledger to settle {expected} lines")
        ledger.check(ledger.from_metrics(self.port, "app", "out"), expected)
        self.stop_once_the_spool_is_empty(agent)
        got = self.output_lines("out.txt")
        self.assertEqual(len(got), expected, "duplicates shipped")
        self.assertEqual(sorted(got), sorted(line for lines in written for line in lines))
        self.assert_in_order_per_file(got)
        rotated = range(GENERATIONS - 1)
        self.assert_arrives_before(got, rotated, GENERATIONS,
                                   "a line appended after the output resumed")
        self.assert_arrives_before(got, rotated, GENERATIONS - 1,
                                   "a line written to the live file after the last rotation")

    def test_sigkill_while_spooled_loses_nothing(self):
        reader, pipe = self.stalled_reader("out1.txt")
        agent = self.start(self.config("1GiB"), pipe)
        os.close(pipe)
        written = self.rotate_while_stalled(agent)
        self.assertTrue(self.segments(), "nothing was spooled")
        got = self.kill_restart_and_collect(agent, reader, "1GiB", written)
        expected = sum(len(lines) for lines in written)
        print(f"{len(got) - expected} duplicates of {expected} lines after SIGKILL")

    def test_killed_in_the_middle_of_writing_a_segment_loses_nothing(self):
        # A segment is written in milliseconds, too short a window for a signal sent from
        # outside. Under a 1 MiB RLIMIT_FSIZE the kernel kills the agent (SIGXFSZ) inside the
        # very write that takes the first segment past 1 MiB, with its temporary half written.
        # Renamed away, not deleted: a deleted file's unspooled bytes exist only behind the
        # agent's descriptor, and no restart can bring them back (README, rung 3).
        reader, pipe = self.stalled_reader("out1.txt")
        agent = self.start(self.config("1GiB"), pipe, max_file_bytes=1 << 20)
        os.close(pipe)
        written = [generation(0, GEN_LINES * 3)]
        with open(self.log, "ab") as f:
            f.write(b"".join(written[0]))
        harness.wait_until(lambda: self.opened(agent), 30, "app.log opened by the agent")
        os.rename(self.log, self.log + ".1")
        open(self.log, "wb").close()
        self.assertEqual(agent.wait(timeout=60), -signal.SIGXFSZ,
                         "the agent was not killed by the spool segment's size")
        self.assertTrue(self.temporaries(), "no segment was left half written")
        self.assertEqual(self.segments(), [], "a segment was complete before the kill")
        got = self.kill_restart_and_collect(agent, reader, "1GiB", written)
        print(f"{len(got) - len(written[0])} duplicates of {len(written[0])} lines after a "
              f"kill mid-segment")

    def test_a_file_created_and_renamed_away_while_paused_survives_a_sigkill(self):
        # Spool off: the paused input must still open new files so that they reach the
        # checkpoints; after a SIGKILL a rotated file is found again only through its entry.
        reader, pipe = self.stalled_reader("out1.txt")
        agent = self.start(self.config("0"), pipe)
        os.close(pipe)
        written = [generation(0)]
        with open(self.log, "ab") as f:
            f.write(b"".join(written[0]))
        harness.wait_until(lambda: self.opened(agent), 30, "app.log opened by the agent")
        harness.wait_until(lambda: self.metrics()["logship_input_pauses_total"] >= 1, 30,
                           "the input paused behind the stalled output")
        os.rename(self.log, self.log + ".1")
        written.append(generation(1))
        with open(self.log, "wb") as f:
            f.write(b"".join(written[1]))
        inode = os.stat(self.log).st_ino
        harness.wait_until(
            lambda: any(e["inode"] == inode for e in durable.read_checkpoints(self.path("data"))),
            30, "the file created during the pause in the checkpoints")
        os.rename(self.log + ".1", self.log + ".2")
        os.rename(self.log, self.log + ".1")
        written.append(generation(2))
        with open(self.log, "wb") as f:
            f.write(b"".join(written[2]))
        self.kill_restart_and_collect(agent, reader, "0", written)

    def test_a_full_spool_drops_the_oldest_and_counts_every_line(self):
        reader, pipe = self.stalled_reader("out.txt")
        agent = self.start(self.config("3MiB"), pipe)
        os.close(pipe)
        written = self.rotate_while_stalled(agent)
        dropped = self.metrics()["logship_spool_dropped_lines_total"]
        self.assertGreater(dropped, 0, "a 3MiB spool should have overflowed")

        os.kill(reader.pid, signal.SIGCONT)
        expected = sum(len(lines) for lines in written)
        self.wait_for_output(agent, written, expected - dropped,
                             f"{expected - dropped} lines after the output resumed")
        harness.wait_until(lambda: ledger.settled_at(self.port, "app", "out", expected), 30,
                           f"the ledger to settle {expected} lines")
        lines = ledger.from_metrics(self.port, "app", "out")
        self.stop_once_the_spool_is_empty(agent)
        got = self.output_lines("out.txt")
        self.assertEqual(len(got), len(set(got)), "duplicates shipped")
        self.assertEqual(expected - len(got), dropped,
                         "the dropped-lines counter differs from the lines missing")
        ledger.check(lines, expected, dropped={"spool_overflow": expected - len(got)})
        self.assert_in_order_per_file(got)

    def test_a_corrupt_spool_segment_is_counted_dropped_and_the_rest_arrives(self):
        reader, pipe = self.stalled_reader("out1.txt")
        agent = self.start(self.config("1GiB"), pipe)
        os.close(pipe)
        written = self.rotate_while_stalled(agent)
        agent.kill()
        agent.wait()
        os.kill(reader.pid, signal.SIGCONT)
        reader.wait(timeout=30)
        oldest = sorted(self.segments())[0]
        with open(oldest, "rb") as f:
            header = f.readline()
        segment_lines = int(re.search(rb"lines=(\d+)", header).group(1))
        with open(oldest, "r+b") as f:  # half a segment: its zstd frame ends too soon
            f.truncate(os.path.getsize(oldest) // 2)
        with open(self.out_path("out2.txt"), "wb") as out:
            agent = self.start(self.config("1GiB"), out)
        expected = {line for lines in written for line in lines}
        harness.wait_until(lambda: ledger.has_ledger(self.port, "app", "out"), 20,
                           "the restarted agent's metrics")
        harness.wait_until(
            lambda: ledger.from_metrics(self.port, "app", "out")["dropped"].get(
                "spool_unreadable") == segment_lines, 60,
            f"the {segment_lines} lines of the corrupt segment to be counted dropped")
        harness.wait_until(lambda: not self.segments(), 60, "the other segments shipped")
        missing = lambda: expected - set(self.output_lines("out1.txt", "out2.txt"))
        harness.wait_until(lambda: len(missing()) <= segment_lines, 60,
                           f"every line but at most the corrupt segment's {segment_lines}")
        harness.wait_until(lambda: ledger.from_metrics(self.port, "app", "out")["in_flight"] == 0,
                           30, "nothing in flight")
        missing = missing()
        self.assertEqual(len({line.split(b" ", 1)[0] for line in missing}), 1,
                         "the missing lines are one file's (one segment's)")
        lines = ledger.from_metrics(self.port, "app", "out")
        ledger.check(lines, None)
        self.assertEqual(lines["dropped"], {"spool_unreadable": segment_lines})
        self.assertIn("spool segment unreadable", self.stop_and_log(agent))

    def stop_and_log(self, agent):
        agent.send_signal(signal.SIGTERM)
        self.assertEqual(agent.wait(timeout=20), 0)
        return agent.stderr.read().decode(errors="replace")


if __name__ == "__main__":
    harness.main()
