"""More files than max_open_files, followed: files wait their turn and get it as open files
go idle, every line arrives, appends to closed files arrive within rescan_interval + 2 s,
and the agent's open fds stay within max_open_files plus a fixed handful."""

import os
import random
import resource
import subprocess
import threading
import time

import harness
import ledger

# tests/torture/many_files.sh runs the same test with thousands of files and the default limit.
FILES = int(os.environ.get("LOGSHIP_OPEN_FILES_COUNT", "500"))
LINES = 10
MAX_OPEN = int(os.environ.get("LOGSHIP_OPEN_FILES_MAX", "16"))
# Time for every file's first read: waves of MAX_OPEN, each after its files went idle.
FIRST_READ_S = 20 + FILES // 200
APPENDS = 100
RESCAN_S = 2
# The agent's own fds besides its files: stdio, inotify, eventfd, the metrics listener and
# its connections, the data_dir lock, checkpoint writes.
HANDFUL = 16


def raise_fd_limit():
    # max_open_files = 1024 needs more than the usual soft limit (LimitNOFILE in the unit).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def original(file, n):
    return b"f%05d l%02d" % (file, n)


class FdSampler:
    """Counts /proc/PID/fd every few milliseconds on its own thread; keeps the maximum."""

    def __init__(self, pid):
        self.pid, self.most, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.005):
            try:
                self.most = max(self.most, len(os.listdir(f"/proc/{self.pid}/fd")))
            except FileNotFoundError:
                return

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.most


def shipped_lines(path):
    with open(path, "rb") as f:
        return f.read().split(b"\n")[:-1]


class OpenFiles(harness.TempDirTest):
    def config(self, port):
        path = self.path("logship.toml")
        with open(path, "w") as f:
            f.write(f'[agent]\ndata_dir = "{self.path("data")}"\n'
                    f'metrics_listen = "127.0.0.1:{port}"\n\n'
                    f'[[inputs]]\nname = "files"\ntype = "file"\n'
                    f'paths = ["{self.dir}/logs/*.log"]\nstart_at = "head"\n'
                    f'max_open_files = {MAX_OPEN}\nrescan_interval = "{RESCAN_S}s"\n\n'
                    f'[[outputs]]\nname = "out"\ntype = "stdout"\ninputs = ["files"]\n')
        return path

    def test_files_beyond_max_open_files_take_turns_while_following(self):
        os.makedirs(self.path("logs"))
        for i in range(FILES):
            with open(self.path(f"logs/f{i:05d}.log"), "wb") as f:
                f.write(b"".join(original(i, n) + b"\n" for n in range(LINES)))
        port = harness.free_port()
        out, err = self.path("out.txt"), self.path("err.txt")
        with open(out, "wb") as stdout, open(err, "wb") as stderr:
            agent = subprocess.Popen([harness.LOGSHIP, "run", "-c", self.config(port)],
                                     stdout=stdout, stderr=stderr, preexec_fn=raise_fd_limit)
        self.addCleanup(lambda: agent.poll() is None and (agent.kill(), agent.wait()))
        fds = FdSampler(agent.pid)
        try:
            expected = {original(i, n) for i in range(FILES) for n in range(LINES)}
            harness.wait_until(lambda: len(shipped_lines(out)) >= len(expected), FIRST_READ_S,
                               f"all {len(expected)} lines of {FILES} files")
            self.assertEqual(set(shipped_lines(out)), expected)

            rng = random.Random(32)
            for round_start in range(0, APPENDS, 10):
                started = time.monotonic()
                appended = set()
                for k in range(round_start, round_start + 10):
                    file = rng.randrange(FILES)
                    with open(self.path(f"logs/f{file:05d}.log"), "ab") as f:
                        f.write(b"append %03d to f%05d\n" % (k, file))
                    appended.add(b"append %03d to f%05d" % (k, file))
                limit = RESCAN_S + 2
                harness.wait_until(lambda: appended <= set(shipped_lines(out)), limit + 5,
                                   f"appends {round_start}..{round_start + 9}")
                elapsed = time.monotonic() - started
                self.assertLess(elapsed, limit, f"appends {round_start}.. took {elapsed:.1f}s")

            total = FILES * LINES + APPENDS
            harness.wait_until(lambda: ledger.settled_at(port, "files", "out", total), 10,
                               f"{total} lines settled")
            samples = ledger.scrape(port)
            got = ledger.from_samples(samples, "files", "out")
            ledger.check(got, total)
            gauge = lambda name: samples[(name, frozenset({("input", "files")}))]
            self.assertLessEqual(gauge("logship_input_open_files"), MAX_OPEN)
            self.assertEqual(gauge("logship_input_files_waiting"), 0)
            self.assertEqual(len(shipped_lines(out)), total, "a line was shipped twice")
        finally:
            most = fds.stop()
        self.assertEqual(agent.wait(timeout=0) if agent.poll() is not None else None, None,
                         "the agent exited early")
        agent.terminate()
        self.assertEqual(agent.wait(timeout=20), 0)
        with open(err, "rb") as f:
            log = f.read().decode(errors="replace")
        self.assertLessEqual(most, MAX_OPEN + HANDFUL, f"{most} fds open at most")
        notices = [l for l in log.splitlines() if "files wait" in l]
        self.assertEqual(len(notices), 1, log[-3000:])
        self.assertIn(f"files_waiting={FILES - MAX_OPEN}", notices[0])


if __name__ == "__main__":
    harness.main()
