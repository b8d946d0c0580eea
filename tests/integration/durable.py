"""Support for the durable-tailing tests: numbered fixed-width lines, the agent as a process
that can be killed and restarted, and a reader of the v1 checkpoints file (the format of
inputs/file/checkpoint_store.cc), with the xxh64 the file identities use."""

import os
import signal
import struct
import subprocess
import time

import harness

WIDTH = 8  # every test line is "%07d\n": line n of a file starts at byte 8 * n


def line(number):
    return b"%07d\n" % number


def lines(first, count):
    return b"".join(line(n) for n in range(first, first + count))


def scaled(release_count, sanitized_count):
    return sanitized_count if harness.SANITIZED else release_count


# --- xxh64 (seed 0), as used by file_identity.cc --------------------------------------

_P1, _P2, _P3 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9
_P4, _P5 = 0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5
_M = (1 << 64) - 1


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & _M


def _round(acc, value):
    return (_rotl((acc + value * _P2) & _M, 31) * _P1) & _M


def xxh64(data, seed=0):
    n, p = len(data), 0
    if n >= 32:
        v = [(seed + _P1 + _P2) & _M, (seed + _P2) & _M, seed, (seed - _P1) & _M]
        while p + 32 <= n:
            for i in range(4):
                v[i] = _round(v[i], struct.unpack_from("<Q", data, p + 8 * i)[0])
            p += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & _M
        for value in v:
            h = ((h ^ _round(0, value)) * _P1 + _P4) & _M
    else:
        h = (seed + _P5) & _M
    h = (h + n) & _M
    while p + 8 <= n:
        h ^= _round(0, struct.unpack_from("<Q", data, p)[0])
        h = (_rotl(h, 27) * _P1 + _P4) & _M
        p += 8
    if p + 4 <= n:
        h ^= (struct.unpack_from("<I", data, p)[0] * _P1) & _M
        h = (_rotl(h, 23) * _P2 + _P3) & _M
        p += 4
    while p < n:
        h ^= (data[p] * _P5) & _M
        h = (_rotl(h, 11) * _P1) & _M
        p += 1
    h ^= h >> 33
    h = (h * _P2) & _M
    h ^= h >> 29
    h = (h * _P3) & _M
    return h ^ (h >> 32)


assert xxh64(b"") == 0xEF46DB3751D8E999, "xxh64 self-check"


# --- checkpoints -----------------------------------------------------------------------

def read_checkpoints(data_dir):
    """The entries of <data_dir>/checkpoints as dicts; [] if absent. Fails on a torn file."""
    path = os.path.join(data_dir, "checkpoints")
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        text = f.read()
    assert text.startswith(b"# logship checkpoints v1\n"), f"bad header in {path}: {text[:80]!r}"
    body, trailer = text[:text.rindex(b"\n", 0, len(text) - 1) + 1], text.splitlines()[-1]
    end, count, digest = trailer.split(b"\t")
    assert end == b"end" and int(digest, 16) == xxh64(body), f"{path}: bad trailer or checksum"
    entries = []
    for row in body.splitlines()[1:]:
        f = row.split(b"\t")
        entries.append({"scope": f[1].decode(), "inode": int(f[3]), "head_length": int(f[4]),
                        "head_hash": int(f[5], 16), "offset": int(f[6]), "path": f[10].decode()})
    assert len(entries) == int(count)
    return entries


# --- the agent as a killable process ---------------------------------------------------

class Agent:
    """One logship process at a time, its stdout appended to `out_path` across restarts."""

    def __init__(self, args, out_path, stderr_path, stdout=None, preexec_fn=None,
                 binary=None):
        self.args, self.out_path, self.stderr_path = list(args), out_path, stderr_path
        self.stdout, self.preexec_fn = stdout, preexec_fn
        self.binary = binary or harness.LOGSHIP
        self.process = None

    def start(self):
        assert self.process is None or self.process.poll() is not None
        with open(self.stderr_path, "ab") as err:
            if self.stdout is not None:
                self.process = subprocess.Popen([self.binary, *self.args], stdout=self.stdout,
                                                stderr=err, preexec_fn=self.preexec_fn)
            else:
                with open(self.out_path, "ab") as out:
                    self.process = subprocess.Popen([self.binary, *self.args], stdout=out,
                                                    stderr=err, preexec_fn=self.preexec_fn)
        return self.process

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout=20):
        """SIGTERM; returns the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def ensure_dead(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stderr_text(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")[-4000:]


def run_config(path, data_dir, inputs, checkpoint_interval="1s", output_format="raw"):
    """Writes a `logship run` config: one stdout output fed by `inputs` (TOML bodies)."""
    text = (f'[agent]\ndata_dir = "{data_dir}"\ncheckpoint_interval = "{checkpoint_interval}"\n'
            f'metrics_listen = ""\n\n')
    for body in inputs:
        text += f"[[inputs]]\ntype = \"file\"\n{body}\n\n"
    text += f'[[outputs]]\nname = "out"\ntype = "stdout"\nformat = "{output_format}"\n'
    with open(path, "w") as f:
        f.write(text)
    return path


def wait_for_size(path, size, timeout, what):
    harness.wait_until(lambda: os.path.exists(path) and os.path.getsize(path) >= size, timeout,
                       what)


def monotonic_deadline(seconds):
    return time.monotonic() + seconds
