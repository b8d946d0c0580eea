"""`logship check`: the example config passes; broken configs exit 2 naming line and key."""

import os

import harness

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(SOURCE_DIR, "config.example.toml")

VALID = """\
[agent]
memory_limit = "32MiB"

[[inputs]]
name = "app"
paths = ["/tmp/*.log"]

[[outputs]]
name = "out"
type = "stdout"
"""


class Check(harness.TempDirTest):
    def check(self, text):
        path = self.write("config.toml", text.encode())
        return path, harness.run("check", "-c", path)

    def assert_rejected(self, text, *expected):
        path, result = self.check(text)
        message = result.stderr.decode()
        self.assertEqual(result.returncode, 2, message)
        for fragment in expected:
            self.assertIn(fragment.replace("FILE", path), message)

    def test_the_example_config_passes_and_prints_the_effective_config(self):
        result = harness.run("check", "-c", EXAMPLE)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertIn(b"[[inputs]]", result.stdout)
        self.assertIn(b"memory_limit = \"64MiB\"", result.stdout)

    def test_the_valid_base_config_passes(self):
        self.assertEqual(self.check(VALID)[1].returncode, 0)

    def memory_limit_line(self, text):
        result = self.check(text)[1]
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        lines = [line for line in result.stdout.decode().splitlines()
                 if line.startswith("memory_limit = ")]
        self.assertEqual(len(lines), 1, result.stdout.decode())
        return lines[0]

    def test_a_configured_memory_limit_is_printed_with_origin_config(self):
        self.assertEqual(self.memory_limit_line(VALID), 'memory_limit = "32MiB"  # from config')

    def test_an_unset_memory_limit_is_printed_with_the_cgroup_or_default_origin(self):
        # Which of the two depends on the cgroup this test runs in; either names its source.
        line = self.memory_limit_line(VALID.replace('memory_limit = "32MiB"\n', ""))
        self.assertRegex(line, r'^memory_limit = "[0-9]+(GiB|MiB|KiB|B)"  # from '
                               r'(default \(no cgroup memory limit\)|half of cgroup '
                               r'(memory\.max|memory\.limit_in_bytes) \(/sys/fs/cgroup/\S+\))$')

    def test_unknown_key_is_named_with_line_and_a_suggestion(self):
        self.assert_rejected(VALID.replace("memory_limit", "memory_limt"),
                             "FILE:2:1: key 'agent.memory_limt': unknown key",
                             "did you mean 'memory_limit'")

    def test_wrong_type_is_named_with_line_and_key(self):
        self.assert_rejected(VALID.replace('paths = ["/tmp/*.log"]', 'paths = "/tmp/*.log"'),
                             "FILE:6:9: key 'inputs[0].paths': expected an array of strings")

    def test_bad_size_is_named_with_line_and_key(self):
        self.assert_rejected(VALID.replace('"32MiB"', '"32 megs"'),
                             "FILE:2:16: key 'agent.memory_limit': expected a size")

    def test_bad_duration_is_named_with_line_and_key(self):
        self.assert_rejected(VALID + '\n[[inputs]]\nname = "b"\npaths = ["/x"]\n'
                             'flush_partial_after = "5 seconds"\n',
                             "FILE:15:23: key 'inputs[1].flush_partial_after': expected a duration")

    def test_toml_syntax_error_is_named_with_line(self):
        self.assert_rejected(VALID.replace('name = "out"', 'name = "out'), "FILE:9:")

    def assert_check_and_run_reject(self, text, *expected):
        """`check` exits 2 with each fragment, and `run` with the same message."""
        path, checked = self.check(text)
        message = checked.stderr.decode()
        self.assertEqual(checked.returncode, 2, message)
        for fragment in expected:
            self.assertIn(fragment.replace("FILE", path), message)
        ran = harness.run("run", "-c", path, timeout=30)
        self.assertEqual(ran.returncode, 2, ran.stderr.decode())
        self.assertEqual(ran.stderr.decode(), message)

    def runnable(self, output='type = "null"\n'):
        """A config `run` would start, its output's keys after its name."""
        return (f'[agent]\ndata_dir = "{self.dir}/data"\nmetrics_listen = ""\n\n'
                f'[[inputs]]\nname = "app"\npaths = ["{self.dir}/*.log"]\n\n'
                f'[[outputs]]\nname = "out"\n{output}')

    def test_a_listen_port_out_of_range_or_missing_is_rejected_by_check_and_run(self):
        for listen in ("127.0.0.1:99999", "localhost"):
            with self.subTest(listen=listen):
                self.assert_check_and_run_reject(
                    self.runnable().replace('metrics_listen = ""',
                                            f'metrics_listen = "{listen}"'),
                    f"FILE:3:18: key 'agent.metrics_listen': '{listen}': expected HOST:PORT")

    def loki(self, extra):
        return ('type = "loki"\nurl = "http://127.0.0.1:1/loki/api/v1/push"\n' + extra)

    def test_a_missing_bearer_token_file_or_ca_file_is_rejected_by_check_and_run(self):
        for key in ("bearer_token_file", "ca_file"):
            with self.subTest(key=key):
                missing = self.path("absent")
                self.assert_check_and_run_reject(
                    self.runnable(output=self.loki(f'{key} = "{missing}"\n')),
                    f"FILE:13:{len(key) + 4}: key 'outputs[0].{key}': open {missing}: "
                    "No such file or directory")

    def test_a_regex_that_does_not_compile_is_rejected_with_its_position(self):
        self.assert_check_and_run_reject(
            self.runnable().replace('paths = [', "multiline = { start_pattern = '(' }\npaths = ["),
            "FILE:7:31: key 'inputs[0].multiline.start_pattern': regex '(' at offset 1")

    def test_a_data_dir_that_cannot_be_created_is_rejected_by_check_and_run(self):
        self.write("file", b"x")
        data_dir = self.path("file/data")
        self.assert_check_and_run_reject(
            self.runnable().replace(f'"{self.dir}/data"', f'"{data_dir}"'),
            f"FILE:2:12: key 'agent.data_dir': {data_dir}: cannot create: Not a directory")

    def test_a_missing_file_is_a_config_error(self):
        result = harness.run("check", "-c", self.path("absent.toml"))
        self.assertEqual(result.returncode, 2)


if __name__ == "__main__":
    harness.main()
