"""Discovery: 10,000 files under one glob, files in new `**` subdirectories found through
inotify within 2 s, and with watch = "poll" within the rescan interval."""

import os
import resource
import subprocess
import time

import durable
import harness

# The sanitizer builds run 10 to 30 times slower: 2,000 files there, still twice the
# default max_open_files, so the one-shot still reads in waves.
FILES = durable.scaled(10_000, 2_000)


def raise_fd_limit():
    # An operator tailing 10,000 files raises the fd limit (LimitNOFILE in the unit).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Discovery(harness.TempDirTest):
    def make_tree(self):
        for i in range(FILES):
            directory = self.path(f"logs/d{i // 100:03d}/s{i % 3}")
            os.makedirs(directory, exist_ok=True)
            with open(os.path.join(directory, f"f{i:05d}.log"), "wb") as f:
                f.write(b"file %05d\n" % i)

    def expected(self):
        return sorted(b"file %05d" % i for i in range(FILES))

    def test_ten_thousand_files_under_a_glob_are_all_shipped(self):
        self.make_tree()
        config = durable.run_config(
            self.path("logship.toml"), self.path("data"),
            [f'name = "many"\npaths = ["{self.dir}/logs/**/*.log"]\nstart_at = "head"\n'
             f'max_open_files = {FILES + 100}'])
        out = self.path("out.txt")
        agent = durable.Agent(["run", "-c", config], out, self.path("err"),
                              preexec_fn=raise_fd_limit)
        agent.start()
        try:
            durable.wait_for_size(out, FILES * 11, 60, f"{FILES} lines")
            self.assertEqual(agent.stop(), 0, agent.stderr_text())
        finally:
            agent.ensure_dead()
        with open(out, "rb") as f:
            self.assertEqual(sorted(f.read().split(b"\n")[:-1]), self.expected())

    def test_ten_thousand_files_one_shot_tail_beyond_max_open_files(self):
        # Ten times the default max_open_files (1024): read in waves, all of them, and
        # their positions kept, so a second run ships nothing again.
        self.make_tree()
        tail = [harness.LOGSHIP, "tail", "--from-head", "--data-dir", self.path("data"),
                self.path("logs/**/*.log")]
        result = subprocess.run(tail, capture_output=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        self.assertEqual(sorted(result.stdout.split(b"\n")[:-1]), self.expected(),
                         result.stderr[-2000:])
        again = subprocess.run(tail, capture_output=True, timeout=120)
        self.assertEqual((again.returncode, again.stdout), (0, b""), again.stderr[-2000:])

    def follow_new_subdirectories(self, args, out, limit, what):
        os.makedirs(self.path("logs"))
        self.write("logs/first.log", b"first\n")
        agent = durable.Agent(args, out, self.path("err"))
        agent.start()
        try:
            durable.wait_for_size(out, 6, 20, "the file present at start")
            shipped = 6
            for depth in range(1, 6):
                directory = self.path("logs/" + "/".join(f"new{depth}-{d}" for d in range(depth)))
                started = time.monotonic()
                os.makedirs(directory)
                with open(os.path.join(directory, "app.log"), "wb") as f:
                    f.write(b"depth %d\n" % depth)
                shipped += 8
                durable.wait_for_size(out, shipped, limit + 5, f"the file at depth {depth}")
                elapsed = time.monotonic() - started
                self.assertLess(elapsed, limit, f"{what}: depth {depth} took {elapsed:.2f}s")
            self.assertEqual(agent.stop(), 0, agent.stderr_text())
        finally:
            agent.ensure_dead()
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b"first\n" + b"".join(b"depth %d\n" % d
                                                            for d in range(1, 6)))

    def test_a_file_in_a_new_subdirectory_is_found_within_two_seconds(self):
        self.follow_new_subdirectories(["tail", "-f", "--from-head", self.path("logs/**/*.log")],
                                       self.path("out.txt"), 2.0, "inotify")

    def test_with_polling_a_new_file_is_found_within_the_rescan_interval(self):
        config = durable.run_config(
            self.path("logship.toml"), self.path("data"),
            [f'name = "polled"\npaths = ["{self.dir}/logs/**/*.log"]\nstart_at = "head"\n'
             f'watch = "poll"\nrescan_interval = "1s"'])
        # The rescan interval plus one append poll (250 ms) and scheduling slack.
        self.follow_new_subdirectories(["run", "-c", config], self.path("out.txt"), 1.5, "poll")


if __name__ == "__main__":
    harness.main()
