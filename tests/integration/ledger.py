"""The ledger check every test that knows how many lines it wrote ends with.

logship accounts for every line a pipeline reads (DESIGN.md, "The ledger"): delivered,
filtered, rejected (by reason), dropped (by reason) or still in flight. This module reads
that account from `/metrics` (logship_lines_total, logship_lines_read_total,
logship_lines_in_flight) or from `logship tail`'s summary line, and asserts the identity
written == delivered + filtered + rejected + dropped (with nothing in flight) and the
expected count of each outcome. Importable from any test directory: it needs nothing but
the standard library."""

import re
import urllib.request

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(rf'^({NAME})(\{{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\}})? '
                    r'(-?(?:[0-9.]+(?:e[+-]?[0-9]+)?|\+Inf|-Inf|NaN))$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"')


def parse_exposition(text):
    """Strict parse: TYPE before samples of a family, valid names, labels and values.
    Returns {(name, frozenset(labels)): value}."""
    types, samples = {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert name not in types, f"TYPE twice for {name}"
            types[name] = kind
            continue
        match = SAMPLE.match(line)
        assert match, f"not a valid sample line: {line!r}"
        name = match.group(1)
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        assert family in types, f"sample {name} before its TYPE line"
        labels = frozenset(LABEL.findall(match.group(2) or ""))
        assert (name, labels) not in samples, f"duplicate series {line}"
        samples[(name, labels)] = float(match.group(3))
    return samples


def scrape(port):
    """One scrape of /metrics on 127.0.0.1:port, parsed."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        assert response.status == 200, response.status
        return parse_exposition(response.read().decode())


def from_samples(samples, input_name, output_name):
    """The ledger of pipeline input -> output from one parsed scrape: a dict with read,
    delivered, filtered, in_flight (ints) and rejected, dropped ({reason: lines})."""
    ledger = {"read": None, "delivered": 0, "filtered": 0, "rejected": {}, "dropped": {},
              "in_flight": None}
    for (name, labels), value in samples.items():
        labels = dict(labels)
        if labels.get("input") != input_name or labels.get("output") != output_name:
            continue
        if name == "logship_lines_read_total":
            ledger["read"] = int(value)
        elif name == "logship_lines_in_flight":
            ledger["in_flight"] = int(value)
        elif name == "logship_lines_total":
            outcome = labels["outcome"]
            if outcome in ("rejected", "dropped"):
                ledger[outcome][labels["reason"]] = int(value)
            else:
                assert labels["reason"] == "", f"{outcome} lines carry no reason: {labels}"
                ledger[outcome] = int(value)
    assert ledger["read"] is not None, f"no ledger for {input_name} -> {output_name}"
    assert ledger["in_flight"] is not None, f"no in-flight gauge for {input_name} -> {output_name}"
    return ledger


def from_metrics(port, input_name, output_name):
    return from_samples(scrape(port), input_name, output_name)


def has_ledger(port, input_name, output_name):
    """For wait_until: whether the agent serves this pipeline's ledger yet."""
    try:
        from_metrics(port, input_name, output_name)
        return True
    except (OSError, AssertionError):
        return False


def settled_at(port, input_name, output_name, lines):
    """For wait_until: whether the pipeline read `lines` lines and settled them all (False
    while the agent is not listening yet)."""
    try:
        got = from_metrics(port, input_name, output_name)
    except (OSError, AssertionError):
        return False
    return got["read"] == lines and got["in_flight"] == 0


SUMMARY_FIELD = re.compile(rb"\b(lines|delivered|filtered|rejected|dropped|in_flight)=(\d+)")


def from_summary(stderr):
    """The ledger from `logship tail`'s summary line (the last one on stderr). Rejected and
    dropped come as totals, under the reason "*"."""
    lines = [line for line in stderr.splitlines() if line.startswith(b"logship: files=")]
    assert lines, f"no summary line in stderr: {stderr[-2000:]!r}"
    fields = {key.decode(): int(value) for key, value in SUMMARY_FIELD.findall(lines[-1])}
    for key in ("delivered", "filtered", "rejected", "dropped", "in_flight"):
        assert key in fields, f"summary lacks {key}=: {lines[-1]!r}"
    settled = sum(fields[k] for k in ("delivered", "filtered", "rejected", "dropped"))
    return {"read": settled + fields["in_flight"], "delivered": fields["delivered"],
            "filtered": fields["filtered"],
            "rejected": {"*": fields["rejected"]} if fields["rejected"] else {},
            "dropped": {"*": fields["dropped"]} if fields["dropped"] else {},
            "in_flight": fields["in_flight"]}


def check(ledger, written, delivered=None, filtered=0, rejected=None, dropped=None, in_flight=0):
    """Asserts the identity and each outcome. `written`: lines the test wrote (None: only the
    identity). `delivered` defaults to the rest; `rejected`/`dropped`: {reason: lines}
    (default: none), or an int for their total."""
    total = lambda by_reason: sum(by_reason.values())
    settled = (ledger["delivered"] + ledger["filtered"] + total(ledger["rejected"]) +
               total(ledger["dropped"]))
    assert ledger["read"] == settled + ledger["in_flight"], (
        f"ledger does not balance: read {ledger['read']} != settled {settled} + in flight "
        f"{ledger['in_flight']}: {ledger}")
    if in_flight is not None:
        assert ledger["in_flight"] == in_flight, f"in flight {ledger['in_flight']} != {in_flight}"
    if written is None:
        return
    assert ledger["read"] == written, f"read {ledger['read']} != written {written}: {ledger}"
    for outcome, expected in (("rejected", rejected), ("dropped", dropped)):
        expected = expected or {}
        got = ledger[outcome]
        if isinstance(expected, int):
            assert total(got) == expected, f"{outcome} {got} != {expected} lines"
        else:
            got = {reason: lines for reason, lines in got.items() if lines}
            assert got == expected, f"{outcome} {got} != {expected}"
    assert ledger["filtered"] == filtered, f"filtered {ledger['filtered']} != {filtered}"
    if delivered is None:
        delivered = written - filtered - total(ledger["rejected"]) - total(ledger["dropped"])
    assert ledger["delivered"] == delivered, f"delivered {ledger['delivered']} != {delivered}"
