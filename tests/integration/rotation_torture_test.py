"""Rename rotation under SIGKILL: 1,000,000 numbered lines, app.log renamed every 50k lines
(3 rotated files kept, older ones deleted), the agent killed at 5 seeded random moments and
restarted at once. See torture.py for the checks and the duplicate bound."""

import os

import durable
import harness
import torture

# 1,000,000 in the release run; the ASan build (CI runs both) gets a shorter run.
TOTAL = int(os.environ.get("LOGSHIP_TORTURE_LINES", durable.scaled(1_000_000, 400_000)))
PER_FILE = 50_000
KILLS = 5


class RenameRotationTorture(harness.TempDirTest):
    def test_service_on_the_live_name_drains_renamed_files_across_kills(self):
        # What most operators write: the live name only. Renamed files are drained through
        # their open fd, or found beside app.log by inode after a restart.
        config = durable.run_config(
            self.path("logship.toml"), self.path("data"),
            [f'name = "app"\npaths = ["{self.dir}/app.log"]\nstart_at = "head"'],
            checkpoint_interval="250ms")
        run = torture.Torture(self, "rename", ["run", "-c", config], TOTAL, PER_FILE, KILLS,
                              seed=3)
        run.run()
        run.check()

    def test_tail_with_a_glob_matching_rotated_names_across_kills(self):
        # `app.log*` also names the rotated files: a rename is the same file under a new
        # name, so it keeps its position. Default checkpoint interval (1s).
        run = torture.Torture(self, "rename", ["tail", "-f", "--from-head", "--data-dir", "{data}",
                                               "{dir}/app.log*"], TOTAL, PER_FILE, KILLS, seed=7)
        run.run()
        run.check()


if __name__ == "__main__":
    harness.main()
