"""Checkpoint crash safety: the agent checkpoints 200 busy files every 5 ms and is SIGKILLed
50 times at seeded random moments. After every kill the checkpoints file loads (through
`logship offsets list` and the agent's own start), and no file's acknowledged offset ever
moves backwards."""

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
        highest = {}
        writes_seen = 0
        try:
            for kill in range(KILLS):
                agent.start()
                # Killed at a chosen moment: a fault, not a wait for a condition.
                time.sleep(rng.uniform(0.05, 0.4))
                agent.kill()
                listed = harness.run("offsets", "list", "-c", config)
                self.assertEqual(listed.returncode, 0,
                                 f"kill {kill}: offsets list failed: {listed.stderr!r}")
                entries = durable.read_checkpoints(data)
                if entries:
                    writes_seen += 1
                for entry in entries:
                    key = entry["inode"]  # files are never deleted here
                    self.assertGreaterEqual(entry["offset"], highest.get(key, 0),
                                            f"kill {kill}: {entry['path']} went backwards")
                    highest[key] = entry["offset"]
        finally:
            agent.ensure_dead()
            writer.kill()
            writer.wait()
        self.assertGreater(writes_seen, KILLS // 2, "checkpoints were hardly ever written")
        self.assertNotIn("unreadable", agent.stderr_text())
        print(f"checkpoint crash: {KILLS} kills, {writes_seen} loads with entries, "
              f"{len(highest)} files, temp files left: "
              f"{[n for n in os.listdir(data) if n != 'checkpoints']}", file=sys.stderr)


if __name__ == "__main__":
    harness.main()
