#!/usr/bin/env python3
"""Brokers away: logship keeps every line while all brokers are down, pauses its inputs
inside its memory limit, and ships everything once they return; messages librdkafka
expires meanwhile (message.timeout.ms) are produced again, never dropped; SIGTERM while
messages wait for the brokers exits 0 within shutdown_timeout, and a restart ships them."""

import os
import signal
import time

import kafka_harness as h

OUTAGE_SECONDS = 10
MEMORY_LIMIT = 16 << 20
# What the process holds beyond the budget: code and libraries (~7 MiB), thread stacks,
# allocator slack. While data flows, librdkafka's request buffers (batch.size per partition
# x in-flight requests per broker) come on top; the whole-run high water is printed.
RSS_SLACK = 16 << 20
SHUTDOWN_TIMEOUT = 2
# SIGTERM to exit beyond shutdown_timeout: purging librdkafka's queue, the checkpoint write,
# destroying the producer, process teardown.
SHUTDOWN_SLACK = 1.5


def padded(lines, width):
    """Longer lines, so the backlog during the outage is larger than the memory limit."""
    return [line + b" " + b"p" * (width - len(line)) if len(line) < width else line
            for line in lines]


class OutageTest(h.KafkaTest):
    topics = (("logs", 12),)

    def outage(self, proc, during):
        """All brokers down for OUTAGE_SECONDS (the fault itself, not a synchronisation);
        `during` runs once they are down. Returns the memory watch of the outage."""
        watch = h.ProcessWatch(proc)
        self.kafka.all_brokers("down")
        during()
        end = time.monotonic() + OUTAGE_SECONDS
        while time.monotonic() < end:
            watch.sample()
            time.sleep(0.05)
        self.kafka.all_brokers("up")
        return watch

    def test_every_line_arrives_after_all_brokers_were_down_for_10s_within_memory(self):
        # 8 files x 25k lines of 150 bytes: 5k lines each before the outage, the other 160k
        # lines (24 MB, half again the memory limit) written while no broker is reachable,
        # so the inputs must pause rather than buffer.
        files = [self.path(f"app{i}.log") for i in range(8)]
        first = [padded(h.make_lines(i, 5_000), 150) for i in range(8)]
        second = [padded(h.make_lines(i, 20_000, 5_000), 150) for i in range(8)]
        for path, lines in zip(files, first):
            h.write_lines(path, lines)
        total = sum(len(lines) for lines in first + second)
        consumer = self.consume_along("logs", total)
        data = self.path("data")
        proc = self.logship(h.tail_args(self.kafka.bootstrap, "logs", files, "-f",
                                        "--memory-limit", str(MEMORY_LIMIT), "--data-dir", data))
        self.wait_produced("logs", sum(len(lines) for lines in first), 60, proc)

        def append_rest():
            for path, lines in zip(files, second):
                h.write_lines(path, lines, mode="ab")
        during = self.outage(proc, append_rest)
        watch = h.ProcessWatch(proc)
        self.wait_acknowledged(data, files, 120, proc, watch=watch)
        self.assertEqual(h.stop_logship(proc), 0, self.log_text())
        expected = [line for lines in first + second for line in lines]
        duplicates = self.assert_all_arrived(consumer.messages(), expected, allow_duplicates=True)
        print(f"duplicates after the outage: {duplicates}; RSS during the outage "
              f"{during.peak_rss >> 20} MiB, whole-run high water {watch.high_water >> 20} MiB")
        if not h.SANITIZED:
            self.assertLessEqual(during.peak_rss, MEMORY_LIMIT + RSS_SLACK,
                                 f"RSS {during.peak_rss >> 20} MiB during the outage, over the "
                                 f"memory limit {MEMORY_LIMIT >> 20} MiB + {RSS_SLACK >> 20} MiB")

    def test_messages_expired_by_librdkafka_during_an_outage_are_produced_again(self):
        lines = h.make_lines(1, 20_000)
        log, data = self.path("app.log"), self.path("data")
        h.write_lines(log, lines[:10_000])
        port = h.free_port()
        config = h.write_config(self.path("logship.toml"), data, [log],
                                self.kafka.bootstrap, "logs",
                                properties={"message.timeout.ms": "2000"}, metrics_port=port)
        self.require_config_type(config)
        proc = self.logship(["run", "-c", config])
        self.wait_produced("logs", 10_000, 60, proc)
        retried_before = h.metric(port, "logship_output_retries_total")
        # Five times message.timeout.ms: every queued message expires at least once.
        self.outage(proc, lambda: h.write_lines(log, lines[10_000:], mode="ab"))
        self.wait_acknowledged(data, [log], 60, proc)
        # Each of the 10k lines written during the outage expired at least once and was
        # produced again; with librdkafka's default timeout (300 s) none would have.
        retried = h.metric(port, "logship_output_retries_total") - retried_before
        print(f"messages produced again after the outage: {int(retried)}")
        self.assertGreaterEqual(retried, 10_000, "the lines queued during the outage were not "
                                                 "expired and produced again")
        self.assertEqual(h.stop_logship(proc), 0, self.log_text())
        messages = h.consume(self.kafka.bootstrap, "logs", len(lines))
        self.assert_all_arrived(messages, lines, allow_duplicates=True)

    def test_sigterm_with_brokers_down_exits_in_time_and_a_restart_ships_the_queue(self):
        lines = h.make_lines(4, 10_000)
        log, data = self.path("app.log"), self.path("data")
        h.write_lines(log, lines[:5_000])
        first_bytes = os.path.getsize(log)
        port = h.free_port()
        config = h.write_config(self.path("logship.toml"), data, [log], self.kafka.bootstrap,
                                "logs", metrics_port=port,
                                shutdown_timeout=f"{SHUTDOWN_TIMEOUT}s")
        self.require_config_type(config)
        proc = self.logship(["run", "-c", config])
        self.wait_produced("logs", 5_000, 60, proc)
        h.wait_until(lambda: h.checkpointed(data, log) == first_bytes, 30,
                     f"the checkpoint of {log} to reach {first_bytes}")
        self.kafka.all_brokers("down")
        h.write_lines(log, lines[5_000:], mode="ab")
        h.wait_until(lambda: h.metric(port, "logship_output_in_flight_requests") >= 5_000, 30,
                     "the 5000 lines written with the brokers down to wait in the producer")

        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = h.wait_exit(proc, SHUTDOWN_TIMEOUT + 30, "logship to exit after SIGTERM")
        took = time.monotonic() - started
        print(f"SIGTERM to exit with 5000 messages queued: {took:.2f} s "
              f"(shutdown_timeout {SHUTDOWN_TIMEOUT} s)")
        self.assertEqual(code, 0, self.log_text())
        self.assertLessEqual(took, SHUTDOWN_TIMEOUT + SHUTDOWN_SLACK,
                             f"exit took {took:.2f} s, over shutdown_timeout + {SHUTDOWN_SLACK} s")
        self.assertIn("did not drain within shutdown_timeout", self.log_text())
        self.assertEqual(h.checkpointed(data, log), first_bytes,
                         "the checkpoint moved past lines no broker acknowledged")

        self.kafka.all_brokers("up")
        restarted = self.logship(["run", "-c", config], name="logship-restarted")
        self.wait_acknowledged(data, [log], 60, restarted, name="logship-restarted")
        self.assertEqual(h.stop_logship(restarted), 0, self.log_text("logship-restarted"))
        messages = h.consume(self.kafka.bootstrap, "logs", len(lines))
        self.assert_all_arrived(messages, lines)

    def test_brokers_down_past_ready_grace_make_the_agent_unready_until_it_delivers(self):
        lines = h.make_lines(5, 4_000)
        log, data = self.path("app.log"), self.path("data")
        h.write_lines(log, lines[:2_000])
        port = h.free_port()
        config = h.write_config(self.path("logship.toml"), data, [log], self.kafka.bootstrap,
                                "logs", metrics_port=port)
        with open(config) as f:
            text = f.read().replace("[agent]\n", '[agent]\nready_grace = "1s"\n', 1)
        with open(config, "w") as f:
            f.write(text)
        proc = self.logship(["run", "-c", config])
        self.wait_produced("logs", 2_000, 60, proc)
        self.assertEqual(ready(port), (200, "ready\n"))
        self.assertEqual(h.metric(port, "logship_output_up"), 1)
        self.assertGreater(h.metric(port, "logship_output_last_success_timestamp_seconds"), 0)

        self.kafka.all_brokers("down")
        h.write_lines(log, lines[2_000:], mode="ab")
        h.wait_until(lambda: ready(port)[0] == 503, 30, "/ready to answer 503 with no broker")
        self.assertIn("output kafka has not succeeded for", ready(port)[1])
        self.assertEqual(h.metric(port, "logship_output_up"), 0)
        self.assertEqual(h.get(port, "/health")[0], 200, "/health follows the process only")

        self.kafka.all_brokers("up")
        h.wait_until(lambda: ready(port)[0] == 200, 60, "/ready to answer 200 once delivering")
        self.wait_acknowledged(data, [log], 60, proc)
        self.assertEqual(h.metric(port, "logship_output_up"), 1)
        h.wait_until(lambda: h.ledger.settled_at(port, "app", "kafka", len(lines)), 30,
                     "the ledger to settle every line")
        h.ledger.check(h.ledger.from_metrics(port, "app", "kafka"), len(lines))
        self.assertEqual(h.stop_logship(proc), 0, self.log_text())
        messages = h.consume(self.kafka.bootstrap, "logs", len(lines))
        self.assert_all_arrived(messages, lines, allow_duplicates=True)


def ready(port):
    """(status, body) of /ready."""
    return h.get(port, "/ready")


if __name__ == "__main__":
    h.main()
