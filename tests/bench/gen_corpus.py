#!/usr/bin/env python3
"""Deterministic benchmark corpora: `gen_corpus.py KIND SIZE_MIB OUT`.

KIND is json (~250-byte application log lines), nginx (combined access log) or cri
(container runtime lines, with some P partials). The same arguments always give the same
bytes, so runs are comparable."""

import random
import sys

LEVELS = ["debug", "info", "info", "info", "warn", "error"]
PATHS = ["/api/v1/orders", "/api/v1/users/42", "/healthz", "/static/app.js", "/login"]
WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()


def json_line(rng, i):
    message = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 12)))
    return ('{"ts":"2026-11-23T10:%02d:%02d.%06dZ","level":"%s","service":"checkout",'
            '"trace_id":"%032x","span_id":"%016x","user_id":%d,"latency_ms":%d,'
            '"msg":"%s","seq":%d}\n' % (i // 60 % 60, i % 60, i % 1000000, rng.choice(LEVELS),
                                         rng.getrandbits(128), rng.getrandbits(64),
                                         rng.randint(1, 10**6), rng.randint(1, 5000),
                                         message, i))


def nginx_line(rng, i):
    return ('10.%d.%d.%d - - [23/Nov/2026:10:%02d:%02d +0000] "GET %s HTTP/1.1" %d %d '
            '"-" "Mozilla/5.0 (X11; Linux x86_64) bench/%d"\n' % (
                rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254), i // 60 % 60,
                i % 60, rng.choice(PATHS), rng.choice([200, 200, 200, 304, 404, 500]),
                rng.randint(100, 50000), i))


def cri_line(rng, i):
    message = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20)))
    tag = "P" if i % 50 == 49 else "F"
    return "2026-11-23T10:%02d:%02d.%09dZ stdout %s %s seq=%d\n" % (
        i // 60 % 60, i % 60, i % 10**9, tag, message, i)


def main():
    kind, size_mib, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    make = {"json": json_line, "nginx": nginx_line, "cri": cri_line}[kind]
    rng = random.Random(20261123)
    target = size_mib << 20
    written = 0
    i = 0
    with open(out, "w", buffering=1 << 20) as f:
        while written < target:
            chunk = "".join(make(rng, i + k) for k in range(10000))
            i += 10000
            f.write(chunk)
            written += len(chunk)


if __name__ == "__main__":
    main()
