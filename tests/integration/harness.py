"""Shared helpers for integration tests: run the real logship binary, wait on conditions
with bounded timeouts, and fail with messages that say what was expected."""

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

LOGSHIP = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "logship"
# The sanitizer presets build under build/asan and build/tsan: slower, bigger, their own
# malloc. Tests that measure memory or time scale down or skip on them.
SANITIZED = any(f"/{preset}/" in LOGSHIP for preset in ("asan", "tsan"))


def run(*args, input_bytes=None, timeout=120):
    """Runs logship to completion; returns CompletedProcess with bytes stdout/stderr."""
    return subprocess.run([LOGSHIP, *args], input=input_bytes, capture_output=True,
                          timeout=timeout)


def wait_until(condition, timeout, what):
    """Polls `condition` until true; fails the test with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def become_nobody():
    """For preexec_fn: the child runs as the unprivileged user nobody (the caller is root)."""
    nobody = pwd.getpwnam("nobody")
    os.setgroups([])
    os.setresgid(nobody.pw_gid, nobody.pw_gid, nobody.pw_gid)
    os.setresuid(nobody.pw_uid, nobody.pw_uid, nobody.pw_uid)


def copy_for_any_user(directory):
    """The binary copied into `directory` (made 0755): tests that run it as an unprivileged
    user cannot rely on the checkout's path being open to them (a clone under /root)."""
    os.chmod(directory, 0o755)
    copy = os.path.join(directory, "logship")
    shutil.copy2(LOGSHIP, copy)
    os.chmod(copy, 0o755)
    return copy


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on (until someone binds it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TempDirTest(unittest.TestCase):
    """A test case with a fresh temporary directory in self.dir."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="logship-it-")
        self.dir = self._tmp.name
        # Cleanups run last-in first-out: processes a test registers stop before this runs.
        self.addCleanup(self._tmp.cleanup)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, data):
        with open(self.path(name), "wb") as f:
            f.write(data)
        return self.path(name)


# The exit code by which ctest reports a test script as skipped (SKIP_RETURN_CODE).
SKIPPED = 77


def main():
    """Runs the script's tests: exit 1 on any failure, SKIPPED when one was skipped (so ctest
    shows it skipped, never passed), else 0."""
    result = unittest.main(verbosity=2, exit=False).result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.skipped:
        print(f"{len(result.skipped)} test(s) skipped: " +
              "; ".join(f"{test.id()}: {why}" for test, why in result.skipped), file=sys.stderr)
        sys.exit(SKIPPED)
    sys.exit(0)
