"""The rotation torture shared by the rename and copytruncate tests.

A writer process appends numbered fixed-width lines to app.log and rotates it every
`per_file` lines, keeping 3 rotated files (app.log.1..3) and deleting older ones. The agent
ships to stdout, appended to one file across restarts, and is SIGKILLed at random moments
(seeded) and restarted at once. After each kill the output and the checkpoints file are
snapshotted: the lines shipped but not covered by a checkpoint entry are the ones that may
come again (the duplicate bound). At the end every number must be present (copytruncate:
except the lines written between a copy and its truncate), each file's lines in order
within each run, and no number more often than 1 + the number of kills at which it was
shipped but not acknowledged."""

import bisect
import os
import random
import subprocess
import sys
import time

import durable
import harness
import ledger

WRITER = r"""
import os, shutil, sys, time
directory, total, per_file, rate, mode, out_path, manifest_path = sys.argv[1:8]
total, per_file, rate = int(total), int(per_file), float(rate)
log = os.path.join(directory, "app.log")
manifest = open(manifest_path, "w", buffering=1)

def lines(first, count):
    return b"".join(b"%07d\n" % n for n in range(first, first + count))

def shipped_at_least(number, timeout=60):
    # copytruncate is only safe for lines the agent has read: wait until it shipped `number`.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(out_path, "rb") as f:
                f.seek(max(0, os.path.getsize(out_path) - 4096))
                tail = f.read().split(b"\n")[1:-1]
            if any(t.isdigit() and int(t) >= number for t in tail):
                return
        except OSError:
            pass
        time.sleep(0.01)
    sys.exit("the agent never shipped line %d before the truncate" % number)

def shift_rotated():
    for i in (3, 2, 1):
        name = log + ".%d" % i
        if os.path.exists(name):
            if i == 3:
                os.remove(name)
            else:
                os.rename(name, log + ".%d" % (i + 1))

f = open(log, "ab", buffering=0)
manifest.write("file 0\n")
written, in_file, start = 0, 0, time.monotonic()
while written < total:
    due = min(total, int((time.monotonic() - start) * rate) + 1)
    while written < due:
        count = min(due - written, per_file - in_file)
        f.write(lines(written, count))
        written += count
        in_file += count
        if in_file == per_file and written < total:
            shift_rotated()
            if mode == "rename":
                os.rename(log, log + ".1")
                f.close()
                f = open(log, "ab", buffering=0)
            else:
                shutil.copyfile(log, log + ".1")
                shipped_at_least(written - 1)
                window = (written // per_file * 7919) % 200  # written between copy and truncate
                f.write(lines(written, window))
                manifest.write("window %d %d\n" % (written, written + window))
                written += window
                f.truncate(0)  # O_APPEND: the next write lands at 0
            manifest.write("file %d\n" % written)
            in_file = 0
    time.sleep(0.005)
f.close()
manifest.write("done\n")
"""


class Torture:
    def __init__(self, test, mode, agent_args, total, per_file, kills, seed, rate=50_000):
        self.test, self.mode = test, mode
        self.total, self.per_file, self.kills, self.rate = total, per_file, kills, rate
        self.rng = random.Random(seed)
        self.data_dir = test.path("data")
        self.out_path = test.path("out.txt")
        self.manifest_path = test.path("manifest.txt")
        self.agent = durable.Agent([a.replace("{dir}", test.dir).replace("{data}", self.data_dir)
                                    for a in agent_args],
                                   self.out_path, test.path("agent.err"))
        self.snapshots = []  # (output bytes, checkpoint entries) at each kill
        self.head_hashes = {}

    # --- running -----------------------------------------------------------------------

    def run(self):
        open(self.out_path, "wb").close()
        duration = self.total / self.rate
        moments = sorted(self.rng.uniform(0.05 * duration, 0.95 * duration)
                         for _ in range(self.kills))
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, self.test.dir, str(self.total), str(self.per_file),
             str(self.rate), self.mode, self.out_path, self.manifest_path])
        self.agent.start()
        started = time.monotonic()
        try:
            for moment in moments:
                # A fault injected at a chosen moment, not a wait for a condition.
                time.sleep(max(0.0, started + moment - time.monotonic()))
                self.agent.kill()
                self.snapshot_and_restart()
            self.test.assertEqual(writer.wait(timeout=duration * 4 + 60), 0, "writer failed")
            self.wait_complete(timeout=60)
            self.test.assertEqual(self.agent.stop(), 0, self.agent.stderr_text())
            if self.agent.args[0] == "tail":
                # Across kills lines repeat, so only the last run's own account can balance:
                # everything it read settled, nothing left in flight after its drain.
                ledger.check(ledger.from_summary(self.agent.stderr_text().encode()), None)
        finally:
            self.agent.ensure_dead()
            if writer.poll() is None:
                writer.kill()
                writer.wait()

    def snapshot_and_restart(self):
        with open(self.out_path, "rb+") as out:
            data = out.read()
            # SIGKILL can land inside a write(): that unacknowledged partial line is cut here
            # (a real sink never sees it) and is shipped again whole by the next run.
            cut = data.rfind(b"\n") + 1
            if cut != len(data):
                out.truncate(cut)
                data = data[:cut]
        entries = durable.read_checkpoints(self.data_dir)
        self.agent.start()
        self.snapshots.append((data, entries))

    def wait_complete(self, timeout):
        expected = set(range(self.total)) - self.window_numbers()
        seen = bytearray(self.total)
        state = {"pos": 0, "missing": len(expected)}
        for n in self.window_numbers():
            seen[n] = 1

        def complete():
            with open(self.out_path, "rb") as out:
                out.seek(state["pos"])
                data = out.read()
            cut = data.rfind(b"\n") + 1
            state["pos"] += cut
            for text in data[:cut].split(b"\n")[:-1]:
                n = int(text)
                if not seen[n]:
                    seen[n] = 1
                    state["missing"] -= 1
            if state["missing"] != 0 and self.agent.process.poll() is not None:
                raise AssertionError(f"the agent exited ({self.agent.process.returncode}) with "
                                     f"{state['missing']} numbers not shipped\n"
                                     f"{self.missing_report(seen)}")
            return state["missing"] == 0

        try:
            harness.wait_until(complete, timeout, f"every number shipped ({self.describe()})")
        except AssertionError as timeout_error:
            raise AssertionError(f"{timeout_error}\n{self.missing_report(seen)}") from None

    def missing_report(self, seen):
        """Which numbers never arrived, as ranges with the file each was written to, and the
        agent's log: enough to tell a file never found from one found but not finished."""
        starts = self.manifest()[0]
        ranges, first = [], None
        for n in range(self.total + 1):
            if n < self.total and not seen[n]:
                first = n if first is None else first
            elif first is not None:
                ranges.append(f"{first}..{n - 1} (file {self.file_of(first, starts)})")
                first = None
        missing = self.total - sum(seen)
        return (f"{missing} numbers missing: {', '.join(ranges[:20])}\n"
                f"agent log:\n{self.agent.stderr_text()}")

    # --- the manifest: which file each number was written to ---------------------------

    def manifest(self):
        starts, windows = [], []
        with open(self.manifest_path) as f:
            for row in f.read().split("\n"):
                parts = row.split()
                if parts and parts[0] == "file":
                    starts.append(int(parts[1]))
                elif parts and parts[0] == "window":
                    windows.append((int(parts[1]), int(parts[2])))
        return starts, windows

    def window_numbers(self):
        return {n for first, end in self.manifest()[1] for n in range(first, end)}

    def file_of(self, number, starts):
        return bisect.bisect_right(starts, number) - 1

    def acked_numbers(self, entries, starts):
        """Numbers covered by checkpoint entries (entry -> file by its head hash), and the
        files that have an entry."""
        acked, files = set(), set()
        for entry in entries:
            if entry["head_length"] == 0:
                continue
            for index, first in enumerate(starts):
                key = (index, entry["head_length"])
                if key not in self.head_hashes:
                    self.head_hashes[key] = durable.xxh64(
                        durable.lines(first, 128)[:entry["head_length"]])
                if self.head_hashes[key] == entry["head_hash"]:
                    acked.update(range(first, first + entry["offset"] // durable.WIDTH))
                    files.add(index)
                    break
        return acked, files

    def may_repeat_after(self, shipped, entries, starts):
        """What a restart may ship again: lines beyond a checkpointed offset, and any line of
        a file newer than every checkpointed one (it appeared after the last checkpoint).
        A file older than the newest checkpointed one and without an entry of its own was
        finished and forgotten (or truncated away): it is not read again."""
        acked, files = self.acked_numbers(entries, starts)
        newest = max(files, default=-1)
        return {n for n in shipped if n not in acked and
                ((file := self.file_of(n, starts)) in files or file > newest)}

    # --- verdict -----------------------------------------------------------------------

    def describe(self):
        return f"{self.mode}, {self.total} lines, kills={len(self.snapshots)}"

    def check(self):
        starts, windows = self.manifest()
        window = self.window_numbers()
        with open(self.out_path, "rb") as f:
            output = f.read()
        numbers = [int(t) for t in output.split(b"\n")[:-1]]
        counts = [0] * self.total
        for n in numbers:
            counts[n] += 1
        missing = [n for n in range(self.total) if counts[n] == 0 and n not in window]
        self.test.assertEqual(missing[:20], [], f"numbers never shipped ({len(missing)} in all)")

        # May come again: shipped before kill k but not acknowledged in the checkpoints
        # written before it (the bound: what was in flight since the last checkpoint).
        may_repeat = [0] * self.total
        bound = 0
        boundaries = []
        for data, entries in self.snapshots:
            shipped = {int(t) for t in data.split(b"\n")[:-1]}
            unacked = self.may_repeat_after(shipped, entries, starts)
            if os.environ.get("LOGSHIP_TORTURE_DEBUG"):
                print(f"kill: shipped={len(data) // durable.WIDTH} distinct={len(shipped)} "
                      f"unacked={len(unacked)} entries={entries}", file=sys.stderr)
            bound += len(unacked)
            for n in unacked:
                may_repeat[n] += 1
            boundaries.append(len(data) // durable.WIDTH)
        over = [n for n in range(self.total) if counts[n] > 1 + may_repeat[n]]
        self.test.assertEqual(over[:20], [], "numbers repeated beyond what was unacknowledged "
                              f"at the kills ({len(over)} in all)")
        duplicates = sum(c - 1 for c in counts if c > 1)
        self.test.assertLessEqual(duplicates, bound)

        # In order per file within each run: consecutive numbers, no gap, no step back.
        runs = zip([0] + boundaries, boundaries + [len(numbers)])
        for index, (begin, end) in enumerate(runs):
            last = {}
            for n in numbers[begin:end]:
                file = self.file_of(n, starts)
                previous = last.get(file)
                if previous is not None and n != previous + 1:
                    self.test.fail(f"run {index}: file {file}: {n} after {previous}")
                last[file] = n
        report = (f"torture {self.describe()}: lines shipped={len(numbers)} "
                  f"duplicates={duplicates} bound={bound} lost_in_windows="
                  f"{sum(1 for n in window if counts[n] == 0)}/{len(window)}")
        print(report, file=sys.stderr)
        return report
