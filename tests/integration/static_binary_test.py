"""The release logship binary is fully static: `file` and `ldd` agree."""

import subprocess
import unittest

import harness


class StaticBinary(unittest.TestCase):
    def test_file_says_statically_linked(self):
        out = subprocess.run(["file", "-L", harness.LOGSHIP], capture_output=True, text=True)
        self.assertIn("statically linked", out.stdout)

    def test_ldd_says_not_a_dynamic_executable(self):
        out = subprocess.run(["ldd", harness.LOGSHIP], capture_output=True, text=True)
        self.assertIn("not a dynamic executable", out.stdout + out.stderr)

    def test_it_runs_and_carries_its_libraries(self):
        out = harness.run("version")
        self.assertEqual(out.returncode, 0)
        for library in (b"librdkafka", b"zstd", b"OpenSSL"):
            self.assertIn(library, out.stdout)


if __name__ == "__main__":
    harness.main()
