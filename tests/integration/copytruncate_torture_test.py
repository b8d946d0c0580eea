"""copytruncate rotation under SIGKILL: app.log copied to app.log.1 and truncated every 50k
lines while the agent (on the live name only, as copytruncate requires) is killed at 5
seeded random moments. Only lines written between a copy and its truncate may be lost.
See torture.py for the checks and the duplicate bound."""

import os

import durable
import harness
import torture

# 1,000,000 in the release run; the ASan build (CI runs both) gets a shorter run.
TOTAL = int(os.environ.get("LOGSHIP_TORTURE_LINES", durable.scaled(1_000_000, 400_000)))
PER_FILE = 50_000
KILLS = 5


class CopytruncateTorture(harness.TempDirTest):
    def test_truncated_file_restarts_from_zero_across_kills(self):
        run = torture.Torture(self, "copytruncate", ["tail", "-f", "--from-head", "--data-dir",
                                                     "{data}", "{dir}/app.log"],
                              TOTAL, PER_FILE, KILLS, seed=11)
        run.run()
        run.check()


if __name__ == "__main__":
    harness.main()
