#!/usr/bin/env python3
"""`cpack -G DEB` builds the package from a static release build, and the package holds
the binary, the unit and the config (a conffile that passes `logship check`), declares no
dependencies, and its binary is the static one and runs.

Usage: deb_test.py BUILD_DIR
"""
import glob
import os
import signal
import subprocess
import sys
import tempfile

EXPECTED = {
    "./usr/bin/logship",
    "./lib/systemd/system/logship.service",
    "./etc/logship/logship.toml",
}


def run(*args, **kwargs):
    # A session of its own, so a timeout takes cpack's build children down with it.
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True, **kwargs) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    result = subprocess.CompletedProcess(args, proc.returncode, stdout, stderr)
    assert result.returncode == 0, f"{' '.join(args)}: rc={result.returncode}\n" \
        f"{result.stdout}{result.stderr}"
    return result.stdout


def main():
    build_dir = sys.argv[1]
    with tempfile.TemporaryDirectory() as out:
        run("cpack", "-G", "DEB", "-B", out, cwd=build_dir)
        (deb,) = glob.glob(os.path.join(out, "logship_*.deb"))
        listing = run("dpkg-deb", "-c", deb)
        paths = {line.split()[-1] for line in listing.splitlines()}
        assert EXPECTED <= paths, f"missing {EXPECTED - paths} in\n{listing}"
        fields = run("dpkg-deb", "-f", deb)
        assert "Depends:" not in fields, f"a static binary depends on nothing:\n{fields}"
        assert "Package: logship" in fields, fields
        control = os.path.join(out, "control")
        run("dpkg-deb", "-e", deb, control)
        with open(os.path.join(control, "conffiles")) as f:
            assert f.read().split() == ["/etc/logship/logship.toml"]
        root = os.path.join(out, "root")
        run("dpkg-deb", "-x", deb, root)
        binary = os.path.join(root, "usr/bin/logship")
        assert "statically linked" in run("file", "-L", binary), "the packaged binary is not static"
        assert run(binary, "version").strip(), "logship version printed nothing"
        # The conffile is what the unit starts with: it must pass check as installed.
        config = os.path.join(root, "etc/logship/logship.toml")
        run(binary, "check", "-c", config, env={"LOGSHIP_DATA_DIR": "/var/lib/logship"})
    print(f"ok: {os.path.basename(deb)} lists binary, unit and conffile")


if __name__ == "__main__":
    main()
