"""Kubernetes pod logs end to end through `logship run -c` with `preset = "kubernetes"`: a
generated kubelet tree (3 namespaces x 4 pods x 2 containers) of CRI files with `P`
partials, rotated kubelet-style twice while the agent follows it (0.log -> 0.log.<ts>, late
writes to the old descriptor, a new 0.log, the old one gzipped away): every record arrives
exactly once, reassembled, labelled with its namespace, pod, pod_uid and container, and
no .gz file is ever read. Run once through /var/log/pods paths (the preset's glob) and
once through the /var/log/containers symlinks."""

import gzip
import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402
import ledger  # noqa: E402

NAMESPACES = ["default", "shop", "kube-system"]
PODS_PER_NAMESPACE = 4
CONTAINERS = ["app", "sidecar"]
RECORDS_PER_PHASE = 120  # phases: before the first rotation, between, after the second
LATE_RECORDS = 3  # written to the renamed file's old descriptor, as a runtime does
ROTATIONS = ["20240102-150405", "20240102-150406"]
WAIT_S = 60


class Container:
    """One container's log directory and the records written to it, in order."""

    def __init__(self, root, namespace, pod, uid, name, container_id):
        self.namespace, self.pod, self.uid, self.name = namespace, pod, uid, name
        self.dir = os.path.join(root, "pods", f"{namespace}_{pod}_{uid}", name)
        self.link = os.path.join(root, "containers", f"{pod}_{namespace}_{name}-{container_id}.log")
        os.makedirs(self.dir)
        self.log = os.path.join(self.dir, "0.log")
        self.file = open(self.log, "ab", buffering=0)
        os.symlink(self.log, self.link)
        self.written = {}  # record id -> full message
        self.file_lines = 0  # CRI lines written, P pieces included: what the ledger counts
        self.phase = 0

    def labels(self):
        return {"namespace": self.namespace, "pod": self.pod, "pod_uid": self.uid,
                "container": self.name}

    def write_records(self, count, tag):
        for i in range(count):
            data = self.cri_lines(f"{self.namespace}/{self.pod}/{self.name}/{tag}/{i}", i)
            self.file.write(data)
            self.file_lines += data.count(b"\n")

    def cri_lines(self, record_id, i):
        """A record as CRI lines: some whole, some split into P pieces, some on stderr."""
        stream = b"stderr" if i % 3 == 0 else b"stdout"
        if i % 7 == 0:  # a long record, split into 3 pieces like a runtime's 16 KiB buffer
            body = record_id + " " + "x" * 12000 + " end"
        else:
            body = record_id + " short message " + str(i) + " \u00e9"
        self.written[record_id] = body
        data = body.encode()
        pieces = 3 if i % 7 == 0 else (2 if i % 5 == 0 else 1)
        size = -(-len(data) // pieces)
        chunks = [data[k:k + size] for k in range(0, len(data), size)]
        out = b""
        for n, chunk in enumerate(chunks):
            tag = b"F" if n == len(chunks) - 1 else b"P"
            out += b"2024-01-02T15:04:05.%09dZ %s %s %s\n" % (i, stream, tag, chunk)
        return out

    def rotate(self, stamp):
        """kubelet: rename, the runtime's late writes on the old fd, reopen, then gzip."""
        rotated = f"{self.log}.{stamp}"
        os.rename(self.log, rotated)
        self.phase += 1
        self.write_records(LATE_RECORDS, f"late{self.phase}")
        self.file.close()
        self.file = open(self.log, "ab", buffering=0)
        return rotated

    def compress(self, rotated):
        with open(rotated, "rb") as plain, gzip.open(rotated + ".tmp", "wb") as packed:
            packed.write(plain.read())
        os.rename(rotated + ".tmp", rotated + ".gz")
        os.unlink(rotated)


class Output:
    """Reads the agent's JSON records as they are written, line by line."""

    def __init__(self, path):
        self.path, self.offset, self.records, self.rest = path, 0, [], b""

    def poll(self):
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        self.offset += len(data)
        lines = (self.rest + data).split(b"\n")
        self.rest = lines.pop()
        self.records.extend(json.loads(line) for line in lines)
        return self.records


class KubernetesPreset(harness.TempDirTest):
    def make_tree(self):
        root = self.path("log")
        os.makedirs(os.path.join(root, "containers"))
        containers = []
        for n, namespace in enumerate(NAMESPACES):
            for p in range(PODS_PER_NAMESPACE):
                pod, uid = f"web-{p}", f"{n:04x}{p:04x}-0000-4000-8000-00000000{n}{p:02d}"
                for c, name in enumerate(CONTAINERS):
                    containers.append(Container(root, namespace, pod, uid, name, f"{n}{p}{c}" * 8))
        return root, containers

    def write_config(self, paths_line, port):
        config = self.path("logship.toml")
        with open(config, "w") as f:
            f.write(f"""
[agent]
data_dir = "{self.path('data')}"
metrics_listen = "127.0.0.1:{port}"

[[inputs]]
preset = "kubernetes"
{paths_line}
start_at = "head"
rescan_interval = "200ms"

[[outputs]]
name = "out"
type = "stdout"
format = "json"
""")
        return config

    def wait_for_tag(self, output, containers, tag):
        """Every container has shipped at least one record of `tag`: its file is open."""
        def seen():
            got = {(r["labels"].get("namespace"), r["labels"].get("pod"),
                    r["labels"].get("container")) for r in output.poll() if f"/{tag}/" in r["line"]}
            return all((c.namespace, c.pod, c.name) in got for c in containers)
        harness.wait_until(seen, WAIT_S, f"a record of {tag} from every container")

    def ship_through_rotations(self, paths_line):
        root, containers = self.make_tree()
        for c in containers:
            c.write_records(RECORDS_PER_PHASE, "phase0")
        os.makedirs(self.path("data"))
        out_path = self.path("out.jsonl")
        port = harness.free_port()
        with open(out_path, "wb") as out, open(self.path("stderr.txt"), "wb") as err:
            agent = subprocess.Popen([harness.LOGSHIP, "run", "-c", self.write_config(
                paths_line.replace("ROOT", root), port)], stdout=out, stderr=err)
        output = Output(out_path)
        try:
            for phase, stamp in enumerate(ROTATIONS):
                self.wait_for_tag(output, containers, f"phase{phase}")
                rotated = [c.rotate(stamp) for c in containers]
                for c in containers:
                    c.write_records(RECORDS_PER_PHASE, f"phase{phase + 1}")
                for c, path in zip(containers, rotated):
                    c.compress(path)
            expected = sum(len(c.written) for c in containers)
            harness.wait_until(lambda: len(output.poll()) >= expected, WAIT_S,
                               f"{expected} records")
            lines = sum(c.file_lines for c in containers)
            harness.wait_until(lambda: ledger.settled_at(port, "kubernetes", "out", lines),
                               WAIT_S, f"the ledger to settle {lines} CRI lines")
            ledger.check(ledger.from_metrics(port, "kubernetes", "out"), lines)
            agent.send_signal(signal.SIGTERM)
            code = agent.wait(timeout=20)
        finally:
            if agent.poll() is None:
                agent.kill()
                agent.wait()
            for c in containers:
                c.file.close()
        with open(self.path("stderr.txt"), "rb") as err:
            self.assertEqual(code, 0, err.read().decode(errors="replace"))
        self.check_records(output.poll(), containers, root)

    def check_records(self, records, containers, root):
        by_id = {}
        for c in containers:
            for record_id, body in c.written.items():
                by_id[record_id] = (c, body)
        seen = set()
        for record in records:
            self.assertFalse(record["file"].endswith((".gz", ".tmp")), record["file"])
            record_id = record["line"].split(" ", 1)[0]
            self.assertIn(record_id, by_id, f"unexpected record {record['line'][:120]!r}")
            self.assertNotIn(record_id, seen, f"{record_id} shipped twice")
            seen.add(record_id)
            container, body = by_id[record_id]
            self.assertEqual(record["line"], body, f"{record_id} not reassembled")
            labels = {k: v for k, v in record["labels"].items()
                      if k in ("namespace", "pod", "pod_uid", "container")}
            self.assertEqual(labels, container.labels(), record_id)
            self.assertIn(record["fields"].get("stream"), ("stdout", "stderr"), record_id)
        missing = sorted(set(by_id) - seen)
        self.assertEqual(missing, [], f"{len(missing)} records never arrived")
        gz = [n for _, _, names in os.walk(root) for n in names if n.endswith(".gz")]
        self.assertEqual(len(gz), len(containers) * len(ROTATIONS))

    def test_pod_logs_through_the_preset_glob(self):
        self.ship_through_rotations('paths = ["ROOT/pods/*/*/*.log"]')

    def test_pod_logs_through_the_containers_symlinks(self):
        self.ship_through_rotations('paths = ["ROOT/containers/*.log"]')


if __name__ == "__main__":
    harness.main()
