"""File identity across rotation while the agent is down, inode reuse, deletion while the
output is stalled, and files sharing one header: each against the real binary on real
files (tempfile's directory: ext4 here, which hands freed inodes out again)."""

import fcntl
import os
import signal
import subprocess
import termios
import threading
import unittest

import durable
import harness
import ledger
from durable import lines


def numbers_of(path):
    with open(path, "rb") as f:
        return [int(t) for t in f.read().split(b"\n")[:-1]]


class RotationWhileDown(harness.TempDirTest):
    def start_tail(self, glob, out_name):
        agent = durable.Agent(["tail", "-f", "--from-head", "--data-dir", self.path("data"),
                               glob], self.path(out_name), self.path("agent.err"))
        agent.start()
        return agent

    def stop_tail(self, agent, lines_shipped=None):
        """Stops the agent; for `tail`, checks that its summary accounts for exactly the
        lines this run shipped, nothing left in flight."""
        try:
            self.assertEqual(agent.stop(), 0, agent.stderr_text())
        finally:
            agent.ensure_dead()
        if lines_shipped is not None:
            ledger.check(ledger.from_summary(agent.stderr_text().encode()), lines_shipped)

    def ship_then_stop(self, glob):
        log = self.write("app.log", lines(0, 1000))
        agent = self.start_tail(glob, "out1.txt")
        durable.wait_for_size(self.path("out1.txt"), 1000 * 8, 20, "the first 1000 lines")
        with open(log, "ab") as f:
            f.write(lines(1000, 500))
        durable.wait_for_size(self.path("out1.txt"), 1500 * 8, 20, "1500 lines")
        self.stop_tail(agent, 1500)
        self.assertEqual(numbers_of(self.path("out1.txt")), list(range(1500)))
        return log

    def rotate_twice_while_down(self, log):
        with open(log, "ab") as f:
            f.write(lines(1500, 500))  # the old file's tail, written after the stop
        os.rename(log, log + ".1")
        self.write("app.log", lines(2000, 1000))  # the middle file
        os.rename(log + ".1", log + ".2")
        os.rename(log, log + ".1")
        self.write("app.log", lines(3000, 500))  # the new file

    def test_glob_over_rotated_names_ships_old_tail_middle_and_new_file_once(self):
        glob = self.path("app.log*")
        self.rotate_twice_while_down(self.ship_then_stop(glob))
        agent = self.start_tail(glob, "out2.txt")
        durable.wait_for_size(self.path("out2.txt"), 2000 * 8, 20, "2000 lines after restart")
        self.stop_tail(agent, 2000)
        got = numbers_of(self.path("out2.txt"))
        self.assertEqual(sorted(got), list(range(1500, 3500)),
                         "expected the old tail 1500-1999, the middle 2000-2999, the new "
                         "3000-3499, each once, nothing acknowledged before the stop")
        for first, end in ((1500, 2000), (2000, 3000), (3000, 3500)):
            self.assertEqual([n for n in got if first <= n < end], list(range(first, end)),
                             f"file {first}-{end - 1} out of order")

    def test_live_name_only_finds_the_old_file_by_inode_and_the_middle_by_its_name(self):
        # With only `app.log` configured, the old file (now app.log.2) is found by its
        # checkpointed inode and finished. The middle file (app.log.1) was created and
        # renamed away while the agent was down: no entry and no glob names it, but it sits
        # beside a live file that is new since the last checkpoint, under a rotated name,
        # and was written after that checkpoint, so it is read whole.
        glob = self.path("app.log")
        self.rotate_twice_while_down(self.ship_then_stop(glob))
        agent = self.start_tail(glob, "out2.txt")
        durable.wait_for_size(self.path("out2.txt"), 2000 * 8, 20, "2000 lines after restart")
        self.stop_tail(agent, 2000)
        got = numbers_of(self.path("out2.txt"))
        self.assertEqual(sorted(got), list(range(1500, 3500)))
        for first, end in ((1500, 2000), (2000, 3000), (3000, 3500)):
            self.assertEqual([n for n in got if first <= n < end], list(range(first, end)),
                             f"file {first}-{end - 1} out of order")

    def test_service_with_default_start_at_ships_files_created_while_down(self):
        # start_at = "tail" applies to the first start only: on a restart, files created
        # while the agent was down are new and shipped whole.
        config = durable.run_config(self.path("logship.toml"), self.path("data"),
                                    [f'name = "app"\npaths = ["{self.path("app.log*")}"]'])
        log = self.write("app.log", b"")
        agent = durable.Agent(["run", "-c", config], self.path("out1.txt"), self.path("err"))
        agent.start()
        # start_at = "tail": only what is appended after the agent started is shipped.
        harness.wait_until(lambda: os.path.exists(self.path("data/checkpoints")), 20,
                           "the first checkpoint")
        with open(log, "ab") as f:
            f.write(lines(0, 1500))
        durable.wait_for_size(self.path("out1.txt"), 1500 * 8, 20, "1500 lines")
        self.stop_tail(agent)
        self.rotate_twice_while_down(log)
        agent = durable.Agent(["run", "-c", config], self.path("out2.txt"), self.path("err"))
        agent.start()
        try:
            durable.wait_for_size(self.path("out2.txt"), 2000 * 8, 10,
                                  "the old tail, the middle and the new file")
        finally:
            self.stop_tail(agent)
        self.assertEqual(sorted(numbers_of(self.path("out2.txt"))), list(range(1500, 3500)))

    def test_killed_before_its_first_interval_the_agent_resumes_the_file_it_opened(self):
        # A new file's position is saved when it is opened, not a checkpoint interval later
        # (here an hour). Killed before then, the restart used to be a first start again:
        # start_at applied to the new app.log, and the renamed first one was never finished.
        config = durable.run_config(
            self.path("logship.toml"), self.path("data"),
            [f'name = "app"\npaths = ["{self.path("app.log")}"]\nstart_at = "head"'],
            checkpoint_interval="1h")
        log = self.write("app.log", lines(0, 1000))
        agent = durable.Agent(["run", "-c", config], self.path("out.txt"), self.path("err"))
        agent.start()
        try:
            harness.wait_until(
                lambda: any(e["path"] == log for e in durable.read_checkpoints(self.path("data"))),
                20, "app.log in the checkpoints, long before the 1h interval")
            agent.kill()
            os.rename(log, log + ".1")
            self.write("app.log", lines(1000, 500))
            agent.start()
            harness.wait_until(lambda: len(set(numbers_of(self.path("out.txt")))) == 1500, 20,
                               "every line of the renamed first file and of the new one")
        finally:
            self.stop_tail(agent)
        self.assertEqual(sorted(set(numbers_of(self.path("out.txt")))), list(range(1500)))


class InodeReuse(harness.TempDirTest):
    def take_inode(self, inode, content, limit=2000):
        """Creates files until one gets `inode`; returns its path or None (bounded)."""
        kept = []
        try:
            for attempt in range(limit):
                candidate = self.path(f"candidate-{attempt}")
                with open(candidate, "wb") as f:
                    f.write(content)
                if os.stat(candidate).st_ino == inode:
                    return candidate
                kept.append(candidate)  # keep it, so the allocator moves on
        finally:
            for path in kept:
                os.remove(path)
        return None

    def test_a_new_file_on_a_reused_inode_is_read_from_zero_after_a_restart(self):
        data = self.path("data")
        log = self.write("app.log", lines(0, 100))
        first = harness.run("tail", "--from-head", "--data-dir", data, log)
        self.assertEqual(first.returncode, 0, first.stderr)
        inode = os.stat(log).st_ino
        os.remove(log)
        # Longer than the old offset, so a stale offset would land inside it.
        reused = self.take_inode(inode, lines(5000, 300))
        if reused is None:
            self.skipTest("the filesystem did not hand the inode out again")
        os.rename(reused, log)
        second = harness.run("tail", "--from-head", "--data-dir", data, log)
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertEqual(second.stdout, lines(5000, 300), "the new file must be read from 0")
        ledger.check(ledger.from_summary(second.stderr), 300)

    def test_a_new_file_on_a_reused_inode_is_read_from_zero_while_following(self):
        log = self.write("app.log", lines(0, 100))
        inode = os.stat(log).st_ino
        out = self.path("out.txt")
        agent = durable.Agent(["tail", "-f", "--from-head", log], out, self.path("err"))
        agent.start()
        try:
            durable.wait_for_size(out, 100 * 8, 20, "the old file")
            os.remove(log)
            # The agent holds the deleted file until it is acknowledged plus a grace second,
            # so the inode only comes free then: keep trying for a bounded time.
            reused = None
            deadline = durable.monotonic_deadline(15)
            while reused is None and durable.time.monotonic() < deadline:
                reused = self.take_inode(inode, lines(5000, 300), limit=50)
            if reused is None:
                self.skipTest("the inode did not come free again")
            os.rename(reused, log)
            durable.wait_for_size(out, 400 * 8, 20, "the new file")
            self.assertEqual(agent.stop(), 0, agent.stderr_text())
        finally:
            agent.ensure_dead()
        self.assertEqual(numbers_of(out), list(range(100)) + list(range(5000, 5300)))


class DeletedWhileStalled(harness.TempDirTest):
    def test_a_file_deleted_while_the_output_is_stalled_is_shipped_completely(self):
        count = 500_000  # 4 MB, twice the memory limit: most of it is still on disk
        log = self.write("app.log", lines(0, count))
        read_end, write_end = os.pipe()
        agent = subprocess.Popen([harness.LOGSHIP, "tail", "-f", "--from-head",
                                  "--memory-limit", "2MiB", log],
                                 stdout=write_end, stderr=subprocess.PIPE)
        os.close(write_end)
        received = bytearray()
        try:
            # Nobody reads the pipe yet: the output blocks once the pipe buffer is full.
            def pipe_full():
                available = bytearray(4)
                fcntl.ioctl(read_end, termios.FIONREAD, available)
                return int.from_bytes(available, "little") >= 60_000
            harness.wait_until(pipe_full, 20, "the output to stall on a full pipe")
            os.remove(log)
            fd_dir = f"/proc/{agent.pid}/fd"
            harness.wait_until(
                lambda: any(os.readlink(os.path.join(fd_dir, fd)).endswith("app.log (deleted)")
                            for fd in os.listdir(fd_dir)),
                5, "the agent to hold the deleted file open")
            reader = threading.Thread(target=_read_all, args=(read_end, received))
            reader.start()
            harness.wait_until(lambda: len(received) >= count * 8, 60,
                               f"{count} lines after the output resumed")
            agent.send_signal(signal.SIGTERM)
            self.assertEqual(agent.wait(timeout=20), 0, agent.stderr.read())
            reader.join(timeout=10)
        finally:
            if agent.poll() is None:
                agent.kill()
                agent.wait()
            os.close(read_end)
        self.assertTrue(bytes(received) == lines(0, count),
                        f"expected all {count} lines once in order, got {len(received)} bytes")


def _read_all(fd, into):
    while chunk := os.read(fd, 1 << 16):
        into.extend(chunk)


class SharedHeader(harness.TempDirTest):
    HEADER = b"".join(b"# shared header line %05d ----------------------------------\n" % i
                      for i in range(40))[:2048]

    def test_twenty_files_with_the_same_first_2k_are_tracked_separately(self):
        self.assertEqual(len(self.HEADER), 2048)
        header = self.HEADER[:2047] + b"\n"
        data = self.path("data")
        paths = [self.write(f"f{i:02d}.log", header + b"f%02d %04d\n" % (i, 0)) for i in range(20)]
        first = harness.run("tail", "--from-head", "--data-dir", data, self.path("*.log"))
        self.assertEqual(first.returncode, 0, first.stderr)
        ledger.check(ledger.from_summary(first.stderr), 20 * (header.count(b"\n") + 1))
        got = first.stdout.split(b"\n")
        for i in range(20):
            self.assertEqual(got.count(b"f%02d 0000" % i), 1, f"file {i}")
        self.assertEqual(first.stdout.count(header), 20)
        for i, path in enumerate(paths):
            with open(path, "ab") as f:
                f.write(b"".join(b"f%02d %04d\n" % (i, n) for n in range(1, 1 + i)))
        second = harness.run("tail", "--from-head", "--data-dir", data, self.path("*.log"))
        self.assertEqual(second.returncode, 0, second.stderr)
        ledger.check(ledger.from_summary(second.stderr), sum(range(20)))
        expected = sorted(b"f%02d %04d" % (i, n) for i in range(20) for n in range(1, 1 + i))
        self.assertEqual(sorted(second.stdout.split(b"\n")[:-1]), expected,
                         "each file resumes at its own offset: only the appended lines")
        entries = durable.read_checkpoints(data)
        self.assertEqual(len({e["inode"] for e in entries}), 20)


class TruncateAndRewrite(harness.TempDirTest):
    """copytruncate followed at once by a rewrite longer than the old offset: the size never
    drops below what was read, so only the bytes before the offset tell the file was
    replaced. Each round's lines carry the round, so a fragment or a repeat shows."""

    ROUNDS = 20

    @staticmethod
    def round_lines(round_number, count):
        return b"".join(b"%02d-%07d\n" % (round_number, n) for n in range(count))

    def test_each_rewrite_is_read_from_its_start_with_no_fragment_and_counted(self):
        log = self.write("app.log", self.round_lines(0, 1000))
        out = self.path("out.txt")
        agent = durable.Agent(["tail", "-f", "--from-head", log], out, self.path("err"))
        agent.start()
        expected = self.round_lines(0, 1000)
        try:
            durable.wait_for_size(out, len(expected), 20, "the first 1000 lines")
            for round_number in range(1, self.ROUNDS + 1):
                # 1000 more lines each round, so every rewrite ends past the old offset.
                rewrite = self.round_lines(round_number, 1000 * (round_number + 1))
                with open(log, "wb") as f:  # O_TRUNC and the new lines, back to back
                    f.write(rewrite)
                expected += rewrite
                durable.wait_for_size(out, len(expected), 20,
                                      f"the {1000 * (round_number + 1)} lines of round "
                                      f"{round_number}")
            self.assertEqual(agent.stop(), 0, agent.stderr_text())
        finally:
            agent.ensure_dead()
        with open(out, "rb") as f:
            got = f.read()
        if got != expected:
            fragments = [line for line in got.split(b"\n")[:-1] if len(line) != 10]
            self.fail(f"shipped {len(got)} bytes, expected {len(expected)}; "
                      f"fragments: {fragments[:5]}")
        summary = agent.stderr_text()
        self.assertIn(" truncations=20 ", summary)
        ledger.check(ledger.from_summary(summary.encode()), len(expected) // 11)


if __name__ == "__main__":
    harness.main()
