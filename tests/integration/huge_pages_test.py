"""Where the host gives transparent huge pages on request (`madvise` mode), logship runs its
heap on them: it starts itself again, once, with GLIBC_TUNABLES=glibc.malloc.hugetlb=1, keeping
its pid and its name. An operator's own glibc.malloc.hugetlb setting is left alone."""

import os
import subprocess
import unittest

import harness

THP_MODE = "/sys/kernel/mm/transparent_hugepage/enabled"


def thp_mode():
    try:
        with open(THP_MODE) as f:
            return f.read().split("[", 1)[1].split("]", 1)[0]
    except (OSError, IndexError):
        return "unavailable"


def huge_page_advised_mappings(pid):
    """How many of the process's mappings carry MADV_HUGEPAGE (`hg` in smaps' VmFlags)."""
    with open(f"/proc/{pid}/smaps") as f:
        return sum(1 for line in f if line.startswith("VmFlags:") and " hg" in line)


def environment(pid):
    with open(f"/proc/{pid}/environ", "rb") as f:
        entries = f.read().split(b"\0")
    return dict(e.decode().split("=", 1) for e in entries if b"=" in e)


@unittest.skipUnless(thp_mode() == "madvise", f"{THP_MODE} is not in madvise mode")
class HugePageHeap(harness.TempDirTest):
    def follow(self, env):
        """Ships a 9 MB file with `tail -f` (the heap grows past a huge page) and returns the
        still-running agent once every line is out."""
        log = self.write("app.log", b"".join(b"line %06d %s\n" % (i, b"x" * 80)
                                             for i in range(100_000)))
        out_path = self.path("out.txt")
        with open(out_path, "wb") as out:
            agent = subprocess.Popen([harness.LOGSHIP, "tail", "-f", "--from-head", log],
                                     stdout=out, stderr=subprocess.DEVNULL, env=env)
        self.addCleanup(agent.wait)
        self.addCleanup(agent.kill)
        size = os.path.getsize(log)
        harness.wait_until(lambda: os.path.getsize(out_path) >= size, 30, f"{size} bytes out")
        return agent

    def test_the_heap_is_advised_huge_pages_and_the_process_keeps_its_pid_and_name(self):
        env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
        agent = self.follow(env)
        self.assertEqual(environment(agent.pid).get("GLIBC_TUNABLES"), "glibc.malloc.hugetlb=1")
        with open(f"/proc/{agent.pid}/comm") as f:
            self.assertEqual(f.read().strip(), os.path.basename(harness.LOGSHIP)[:15])
        self.assertGreater(huge_page_advised_mappings(agent.pid), 0,
                           "no mapping of the agent is advised huge pages")

    def test_an_operators_setting_is_left_alone(self):
        env = dict(os.environ, GLIBC_TUNABLES="glibc.malloc.hugetlb=0")
        agent = self.follow(env)
        self.assertEqual(environment(agent.pid).get("GLIBC_TUNABLES"), "glibc.malloc.hugetlb=0")
        self.assertEqual(huge_page_advised_mappings(agent.pid), 0)


if __name__ == "__main__":
    harness.main()
