"""The memory promise: with the output stalled, the agent holds at most its memory_limit
(plus a fixed overhead the README states) while the file grows, and after the output
resumes every line arrives, in order; all of it under an address-space limit (prlimit --as)
at the README's figure."""

import hashlib
import os
import signal
import subprocess

import harness

MIB = 1 << 20
MEMORY_LIMIT_MIB = 32
RSS_OVERHEAD_MIB = 16      # README: peak RSS <= memory_limit + 16 MiB
ADDRESS_OVERHEAD_MIB = 64  # README: address space <= memory_limit + 64 MiB
SANITIZED = harness.SANITIZED  # sanitizer shadow memory makes RSS meaningless

READER = """
import hashlib, sys
expected = int(sys.argv[1])
digest, seen = hashlib.sha256(), 0
while seen < expected:
    chunk = sys.stdin.buffer.read1(1 << 20)
    if not chunk:
        break
    digest.update(chunk)
    seen += len(chunk)
print(seen, digest.hexdigest(), flush=True)
"""


def append_lines(path, total_bytes):
    """Appends numbered ~256-byte lines until the file holds total_bytes; returns sha256."""
    pad = b"x" * 240
    digest = hashlib.sha256()
    written, seq = 0, 0
    with open(path, "ab") as f:
        while written < total_bytes:
            block = b"".join(b"%010d %s\n" % (seq + i, pad) for i in range(4096))
            seq += 4096
            f.write(block)
            digest.update(block)
            written += len(block)
    return written, digest.hexdigest()


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc status")


class StalledOutput(harness.TempDirTest):
    def ship_through_stalled_pipe(self, total_bytes, prefix=()):
        log = self.write("app.log", b"")
        pipe_out, pipe_in = os.pipe()
        reader = subprocess.Popen(["python3", "-c", READER, str(total_bytes_rounded(total_bytes))],
                                  stdin=pipe_out, stdout=subprocess.PIPE)
        agent = subprocess.Popen(
            [*prefix, harness.LOGSHIP, "tail", "-f", "--from-head", "--memory-limit",
             f"{MEMORY_LIMIT_MIB}MiB", "--output", "stdout", log],
            stdout=pipe_in, stderr=subprocess.PIPE)
        os.close(pipe_out)
        os.close(pipe_in)
        try:
            os.kill(reader.pid, signal.SIGSTOP)
            written, expected_digest = append_lines(log, total_bytes)
            self.assertEqual(written, total_bytes_rounded(total_bytes))
            peak = peak_rss_mib(agent.pid)
            os.kill(reader.pid, signal.SIGCONT)
            out, _ = reader.communicate(timeout=240)
            seen, digest = out.decode().split()
            self.assertEqual(int(seen), written, "not every byte arrived")
            self.assertEqual(digest, expected_digest, "lines arrived altered or out of order")
            peak = max(peak, peak_rss_mib(agent.pid))
            agent.send_signal(signal.SIGTERM)
            self.assertEqual(agent.wait(timeout=20), 0, agent.stderr.read().decode())
        finally:
            for process in (agent, reader):
                if process.poll() is None:
                    os.kill(process.pid, signal.SIGCONT)
                    process.kill()
                    process.wait()
            agent.stderr.close()
        return peak

    def test_peak_rss_stays_within_the_limit_while_the_reader_is_stopped(self):
        """1 GiB appended while the reader is stopped, and the agent under `prlimit --as` at
        the README's address-space figure: the run completes (no allocation failure, no
        crash), the peak RSS stays within the README's figure, and every line arrives."""
        if SANITIZED:  # ASan reserves terabytes of address space and inflates RSS
            self.ship_through_stalled_pipe(128 * MIB)
            return
        total = 1024 * MIB
        address_limit = (MEMORY_LIMIT_MIB + ADDRESS_OVERHEAD_MIB) * MIB
        peak = self.ship_through_stalled_pipe(total,
                                              prefix=("prlimit", f"--as={address_limit}"))
        print(f"peak RSS {peak:.1f} MiB with memory_limit {MEMORY_LIMIT_MIB} MiB and an "
              f"address-space limit of {address_limit >> 20} MiB, {total >> 20} MiB appended "
              f"while stalled")
        self.assertLess(peak, MEMORY_LIMIT_MIB + RSS_OVERHEAD_MIB,
                        f"peak RSS {peak:.1f} MiB over {MEMORY_LIMIT_MIB}+{RSS_OVERHEAD_MIB}")


def total_bytes_rounded(total_bytes):
    """append_lines writes whole blocks of 4096 lines of 252 bytes."""
    block = 4096 * 252
    return -(-total_bytes // block) * block


if __name__ == "__main__":
    harness.main()
