#!/usr/bin/env python3
"""`logship version` prints the build id that the linker wrote into the binary's
.note.gnu.build-id, read from the running binary itself.

Usage: build_id_test.py LOGSHIP_BINARY
"""
import re
import subprocess
import sys


def elf_build_id(binary):
    notes = subprocess.run(["readelf", "-n", binary], capture_output=True, text=True,
                           check=True, timeout=60).stdout
    found = re.findall(r"Build ID: ([0-9a-f]+)", notes)
    assert len(found) == 1, f"want one build id note in {binary}:\n{notes}"
    return found[0]


def printed_build_id(binary):
    out = subprocess.run([binary, "version"], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    found = re.findall(r"^build-id (\S+)$", out, re.MULTILINE)
    assert len(found) == 1, f"want one build-id line in `logship version`:\n{out}"
    return found[0]


def main():
    binary = sys.argv[1]
    want = elf_build_id(binary)
    assert len(want) == 40, f"a sha1 build id has 40 hex digits: {want}"
    got = printed_build_id(binary)
    assert got == want, f"logship version says build-id {got}, the ELF note {want}"
    print(f"ok: build-id {got}")


if __name__ == "__main__":
    main()
