#!/usr/bin/env python3
"""Brokers away: logship keeps every line while all brokers are down, pauses its inputs
inside its memory limit, and ships everything once they return; messages librdkafka
expires meanwhile (message.timeout.ms) are produced again, never dropped."""

import time

import kafka_harness as h

OUTAGE_SECONDS = 10
MEMORY_LIMIT = 16 << 20
# What the process holds beyond the budget: code, thread stacks, librdkafka's per-broker
# request buffers (batch.size x in-flight requests), allocator slack.
RSS_SLACK = 16 << 20


def padded(lines, width=200):
    """Longer lines, so the backlog during the outage is larger than the memory limit."""
    return [line + b" " + b"p" * (width - len(line)) if len(line) < width else line
            for line in lines]


class OutageTest(h.KafkaTest):
    topics = (("logs", 12),)

    def outage(self, watch, during):
        """All brokers down for OUTAGE_SECONDS (the fault itself, not a synchronisation);
        `during` runs once they are down."""
        self.kafka.all_brokers("down")
        during()
        end = time.monotonic() + OUTAGE_SECONDS
        while time.monotonic() < end:
            watch.sample()
            time.sleep(0.05)
        self.kafka.all_brokers("up")

    def test_every_line_arrives_after_all_brokers_were_down_for_10s_within_memory(self):
        first, second = padded(h.make_lines(0, 50_000)), padded(h.make_lines(0, 150_000, 50_000))
        log = self.path("app.log")
        h.write_lines(log, first)
        proc = self.logship(h.tail_args(self.kafka.bootstrap, "logs", [log], "-f",
                                        "--memory-limit", str(MEMORY_LIMIT)))
        watch = h.ProcessWatch(proc)
        self.assertGreaterEqual(h.produced_count(self.kafka.bootstrap, "logs", len(first)),
                                len(first))
        # The rest of the run is written while no broker is reachable: ~30 MB of lines, about
        # twice the memory limit, so the inputs must pause rather than buffer.
        self.outage(watch, lambda: h.write_lines(log, second, mode="ab"))
        total = len(first) + len(second)
        h.wait_until(lambda: h.produced_count(self.kafka.bootstrap, "logs", timeout=5) >= total,
                     120, f"{total} lines in Kafka after the outage", watch)
        self.assertEqual(h.stop_logship(proc), 0, self.log_text())
        messages = h.consume(self.kafka.bootstrap, "logs", total)
        duplicates = self.assert_all_arrived(messages, first + second, allow_duplicates=True)
        print(f"duplicates after the outage: {duplicates}; peak RSS {watch.peak_rss >> 20} MiB")
        if not h.SANITIZED:
            self.assertLessEqual(watch.peak_rss, MEMORY_LIMIT + RSS_SLACK,
                                 f"peak RSS {watch.peak_rss >> 20} MiB over the memory limit "
                                 f"{MEMORY_LIMIT >> 20} MiB + {RSS_SLACK >> 20} MiB")

    def test_messages_expired_by_librdkafka_during_an_outage_are_produced_again(self):
        lines = h.make_lines(1, 20_000)
        log = self.path("app.log")
        h.write_lines(log, lines[:10_000])
        config = h.write_config(self.path("logship.toml"), self.path("data"), [log],
                                self.kafka.bootstrap, "logs",
                                properties={"message.timeout.ms": "2000"})
        proc = self.logship(["run", "-c", config])
        watch = h.ProcessWatch(proc)
        self.assertGreaterEqual(h.produced_count(self.kafka.bootstrap, "logs", 10_000), 10_000)
        # Five times message.timeout.ms: every queued message expires, some several times.
        self.outage(watch, lambda: h.write_lines(log, lines[10_000:], mode="ab"))
        h.wait_until(lambda: h.produced_count(self.kafka.bootstrap, "logs", timeout=5) >= 20_000,
                     60, "20000 lines in Kafka after the outage", watch)
        self.assertEqual(h.stop_logship(proc), 0, self.log_text())
        messages = h.consume(self.kafka.bootstrap, "logs", len(lines))
        self.assert_all_arrived(messages, lines, allow_duplicates=True)


if __name__ == "__main__":
    h.main()
