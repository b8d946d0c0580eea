"""SIGHUP: the config is applied anew under load without losing or duplicating a line;
an invalid config is rejected and the running one keeps going."""

import os
import signal
import subprocess
import threading
import time

import harness

CONFIG = """
[agent]
data_dir = "{dir}/data"
checkpoint_interval = "100ms"
metrics_listen = ""

[[inputs]]
name = "a"
paths = ["{dir}/a.log"]
start_at = "head"
{extra_input}
[[outputs]]
name = "out"
type = "stdout"
inputs = [{inputs}]
"""

EXTRA_INPUT = """
[[inputs]]
name = "b"
paths = ["{dir}/b.log"]
start_at = "head"
"""


class Reload(harness.TempDirTest):
    def config(self, extra_input="", inputs='"a"'):
        return CONFIG.format(dir=self.dir, extra_input=extra_input.format(dir=self.dir),
                             inputs=inputs).encode()

    def lines_out(self):
        with open(self.path("out.txt"), "rb") as f:
            return f.read().splitlines()

    def test_adding_an_input_and_changing_an_output_under_load_loses_and_repeats_nothing(self):
        config = self.write("logship.toml", self.config())
        self.write("a.log", b"")
        self.write("b.log", b"".join(b"b %d\n" % i for i in range(1000)))
        total_a = 200_000
        with open(self.path("out.txt"), "wb") as out, open(self.path("err.txt"), "wb") as err:
            agent = subprocess.Popen([harness.LOGSHIP, "run", "-c", config], stdout=out,
                                     stderr=err)

        def write_a():
            with open(self.path("a.log"), "ab", buffering=0) as f:
                for start in range(0, total_a, 2000):
                    f.write(b"".join(b"a %d\n" % i for i in range(start, start + 2000)))
                    time.sleep(0.005)  # spread the load over the reloads

        writer = threading.Thread(target=write_a)
        writer.start()
        try:
            harness.wait_until(lambda: len(self.lines_out()) > 10_000, 30, "the first lines")
            self.write("logship.toml", self.config(EXTRA_INPUT, '"a", "b"'))
            agent.send_signal(signal.SIGHUP)
            harness.wait_until(lambda: b"b 999" in self.lines_out(), 30,
                               "the added input's lines after SIGHUP")

            self.write("logship.toml", b"[agent]\nbogus = 1\n")
            agent.send_signal(signal.SIGHUP)
            harness.wait_until(lambda: b"reload rejected" in open(self.path("err.txt"), "rb").read(),
                               10, "the invalid config to be rejected")
            writer.join(timeout=120)
            harness.wait_until(lambda: b"a %d" % (total_a - 1) in self.lines_out(), 60,
                               "every line of a, shipped by the old configuration")
            agent.send_signal(signal.SIGTERM)
            self.assertEqual(agent.wait(timeout=20), 0)
        finally:
            writer.join(timeout=120)
            if agent.poll() is None:
                agent.kill()
        lines = self.lines_out()
        a_lines = [line for line in lines if line.startswith(b"a ")]
        b_lines = [line for line in lines if line.startswith(b"b ")]
        self.assertEqual(len(a_lines), total_a, "lines of a lost or repeated across the reload")
        self.assertTrue(a_lines == [b"a %d" % i for i in range(total_a)], "a out of order")
        self.assertEqual(b_lines, [b"b %d" % i for i in range(1000)])

    def test_each_reload_says_what_it_did_and_names_agent_keys_that_need_a_restart(self):
        config = self.write("logship.toml", self.config())
        self.write("a.log", b"a 0\n")
        with open(self.path("out.txt"), "wb") as out, open(self.path("err.txt"), "wb") as err:
            agent = subprocess.Popen([harness.LOGSHIP, "run", "-c", config], stdout=out,
                                     stderr=err)
        self.addCleanup(lambda: agent.poll() is None and (agent.kill(), agent.wait()))

        def said(msg):
            with open(self.path("err.txt"), "rb") as f:
                return [line for line in f.read().splitlines() if msg in line]

        def reload_and_wait(msg, count):
            agent.send_signal(signal.SIGHUP)
            harness.wait_until(lambda: len(said(msg)) >= count, 10, f"{count} {msg!r} lines")

        harness.wait_until(lambda: self.lines_out() == [b"a 0"], 10, "the first line")
        # Three reloads within the logger's 10 s repeat interval: each still says so.
        reload_and_wait(b"msg=reloaded ", 1)
        self.write("logship.toml", self.config(EXTRA_INPUT, '"a", "b"'))
        self.write("b.log", b"b 0\n")
        reload_and_wait(b"msg=reloaded ", 2)
        self.write("logship.toml", self.config(EXTRA_INPUT, '"a", "b"').replace(
            b'checkpoint_interval = "100ms"', b'checkpoint_interval = "1s"'))
        reload_and_wait(b"msg=reloaded ", 3)
        harness.wait_until(lambda: said(b"restart needed"), 10, "the restart needed line")
        reloaded = said(b"msg=reloaded ")
        self.assertEqual(len(reloaded), 3, reloaded)
        for line, fields in zip(reloaded, ((b"started=0", b"stopped=0", b"kept=1"),
                                           (b"started=2", b"stopped=1", b"kept=0"),
                                           (b"started=0", b"stopped=0", b"kept=2"))):
            for field in fields:
                self.assertIn(field, line)
        restart = said(b"restart needed")
        self.assertEqual(len(restart), 1, restart)
        self.assertIn(b"level=warn", restart[0])
        self.assertIn(b"keys=checkpoint_interval", restart[0])

        self.write("logship.toml", b"[agent]\nbogus = 1\n")
        reload_and_wait(b"reload rejected", 1)
        reload_and_wait(b"reload rejected", 2)
        self.assertIn(b"bogus", said(b"reload rejected")[0])
        with open(self.path("a.log"), "ab") as f:
            f.write(b"a 1\n")
        harness.wait_until(lambda: b"a 1" in self.lines_out(), 10,
                           "a line shipped by the configuration a rejected reload kept")
        self.assertIsNone(agent.poll(), "the agent exited after a rejected reload")
        agent.send_signal(signal.SIGTERM)
        self.assertEqual(agent.wait(timeout=20), 0)
        self.assertEqual(sorted(self.lines_out()), [b"a 0", b"a 1", b"b 0"])


if __name__ == "__main__":
    harness.main()
