#!/usr/bin/env python3
"""The container image builds from what prepare-context.sh lays out, without a registry,
and what it holds works. No container engine runs here, so the test does what the build
would (each COPY of the context into a root directory) and runs the binary in that root
with chroot: `version`, `check` of the baked config, and a short `tail` of pod logs.

Usage: image_test.py REPO_ROOT BUILD_DIR
"""
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile

SKIPPED = 77  # ctest SKIP_RETURN_CODE
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
POD_LOG = "var/log/pods/default_web-1_0a1b/web/0.log"


def instructions(text):
    """Joins continuation lines, drops comments; yields (INSTRUCTION, args)."""
    joined = text.replace("\\\n", " ")
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            yield word.upper(), rest.split()


def run(*args, env=None):
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0, f"{' '.join(args)}: rc={result.returncode}\n" \
        f"{result.stdout}{result.stderr}"
    return result.stdout


def check_recipe(steps, context):
    """One stage, FROM scratch, nothing fetched or run; returns {dest: context source}."""
    words = [word for word, _ in steps]
    assert words.count("FROM") == 1 and steps[0] == ("FROM", ["scratch"]), steps[0]
    assert "RUN" not in words and "ADD" not in words, "the build must fetch and run nothing"
    copied = {}
    for word, args in steps:
        if word == "COPY":
            assert not any(a.startswith("--from=") for a in args), args
            source, dest = args[-2], args[-1]
            assert os.path.isfile(os.path.join(context, source)), f"{source} not in context"
            copied[dest] = source
    assert {"/usr/bin/logship", "/etc/nsswitch.conf", CA_BUNDLE,
            "/etc/logship/logship.toml"} <= set(copied), copied
    env = [a for w, a in steps if w == "ENV"]
    assert [f"SSL_CERT_FILE={CA_BUNDLE}"] in env, f"SSL_CERT_FILE must name the bundle: {env}"
    assert dict(steps)["ENTRYPOINT"] == ['["/usr/bin/logship"]'], dict(steps)["ENTRYPOINT"]
    assert ["9598"] in [a for w, a in steps if w == "EXPOSE"]
    return copied


def check_files(context, copied):
    binary = os.path.join(context, copied["/usr/bin/logship"])
    description = run("file", "-L", binary)
    assert "statically linked" in description and ", stripped" in description, description
    assert filecmp.cmp(os.path.join(context, copied[CA_BUNDLE]), CA_BUNDLE, shallow=False), \
        "the CA bundle is not the build machine's"
    with open(os.path.join(context, copied["/etc/nsswitch.conf"])) as f:
        hosts = [l.split() for l in f if l.startswith("hosts:")]
    assert hosts == [["hosts:", "files", "dns"]], hosts


def image_root(context, copied, steps, root):
    """The image's filesystem: each COPY, then the VOLUME directories the engine makes."""
    for dest, source in copied.items():
        target = os.path.join(root, dest.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(context, source), target)
    for word, args in steps:
        if word == "VOLUME":
            for volume in args:
                os.makedirs(os.path.join(root, volume.strip('[]",').lstrip("/")))


def check_in_chroot(root):
    # Only the image's own environment, and what `podman run -e` would add.
    env = {"SSL_CERT_FILE": CA_BUNDLE, "LOKI_URL": "http://127.0.0.1:3100"}
    chroot = shutil.which("chroot")
    assert chroot, "chroot not found (coreutils)"
    version = run(chroot, root, "/usr/bin/logship", "version", env=env)
    assert version.startswith("logship ") and "\nbuild-id " in version, version
    printed = run(chroot, root, "/usr/bin/logship", "check", "-c",
                  "/etc/logship/logship.toml", env=env)
    for text in ('metrics_listen = "0.0.0.0:9598"', 'parser = "cri"',
                 'url = "http://127.0.0.1:3100', 'type = "loki"'):
        assert text in printed, f"{text} not in the checked config:\n{printed}"
    lines = [f"2026-12-07T12:00:0{i}.000000000Z stdout F line {i}" for i in range(3)]
    os.makedirs(os.path.dirname(os.path.join(root, POD_LOG)))
    with open(os.path.join(root, POD_LOG), "w") as f:
        f.write("".join(line + "\n" for line in lines))
    shipped = run(chroot, root, "/usr/bin/logship", "tail", "--from-head", "--parser",
                  "cri", "--progress", "never", "/" + POD_LOG, env=env)
    assert shipped.splitlines() == [f"line {i}" for i in range(3)], shipped


def main():
    repo_root, build_dir = sys.argv[1], sys.argv[2]
    if os.geteuid() != 0:
        print("SKIP: chroot needs root")
        sys.exit(SKIPPED)
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(repo_root, "packaging/image/prepare-context.sh")
        context = run("bash", script, build_dir, os.path.join(tmp, "context")).strip()
        recipe = os.path.join(repo_root, "packaging/image/Containerfile")
        assert filecmp.cmp(os.path.join(context, "Containerfile"), recipe, shallow=False)
        with open(recipe) as f:
            steps = list(instructions(f.read()))
        copied = check_recipe(steps, context)
        check_files(context, copied)
        root = os.path.join(tmp, "root")
        image_root(context, copied, steps, root)
        check_in_chroot(root)
    print("ok: context prepared; scratch recipe; version, check and tail in the image root")


if __name__ == "__main__":
    main()
