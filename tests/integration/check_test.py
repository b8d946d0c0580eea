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

    def test_a_missing_file_is_a_config_error(self):
        result = harness.run("check", "-c", self.path("absent.toml"))
        self.assertEqual(result.returncode, 2)


if __name__ == "__main__":
    harness.main()
