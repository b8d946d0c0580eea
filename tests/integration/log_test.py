"""The agent's own log on stderr: every line of a `logship run` is structured (JSON objects
or logfmt), journald mode drops the timestamp for a <N> priority, log_level filters, and a
failing output's retries are rate-limited into a few lines with a `repeated=` count."""

import json
import os
import re
import signal
import subprocess
import urllib.request

import harness

LOGFMT_LINE = re.compile(r'^ts=\S+ level=(debug|info|warn|error) msg=("(?:[^"\\]|\\.)*"|\S+)'
                         r'( [a-z_]+=("(?:[^"\\]|\\.)*"|\S+))*$')
JOURNAL_LINE = re.compile(r'^<[0-7]>level=(debug|info|warn|error) msg=')
RETRY_MSG = "loki push failed; retrying until it succeeds"
STDOUT_OUTPUT = """
[[outputs]]
name = "out"
type = "stdout"
"""


def read(path):
    with open(path, "rb") as f:
        return f.read()


class AgentLog(harness.TempDirTest):
    def run_agent(self, agent_keys, output=STDOUT_OUTPUT, env=None, ready=None, args=()):
        """Runs `logship run` over a 1,000-line file until `ready(agent)` (default: every
        line is on stdout), stops it with SIGTERM and returns its stderr lines."""
        self.runs = getattr(self, "runs", 0) + 1  # each run starts without checkpoints
        self.write("app.log", b"".join(b"line %d\n" % i for i in range(1000)))
        if "metrics_listen" not in agent_keys:
            agent_keys += '\nmetrics_listen = ""'
        config = self.write("logship.toml", f"""
[agent]
data_dir = "{self.dir}/data{self.runs}"
{agent_keys}
[[inputs]]
name = "app"
paths = ["{self.dir}/app.log"]
start_at = "head"
{output}
""".encode())
        out_path, err_path = self.path("out.txt"), self.path("err.txt")
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            env = {**os.environ, **(env(err) if env else {})}
            agent = subprocess.Popen([harness.LOGSHIP, "run", "-c", config, *args], stdout=out,
                                     stderr=err, env=env)
        try:
            if ready:
                ready(agent)
            else:
                harness.wait_until(lambda: read(out_path).count(b"\n") == 1000,
                                   30, "1000 lines shipped")
            agent.send_signal(signal.SIGTERM)
            self.assertEqual(agent.wait(timeout=20), 0, read(err_path))
        finally:
            if agent.poll() is None:
                agent.kill()
                agent.wait()
        return read(err_path).decode().splitlines()

    def test_json_lines_are_objects_with_level_and_msg(self):
        lines = self.run_agent('log_format = "json"')
        self.assertTrue(lines)
        for line in lines:
            record = json.loads(line)
            self.assertIn(record["level"], ("debug", "info", "warn", "error"), line)
            self.assertIsInstance(record["msg"], str)
            self.assertIn("ts", record)
        msgs = [json.loads(line)["msg"] for line in lines]
        self.assertIn("started", msgs)
        self.assertTrue(any(m.startswith("stopping") for m in msgs), msgs)

    def test_logfmt_lines_have_ts_level_msg_and_fields(self):
        lines = self.run_agent("")  # logfmt is the default
        self.assertTrue(lines)
        for line in lines:
            self.assertRegex(line, LOGFMT_LINE)
        self.assertTrue(any(" msg=started " in line and f"config={self.dir}" in line
                            for line in lines), lines)

    def test_under_journald_lines_have_a_priority_and_no_timestamp(self):
        def journal_stream(err):
            info = os.fstat(err.fileno())
            return {"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}"}

        lines = self.run_agent("", env=journal_stream)
        self.assertTrue(lines)
        for line in lines:
            self.assertRegex(line, JOURNAL_LINE)
            self.assertNotRegex(line, r"(^|[ >])ts=")
        self.assertTrue(any(line.startswith("<6>level=info msg=started") for line in lines))

    def test_log_level_error_leaves_out_info_lines(self):
        lines = self.run_agent('log_level = "error"')
        self.assertEqual([line for line in lines if "level=info" in line or
                          "level=warn" in line], [], lines)
        # The same run at the default level does say something at info.
        self.assertTrue(any("level=info" in line for line in self.run_agent("")))

    def test_run_log_level_wins_over_the_config_key(self):
        lines = self.run_agent('log_level = "info"', args=("--log-level", "error"))
        self.assertEqual([line for line in lines if "level=info" in line], [], lines)
        self.assertEqual(harness.run("run", "-c", self.path("logship.toml"), "--log-level",
                                     "loud").returncode, 2)

    def test_a_loki_outage_is_logged_a_few_times_with_a_repeat_count(self):
        port, metrics_port = harness.free_port(), harness.free_port()  # nothing listens on `port`
        output = f"""
[[outputs]]
name = "loki"
type = "loki"
url = "http://127.0.0.1:{port}/loki/api/v1/push"
linger = "10ms"
min_backoff = "10ms"
max_backoff = "40ms"
"""
        seen = {}

        def retries():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics",
                                            timeout=5) as r:
                    text = r.read().decode()
            except OSError:
                return 0
            match = re.search(r'^logship_output_retries_total\{output="loki"\} (\d+)$', text,
                              re.M)
            return int(match.group(1)) if match else 0

        def fifty_retries(agent):
            harness.wait_until(lambda: agent.poll() is not None or retries() >= 50, 30,
                               "50 retries of the Loki output")
            self.assertIsNone(agent.poll(), "the agent exited")
            seen["retries"] = retries()

        lines = self.run_agent(
            f'shutdown_timeout = "1s"\nmetrics_listen = "127.0.0.1:{metrics_port}"',
            output=output, ready=fifty_retries)
        retry_lines = [line for line in lines if f'msg="{RETRY_MSG}"' in line]
        self.assertTrue(retry_lines, lines)
        for line in retry_lines:
            self.assertRegex(line, LOGFMT_LINE)
            self.assertIn("output=loki", line)
            self.assertIn("error=", line)
        # At least 50 attempts failed, yet within a few seconds they make the first line
        # plus one count (at the 10 s interval, or at exit).
        self.assertLessEqual(len(retry_lines), 3, retry_lines)
        repeated = sum(int(m.group(1)) for line in retry_lines
                       for m in [re.search(r" repeated=(\d+)$", line)] if m)
        self.assertGreaterEqual(len(retry_lines) + repeated, seen["retries"])
        self.assertTrue(any("did not drain" in line for line in lines), lines)


if __name__ == "__main__":
    harness.main()
