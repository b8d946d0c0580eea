"""Checkpoint crash safety: the agent checkpoints 200 busy files every 5 ms and is SIGKILLed
50 times at seeded random moments. After every kill the checkpoints file loads (through
`logship offsets list` and the agent's own start), and no file's acknowledged offset ever
moves backwards. A truncated or corrupt file is reported, naming it, and the agent starts."""

import os
import random
import subprocess
import sys
import time

import durable
import harness

KILLS = 50
FILES = 200

WRITER = r"""
import os, sys, time
directory, files = sys.argv[1], int(sys.argv[2])
handles = [open(os.path.join(directory, "f%03d.log" % i), "ab", buffering=0)
           for i in range(files)]
n = 0
while True:
    for h in handles:
        h.write(b"%07d\n" % n)
    n += 1
    time.sleep(0.002)
"""


def checkpoint_inode(path):
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


class CheckpointCrashSafety(harness.TempDirTest):
    def test_sigkill_during_heavy_checkpointing_never_leaves_an_unreadable_file(self):
        rng = random.Random(8)
        logs = self.path("logs")
        os.makedirs(logs)
        data = self.path("data")
        config = durable.run_config(
            self.path("logship.toml"), data,
            [f'name = "busy"\npaths = ["{logs}/*.log"]\nstart_at = "head"'],
            checkpoint_interval="5ms")
        for i in range(FILES):
            self.write(f"logs/f{i:03d}.log", b"")
        writer = subprocess.Popen([sys.executable, "-c", WRITER, logs, str(FILES)])
        agent = durable.Agent(["run", "-c", config], os.devnull, self.path("agent.err"))
        checkpoints = os.path.join(data, "checkpoints")
        highest = {}
        try:
            for kill in range(KILLS):
                written_before = checkpoint_inode(checkpoints)
                agent.start()
                # Each checkpoint replaces the file (a new inode), so a new inode means this
                # run is checkpointing; a slow start (ASan, a loaded host) is waited out here.
                harness.wait_until(
                    lambda: checkpoint_inode(checkpoints) != written_before
                    and durable.read_checkpoints(data), 60,
                    f"kill {kill}: no checkpoint with entries written after the start")
                # Killed at a chosen moment while checkpointing: a fault, not a wait.
                time.sleep(rng.uniform(0.0, 0.3))
                agent.kill()
                listed = harness.run("offsets", "list", "-c", config)
                self.assertEqual(listed.returncode, 0,
                                 f"kill {kill}: offsets list failed: {listed.stderr!r}")
                entries = durable.read_checkpoints(data)
                self.assertTrue(entries, f"kill {kill}: the checkpoints file lost its entries")
                for entry in entries:
                    key = entry["inode"]  # files are never deleted here
                    self.assertGreaterEqual(entry["offset"], highest.get(key, 0),
                                            f"kill {kill}: {entry['path']} went backwards")
                    highest[key] = entry["offset"]
        finally:
            agent.ensure_dead()
            writer.kill()
            writer.wait()
        self.assertNotIn("unreadable", agent.stderr_text())
        print(f"checkpoint crash: {KILLS} kills, "
              f"{len(highest)} files, temp files left: "
              f"{[n for n in os.listdir(data) if n != 'checkpoints']}", file=sys.stderr)


class DamagedCheckpoints(harness.TempDirTest):
    def damage_and_restart(self, damage):
        data = self.path("data")
        log = self.write("app.log", durable.lines(0, 100))
        first = harness.run("tail", "--from-head", "--data-dir", data, log)
        self.assertEqual(first.returncode, 0, first.stderr)
        path = os.path.join(data, "checkpoints")
        with open(path, "rb") as f:
            text = f.read()
        with open(path, "wb") as f:
            f.write(damage(text))
        config = durable.run_config(self.path("logship.toml"), data,
                                    [f'name = "app"\npaths = ["{log}"]'])
        listed = harness.run("offsets", "list", "-c", config)
        self.assertEqual(listed.returncode, 1, listed.stdout)
        self.assertIn(path.encode(), listed.stderr, "the message names the file")
        # The agent starts anyway, from the start policy for unseen files (here the head).
        again = harness.run("tail", "--from-head", "--data-dir", data, log)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn(b"unreadable checkpoints", again.stderr)
        self.assertEqual(again.stdout, durable.lines(0, 100))
        self.assertEqual(len(durable.read_checkpoints(data)), 1, "rewritten whole")
        return listed.stderr

    def test_a_truncated_checkpoints_file_is_reported_and_the_agent_starts(self):
        message = self.damage_and_restart(lambda text: text[:len(text) // 2])
        self.assertIn(b"truncated", message)

    def test_a_corrupt_checkpoints_file_is_reported_and_the_agent_starts(self):
        def move_the_offset(text):
            self.assertIn(b"\t800\t", text)  # 100 lines of 8 bytes acknowledged
            return text.replace(b"\t800\t", b"\t808\t")
        self.assertIn(b"corrupt", self.damage_and_restart(move_the_offset))

    def test_a_zero_filled_checkpoints_file_is_reported_and_the_agent_starts(self):
        # What a crash on some filesystems leaves: the size was written, the data was not.
        self.damage_and_restart(lambda text: b"\0" * len(text))

    def test_a_checkpoints_file_of_another_format_is_reported_and_the_agent_starts(self):
        message = self.damage_and_restart(
            lambda text: b'{"version": 2, "files": [{"path": "app.log", "offset": 800}]}\n')
        self.assertIn(b"checkpoints", message)

    def test_offsets_reset_replaces_an_unreadable_file(self):
        data = self.path("data")
        os.makedirs(data)
        with open(os.path.join(data, "checkpoints"), "wb") as f:
            f.write(b"\x00garbage")
        config = durable.run_config(self.path("logship.toml"), data,
                                    [f'name = "app"\npaths = ["{self.dir}/*.log"]'])
        reset = harness.run("offsets", "reset", "-c", config)
        self.assertEqual(reset.returncode, 0, reset.stderr)
        self.assertEqual(durable.read_checkpoints(data), [])


if __name__ == "__main__":
    harness.main()
