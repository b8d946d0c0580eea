#!/usr/bin/env python3
"""Reads the compression codec of every record batch a topic holds, off the wire.

A consumer (librdkafka's, kcat) decompresses transparently and never shows the codec, so
this speaks the Kafka protocol itself: Metadata v1 for the partition leaders, then Fetch v4
from each leader, and reads the `attributes & 7` of each record batch header as the broker
stored it (the mock broker stores what the producer sent). Standard library only.

    kafka_wire.py BOOTSTRAP TOPIC   ->  prints e.g. {"none": 1, "zstd": 4998}
                                        (messages per codec of the batch that holds them)

librdkafka sends a batch uncompressed when compressing would not make it smaller (a batch
of one short message), so expect a few "none" messages even with compression on.
"""

import json
import socket
import struct
import sys

CODECS = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return values[0] if len(values) == 1 else values

    def string(self):
        length = self.take(">h")
        if length < 0:
            return None
        text = self.data[self.pos:self.pos + length].decode()
        self.pos += length
        return text

    def bytes(self):
        length = self.take(">i")
        if length < 0:
            return b""
        blob = self.data[self.pos:self.pos + length]
        self.pos += length
        return blob


def string(text):
    raw = text.encode()
    return struct.pack(">h", len(raw)) + raw


class Connection:
    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.correlation = 0

    def request(self, api_key, version, body):
        self.correlation += 1
        header = struct.pack(">hhi", api_key, version, self.correlation) + string("kafka_wire")
        payload = header + body
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)
        size = struct.unpack(">i", self.recv_exact(4))[0]
        reader = Reader(self.recv_exact(size))
        if reader.take(">i") != self.correlation:
            raise RuntimeError("kafka_wire: correlation id mismatch")
        return reader

    def recv_exact(self, size):
        chunks, remaining = [], size
        while remaining:
            chunk = self.sock.recv(remaining)
            if not chunk:
                raise RuntimeError("kafka_wire: connection closed by the broker")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def close(self):
        self.sock.close()


def metadata(bootstrap, topic):
    """Returns ({node_id: (host, port)}, {partition: leader_id})."""
    host, port = bootstrap.split(",")[0].rsplit(":", 1)
    conn = Connection(host, int(port))
    try:
        r = conn.request(3, 1, struct.pack(">i", 1) + string(topic))
    finally:
        conn.close()
    brokers = {}
    for _ in range(r.take(">i")):
        node, host = r.take(">i"), r.string()
        port = r.take(">i")
        r.string()  # rack
        brokers[node] = (host, port)
    r.take(">i")  # controller
    leaders = {}
    for _ in range(r.take(">i")):
        err, name = r.take(">h"), r.string()
        r.take(">b")  # is_internal
        for _ in range(r.take(">i")):
            perr, partition, leader = r.take(">hii")
            for _ in range(2):  # replica and isr node lists
                for _ in range(r.take(">i")):
                    r.take(">i")
            if name == topic and err == 0 and perr == 0:
                leaders[partition] = leader
    return brokers, leaders


def fetch_request(topic, partition, offset):
    body = struct.pack(">iiiib", -1, 100, 1, 32 << 20, 0)
    body += struct.pack(">i", 1) + string(topic)
    body += struct.pack(">i", 1) + struct.pack(">iqi", partition, offset, 16 << 20)
    return body


def batches(records):
    """Yields (codec, next_offset) for each complete record batch in a Fetch's records."""
    pos = 0
    while pos + 27 <= len(records):
        base_offset, length = struct.unpack_from(">qi", records, pos)
        if pos + 12 + length > len(records):
            break  # a partial batch at the end of the response
        magic = records[pos + 16]
        attributes, last_delta = struct.unpack_from(">hi", records, pos + 21)
        if magic != 2:
            raise RuntimeError("kafka_wire: message format v%d is not supported" % magic)
        yield CODECS.get(attributes & 7, "unknown"), base_offset + last_delta + 1
        pos += 12 + length


def partition_codecs(conn, topic, partition, counts):
    offset = 0
    while True:
        r = conn.request(1, 4, fetch_request(topic, partition, offset))
        r.take(">i")  # throttle
        r.take(">i")  # topics
        r.string()
        r.take(">i")  # partitions
        _, err, high = r.take(">ihq")
        r.take(">q")  # last stable offset
        aborted = r.take(">i")
        for _ in range(max(aborted, 0)):
            r.take(">qq")
        if err == 1:  # OFFSET_OUT_OF_RANGE: the mock dropped old segments; keep tests small
            raise RuntimeError("kafka_wire: %s[%d] offset %d is gone" % (topic, partition, offset))
        if err != 0:
            raise RuntimeError("kafka_wire: fetch %s[%d] error %d" % (topic, partition, err))
        progressed = False
        for codec, next_offset in batches(r.bytes()):
            if next_offset > offset:
                counts[codec] = counts.get(codec, 0) + next_offset - offset
                offset, progressed = next_offset, True
        if offset >= high or not progressed:
            return


def codecs(bootstrap, topic):
    """Counts the messages in record batches of each codec in every partition of `topic`."""
    brokers, leaders = metadata(bootstrap, topic)
    if not leaders:
        raise RuntimeError("kafka_wire: no partitions with a leader for topic " + topic)
    counts = {}
    for partition, leader in sorted(leaders.items()):
        conn = Connection(*brokers[leader])
        try:
            partition_codecs(conn, topic, partition, counts)
        finally:
            conn.close()
    return counts


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: kafka_wire.py BOOTSTRAP TOPIC")
    print(json.dumps(codecs(sys.argv[1], sys.argv[2]), sort_keys=True))
