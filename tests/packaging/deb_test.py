#!/usr/bin/env python3
"""`cpack -G DEB` builds the package from a static release build, and the package:
- passes lintian with no error and no warning;
- holds the stripped static binary (its debug info in the dbgsym tarball, found by build
  id and debuglink), the unit, logship(1), the bash completion, copyright and changelog;
- declares no dependencies, and its conffiles are the minimal config (which passes
  `logship check`) and /etc/default/logship;
- installs, upgrades (keeping a config the operator edited) and purges (conffiles gone)
  with dpkg, into a root of its own, as on a machine where systemd is not running.

Usage: deb_test.py BUILD_DIR
"""
import glob
import gzip
import os
import re
import signal
import subprocess
import sys
import tarfile
import tempfile
import zlib

EXPECTED = {
    "./usr/bin/logship",
    "./lib/systemd/system/logship.service",
    "./etc/logship/logship.toml",
    "./etc/default/logship",
    "./usr/share/man/man1/logship.1.gz",
    "./usr/share/bash-completion/completions/logship",
    "./usr/share/doc/logship/copyright",
    "./usr/share/doc/logship/changelog.Debian.gz",
    "./usr/share/doc/logship/config.example.toml",
}
CONFFILES = ["/etc/logship/logship.toml", "/etc/default/logship"]


def run(*args, **kwargs):
    # A session of its own, so a timeout takes cpack's build children down with it.
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          stdin=subprocess.DEVNULL, start_new_session=True, **kwargs) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    result = subprocess.CompletedProcess(args, proc.returncode, stdout, stderr)
    assert result.returncode == 0, f"{' '.join(args)}: rc={result.returncode}\n" \
        f"{result.stdout}{result.stderr}"
    return result.stdout


def build_deb(build_dir, out, version=None):
    extra = ["-D", f"CPACK_PACKAGE_VERSION={version}"] if version else []
    run("cpack", "-G", "DEB", "-B", out, *extra, cwd=build_dir)
    (deb,) = glob.glob(os.path.join(out, "logship_*.deb"))
    return deb


def build_id(path):
    (found,) = re.findall(r"Build ID: ([0-9a-f]+)", run("readelf", "-n", path))
    return found


def check_lintian(deb):
    result = subprocess.run(["lintian", "--fail-on", "error,warning", deb],
                            capture_output=True, text=True, timeout=240)
    tags = [l for l in result.stdout.splitlines() if re.match(r"[EW]: ", l)]
    assert result.returncode == 0 and not tags, \
        f"lintian rc={result.returncode}:\n{result.stdout}{result.stderr}"


def check_control(deb, out):
    fields = run("dpkg-deb", "-f", deb)
    assert "Depends:" not in fields, f"a static binary depends on nothing:\n{fields}"
    assert "Package: logship" in fields, fields
    long_lines = [l for l in fields.splitlines() if len(l) > 80 and l.startswith(" ")]
    assert not long_lines, f"description lines over 80 columns: {long_lines}"
    control = os.path.join(out, "control")
    run("dpkg-deb", "-e", deb, control)
    with open(os.path.join(control, "conffiles")) as f:
        assert f.read().split() == CONFFILES
    return control


def check_binary(root, build_dir, version):
    """Stripped and static; its debug info, in the dbgsym tarball, is found by build id."""
    binary = os.path.join(root, "usr/bin/logship")
    description = run("file", "-L", binary)
    assert "statically linked" in description, f"not static: {description}"
    assert ", stripped" in description, f"not stripped: {description}"
    ident = build_id(binary)
    assert f"\nbuild-id {ident}\n" in run(binary, "version"), "version names another build id"
    unstripped = os.path.join(build_dir, "agent/logship")
    assert build_id(unstripped) == ident, "the packaged binary is not the one built"
    (tarball,) = glob.glob(os.path.join(build_dir, f"logship-dbgsym_{version}_*.tar.gz"))
    member = f"usr/lib/debug/.build-id/{ident[:2]}/{ident[2:]}.debug"
    with tarfile.open(tarball) as tar:
        assert tar.getnames()[-1] == member, tar.getnames()
        debug = tar.extractfile(member).read()
    link = os.path.join(root, "debuglink")
    run("objcopy", "--dump-section", f".gnu_debuglink={link}", binary, os.devnull)
    with open(link, "rb") as f:
        raw = f.read()
    name = raw.split(b"\0")[0]
    crc = int.from_bytes(raw[-4:], "little")
    assert name == b"logship.debug", name
    assert crc == zlib.crc32(debug), "the debuglink's CRC is not the dbgsym file's"
    return binary


def check_docs(root, binary, version):
    man = gzip.decompress(read(root, "usr/share/man/man1/logship.1.gz")).decode()
    assert man.startswith(".\\\"") and ".TH LOGSHIP \"1\"" in man, man[:200]
    for text in ('.SS "logship tail"', "\\-\\-from\\-head", "/etc/default/logship"):
        assert text in man, f"{text} not in logship(1)"
    changelog_gz = read(root, "usr/share/doc/logship/changelog.Debian.gz")
    assert changelog_gz[3] & 0x08 == 0 and changelog_gz[4:8] == b"\0\0\0\0", \
        "changelog.Debian.gz carries a name or time stamp (gzip -n)"
    changelog = gzip.decompress(changelog_gz).decode()
    assert changelog.startswith(f"logship ({version}) "), changelog.splitlines()[0]
    copyright = read(root, "usr/share/doc/logship/copyright").decode()
    assert copyright.startswith("Format: https://www.debian.org/doc/packaging-manuals/"
                                "copyright-format/1.0/"), copyright[:100]
    completion = os.path.join(root, "usr/share/bash-completion/completions/logship")
    for words, want in ((["logship", "ta"], "tail"), (["logship", "tail", "--pa"], "--parser"),
                        (["logship", "tail", "--parser", "cr"], "cri"),
                        (["logship", "offsets", "re"], "reset")):
        script = (f'source {completion}; COMP_WORDS=({" ".join(words)}); '
                  f'COMP_CWORD={len(words) - 1}; _logship; echo "${{COMPREPLY[*]}}"')
        assert run("bash", "-c", script).split() == [want], (words, want)


def check_config(root, binary, tmp):
    """The conffiles: a minimal config that passes check, a commented environment file."""
    config = os.path.join(root, "etc/logship/logship.toml")
    text = read(root, "etc/logship/logship.toml").decode()
    assert text.count("[[inputs]]") == 1 and text.count("\n[[outputs]]") == 1, text
    assert 'paths = ["/var/log/*.log"]' in text, text
    data_dir = os.path.join(tmp, "data")
    printed = run(binary, "check", "-c", config, env={"LOGSHIP_DATA_DIR": data_dir})
    assert 'type = "stdout"' in printed, printed
    default = os.path.join(root, "etc/default/logship")
    assert os.stat(default).st_mode & 0o777 == 0o600, "/etc/default/logship holds secrets"
    lines = read(root, "etc/default/logship").decode().splitlines()
    assert lines and all(l.startswith("#") for l in lines), "ships commented, sets nothing"
    example = read(root, "usr/share/doc/logship/config.example.toml").decode()
    assert example.count("[[outputs]]") > 1, "the full example belongs in the docs"


def read(root, path):
    with open(os.path.join(root, path), "rb") as f:
        return f.read()


def check_scripts_without_systemd(control):
    """CI runs as root in a container where systemd is not running: the scripts say 0."""
    if os.path.isdir("/run/systemd/system"):
        print("note: systemd runs here; the scripts' no-systemd path is not run directly")
        return
    env = {k: v for k, v in os.environ.items() if k != "DPKG_ROOT"}
    for script, args in (("postinst", ["configure", ""]), ("postinst", ["configure", "0.0.1"]),
                         ("prerm", ["remove"]), ("postrm", ["purge"])):
        run("sh", os.path.join(control, script), *args, env=env)


class Dpkg:
    """dpkg on a root and database of its own (the host's stay untouched). Its scripts run
    outside a chroot with DPKG_ROOT set, as for any dpkg --root install."""

    def __init__(self, root):
        self.root = root
        admin = os.path.join(root, "var/lib/dpkg")
        for sub in ("info", "updates", "triggers"):
            os.makedirs(os.path.join(admin, sub), exist_ok=True)
        for name in ("status", "available"):
            open(os.path.join(admin, name), "a").close()

    def __call__(self, *args):
        return run("dpkg", f"--root={self.root}", "--force-script-chrootless", *args)

    def status(self):
        query = subprocess.run(["dpkg-query", f"--root={self.root}", "-W",
                                "-f=${Status} ${Version}", "logship"],
                               capture_output=True, text=True, timeout=60)
        return query.stdout.strip() if query.returncode == 0 else "unknown"

    def path(self, path):
        return os.path.join(self.root, path.lstrip("/"))


def check_install_upgrade_purge(deb1, version1, deb2, version2, tmp):
    dpkg = Dpkg(os.path.join(tmp, "target"))
    dpkg("--install", deb1)
    assert dpkg.status() == f"install ok installed {version1}", dpkg.status()
    for path in EXPECTED:
        assert os.path.exists(dpkg.path(path[1:])), f"{path} not installed"
    config = dpkg.path("/etc/logship/logship.toml")
    with open(config, "a") as f:
        f.write("# edited by the operator\n")
    with open(config, "rb") as f:
        edited = f.read()
    dpkg("--install", deb2)
    assert dpkg.status() == f"install ok installed {version2}", dpkg.status()
    with open(config, "rb") as f:
        assert f.read() == edited, "the upgrade replaced the operator's config"
    leftovers = glob.glob(dpkg.path("/etc/logship/*.dpkg-*"))
    assert not leftovers, f"an unchanged conffile needs no .dpkg-* copy: {leftovers}"
    dpkg("--purge", "logship")
    assert dpkg.status() == "unknown" or dpkg.status().startswith("unknown ok not-installed"), \
        dpkg.status()
    for path in CONFFILES + ["/usr/bin/logship"]:
        assert not os.path.exists(dpkg.path(path)), f"{path} left after purge"


def main():
    build_dir = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        deb = build_deb(build_dir, os.path.join(tmp, "v1"))
        version = run("dpkg-deb", "-f", deb, "Version").strip()
        check_lintian(deb)
        control = check_control(deb, tmp)
        listing = run("dpkg-deb", "-c", deb)
        paths = {line.split()[-1] for line in listing.splitlines()}
        assert EXPECTED <= paths, f"missing {EXPECTED - paths} in\n{listing}"
        root = os.path.join(tmp, "root")
        run("dpkg-deb", "-x", deb, root)
        binary = check_binary(root, build_dir, version)
        check_docs(root, binary, version)
        check_config(root, binary, tmp)
        check_scripts_without_systemd(control)
        # The same package an upstream version later (0.1.0+1-1): what an upgrade installs.
        upstream = version.rsplit("-", 1)[0]
        deb2 = build_deb(build_dir, os.path.join(tmp, "v2"), f"{upstream}+1")
        version2 = run("dpkg-deb", "-f", deb2, "Version").strip()
        check_install_upgrade_purge(deb, version, deb2, version2, tmp)
    print(f"ok: {os.path.basename(deb)} lintian-clean; contents, conffiles, dbgsym; "
          f"install, upgrade to {version2}, purge")


if __name__ == "__main__":
    main()
