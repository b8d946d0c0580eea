#!/usr/bin/env python3
"""The container recipe is FROM scratch with the static binary, every file it copies from
the build context exists (or is the release binary), and nsswitch keeps to the sources a
static glibc has built in. No container engine runs here, so the image is not built.

Usage: image_recipe_test.py REPO_ROOT
"""
import os
import sys

RELEASE_BINARY = "build/release/agent/logship"


def instructions(text):
    """Joins continuation lines, drops comments; yields (INSTRUCTION, args)."""
    joined = text.replace("\\\n", " ")
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            yield word.upper(), rest.split()


def main():
    root = sys.argv[1]
    with open(os.path.join(root, "packaging/image/Containerfile")) as f:
        steps = list(instructions(f.read()))
    froms = [i for i, (word, _) in enumerate(steps) if word == "FROM"]
    final = steps[froms[-1]:]
    assert final[0][1] == ["scratch"], f"final stage must be FROM scratch: {final[0]}"
    copied = {}
    for word, args in final:
        if word == "COPY" and not any(a.startswith("--from=") for a in args):
            source, dest = args[-2], args[-1]
            assert source == RELEASE_BINARY or os.path.exists(os.path.join(root, source)), source
            copied[dest] = source
    assert copied.get("/usr/bin/logship") == RELEASE_BINARY, copied
    assert "/etc/nsswitch.conf" in copied, copied
    certs = [a[-1] for w, a in final if w == "COPY" and a[-1].startswith("/etc/ssl/certs/")]
    assert certs, "no CA certificates copied"
    # OpenSSL's default verify paths are under /usr/lib/ssl, absent from scratch.
    env = [a for w, a in final if w == "ENV"]
    assert ["SSL_CERT_FILE=" + certs[0]] in env, f"SSL_CERT_FILE must name {certs[0]}: {env}"
    with open(os.path.join(root, copied["/etc/nsswitch.conf"])) as f:
        hosts = [l.split() for l in f if l.startswith("hosts:")]
    assert hosts == [["hosts:", "files", "dns"]], hosts
    entry = dict(final)["ENTRYPOINT"]
    assert entry == ['["/usr/bin/logship"]'], entry
    print("ok: scratch image recipe")


if __name__ == "__main__":
    main()
