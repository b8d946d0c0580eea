#!/usr/bin/env python3
"""A Kafka outage longer than the producer's message timeout, with a SIGKILL in the middle:
every broker down while a writer appends 5,000 lines/s, the agent killed halfway through the
outage and restarted at once. Messages librdkafka expires meanwhile are produced again;
reading pauses inside the memory limit instead of dropping (RSS sampled every second);
once the brokers return every line arrives, repeated only from the last checkpoint, and
the restarted agent's ledger holds no drop.

The suite runs a 40 s outage with message.timeout.ms = 5000; tests/torture/kafka_outage.sh
runs the ten-minute one with librdkafka's default timeout (LOGSHIP_OUTAGE_SECONDS=600
LOGSHIP_MESSAGE_TIMEOUT_MS=default)."""

import os
import threading
import time

import kafka_harness as h

OUTAGE_SECONDS = int(os.environ.get("LOGSHIP_OUTAGE_SECONDS", "40"))
MESSAGE_TIMEOUT_MS = os.environ.get("LOGSHIP_MESSAGE_TIMEOUT_MS", "5000")
LINES_PER_SECOND = 5_000
MEMORY_LIMIT = 16 << 20
RSS_SLACK = 16 << 20  # README: peak RSS <= memory_limit + 16 MiB


class LongOutageTest(h.KafkaTest):
    topics = (("logs", 6),)

    def test_an_outage_past_the_message_timeout_with_a_sigkill_loses_nothing(self):
        log, data = self.path("app.log"), self.path("data")
        before = h.make_lines(0, 5_000)
        h.write_lines(log, before)
        during_count = OUTAGE_SECONDS * LINES_PER_SECOND
        total = len(before) + during_count
        consumer = self.consume_along("logs", total)
        port = h.free_port()
        properties = {} if MESSAGE_TIMEOUT_MS == "default" else {
            "message.timeout.ms": MESSAGE_TIMEOUT_MS}
        config = h.write_config(self.path("logship.toml"), data, [log], self.kafka.bootstrap,
                                "logs", memory_limit=f"{MEMORY_LIMIT >> 20}MiB",
                                properties=properties, metrics_port=port)
        proc = self.logship(["run", "-c", config])
        self.wait_acknowledged(data, [log], 60, proc)

        self.kafka.all_brokers("down")
        written = threading.Event()

        def write():
            # A steady writer: one 100 ms slice of lines at a time, for the whole outage.
            seq, started = len(before), time.monotonic()
            with open(log, "ab") as f:
                while seq < total:
                    due = len(before) + int((time.monotonic() - started) * LINES_PER_SECOND)
                    count = min(due, total) - seq
                    if count > 0:
                        f.write(b"".join(line + b"\n" for line in h.make_lines(0, count, seq)))
                        f.flush()
                        seq += count
                    time.sleep(0.1)  # the writer's pace, not a synchronisation
            written.set()
        writer = threading.Thread(target=write)
        writer.start()
        peak_rss, killed_at, checkpoint_at_kill = 0, None, None
        try:
            deadline = time.monotonic() + OUTAGE_SECONDS
            while time.monotonic() < deadline:
                watch = h.ProcessWatch(proc)
                watch.sample()
                peak_rss = max(peak_rss, watch.peak_rss)
                if killed_at is None and time.monotonic() > deadline - OUTAGE_SECONDS / 2:
                    proc.kill()
                    proc.wait()
                    checkpoint_at_kill = h.checkpointed(data, log)
                    killed_at = time.monotonic()
                    proc = self.logship(["run", "-c", config], name="logship-restarted")
                time.sleep(1)  # the RSS sampling interval
        finally:
            writer.join()
        self.assertTrue(written.is_set())
        samples = h.ledger.scrape(port)
        app = frozenset({("input", "app")})
        self.assertGreaterEqual(samples.get(("logship_input_pauses_total", app), 0), 1,
                                "the input did not pause while no broker took anything")
        during = h.ledger.from_samples(samples, "app", "kafka")
        self.assertEqual(during["dropped"], {}, "lines dropped during the outage")

        self.kafka.all_brokers("up")
        self.wait_acknowledged(data, [log], 180, proc, name="logship-restarted")
        with open(log, "rb") as f:
            resumed_lines = f.read()[:checkpoint_at_kill].count(b"\n")
        h.wait_until(lambda: h.ledger.settled_at(port, "app", "kafka", total - resumed_lines),
                     60, "the restarted agent's ledger to settle")
        h.ledger.check(h.ledger.from_metrics(port, "app", "kafka"), total - resumed_lines)
        self.assertEqual(h.stop_logship(proc), 0, self.log_text("logship-restarted"))
        expected = before + h.make_lines(0, during_count, len(before))
        duplicates = self.assert_all_arrived(consumer.messages(), expected, allow_duplicates=True)
        # Nothing was delivered during the outage: what the killed agent had acknowledged
        # is all checkpointed, so nothing may come twice.
        self.assertEqual(duplicates, 0, "lines repeated from before the last checkpoint")
        print(f"outage {OUTAGE_SECONDS} s, {total} lines, peak RSS {peak_rss >> 20} MiB, "
              f"duplicates {duplicates}")
        if not h.SANITIZED:
            self.assertLessEqual(peak_rss, MEMORY_LIMIT + RSS_SLACK,
                                 f"RSS {peak_rss >> 20} MiB over memory_limit + 16 MiB")


if __name__ == "__main__":
    h.main()
