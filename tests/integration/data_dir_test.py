"""One agent per data_dir: a second `run`, `tail --data-dir` or `offsets reset` on a held
directory exits 2 naming the holder's pid; the lock dies with its process, kill -9
included; a data_dir that cannot be created is a config error (exit 2) with its reason."""

import os
import signal
import subprocess
import unittest

import harness
import ledger

CONFIG = """
[agent]
data_dir = "{data_dir}"
metrics_listen = ""

[[inputs]]
name = "app"
paths = ["{dir}/app.log"]
start_at = "head"

[[outputs]]
name = "out"
type = "null"
"""


class DataDir(harness.TempDirTest):
    def config(self, data_dir=None):
        data_dir = data_dir or self.path("data")
        return self.write("logship.toml", CONFIG.format(dir=self.dir, data_dir=data_dir).encode())

    def start_agent(self, config, name):
        """Starts `logship run` and waits for its "started" line; stops it at cleanup."""
        err_path = self.path(f"{name}.err")
        with open(err_path, "wb") as err:
            agent = subprocess.Popen([harness.LOGSHIP, "run", "-c", config],
                                     stdout=subprocess.DEVNULL, stderr=err)
        self.addCleanup(self.stop, agent)

        def stderr():
            with open(err_path, "rb") as f:
                return f.read()

        def started():
            if agent.poll() is not None:
                raise AssertionError(f"{name} exited with {agent.returncode}: " +
                                     stderr().decode())
            return b"started" in stderr()

        harness.wait_until(started, 20, f"{name}'s \"started\" log line")
        return agent

    @staticmethod
    def stop(agent):
        if agent.poll() is None:
            agent.send_signal(signal.SIGTERM)
            agent.wait(timeout=20)

    def assert_refused(self, result, *fragments):
        message = result.stderr.decode()
        self.assertEqual(result.returncode, 2, message)
        for fragment in fragments:
            self.assertIn(fragment, message)

    def test_a_second_run_on_the_same_data_dir_exits_2_naming_the_first(self):
        self.write("app.log", b"a\n")
        config = self.config()
        first = self.start_agent(config, "first")
        second = harness.run("run", "-c", config, timeout=30)
        self.assert_refused(second, self.path("data"), f"(pid {first.pid})")
        self.assertIsNone(first.poll(), "the first agent stopped")

    def test_after_kill_9_of_the_holder_a_new_agent_starts_at_once(self):
        self.write("app.log", b"a\n")
        config = self.config()
        first = self.start_agent(config, "first")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        self.assertTrue(os.path.exists(self.path("data/lock")), "the lock file is kept")
        self.start_agent(config, "second")

    def test_offsets_reset_refuses_while_an_agent_holds_the_data_dir_and_list_still_reads(self):
        self.write("app.log", b"a\n")
        config = self.config()
        agent = self.start_agent(config, "agent")
        self.assert_refused(harness.run("offsets", "reset", "-c", config),
                            f"(pid {agent.pid})")
        listed = harness.run("offsets", "list", "-c", config)
        self.assertEqual(listed.returncode, 0, listed.stderr.decode())
        self.stop(agent)
        reset = harness.run("offsets", "reset", "-c", config)
        self.assertEqual(reset.returncode, 0, reset.stderr.decode())

    def test_tail_with_a_held_data_dir_exits_2_and_ships_once_it_is_free(self):
        lines = 500
        self.write("app.log", b"".join(b"line %d\n" % i for i in range(lines)))
        config = self.config()
        agent = self.start_agent(config, "agent")
        tail = ("tail", "--from-head", "--output", "null", "--data-dir", self.path("data"),
                self.path("app.log"))
        self.assert_refused(harness.run(*tail, timeout=30), f"(pid {agent.pid})")
        self.stop(agent)
        result = harness.run(*tail)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        ledger.check(ledger.from_summary(result.stderr), lines)

    def test_a_data_dir_under_a_regular_file_is_a_config_error_for_run_and_tail(self):
        self.write("app.log", b"a\n")
        self.write("file", b"not a directory\n")
        data_dir = self.path("file/data")
        reason = f"{data_dir}: cannot create: Not a directory"
        self.assert_refused(harness.run("run", "-c", self.config(data_dir), timeout=30), reason,
                            "key 'agent.data_dir'")
        self.assert_refused(harness.run("tail", "--data-dir", data_dir, self.path("app.log"),
                                        timeout=30), reason)

    @unittest.skipUnless(os.geteuid() == 0, "switching to the user nobody needs root")
    def test_a_data_dir_in_a_directory_nobody_may_enter_is_a_config_error_as_nobody(self):
        self.write("app.log", b"a\n")
        os.chmod(self.dir, 0o755)
        os.chmod(self.path("app.log"), 0o644)
        os.mkdir(self.path("closed"), 0o000)
        os.mkdir(self.path("bin"))
        data_dir = self.path("closed/data")
        config = self.config(data_dir)
        os.chmod(config, 0o644)
        logship = harness.copy_for_any_user(self.path("bin"))
        reason = f"{data_dir}: cannot create: Permission denied"
        for args in (["run", "-c", config], ["tail", "--data-dir", data_dir,
                                             self.path("app.log")]):
            result = subprocess.run([logship, *args], capture_output=True, timeout=30,
                                    preexec_fn=harness.become_nobody)
            self.assert_refused(result, reason)


if __name__ == "__main__":
    harness.main()
