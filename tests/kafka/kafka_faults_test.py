#!/usr/bin/env python3
"""Faults on the produce path: retriable errors injected by the brokers lose and duplicate
nothing (idempotent producer); a record refused for good in the middle of a file is counted
and reported, and the lines after it still arrive; a SIGKILLed agent restarted from its
checkpoints ships every line at least once, with duplicates bounded by what was in flight:
lines the checkpoint covered are never sent again, whether it dies during an outage or while
lines flow."""

import collections
import os
import signal

import kafka_harness as h

MEMORY_LIMIT = 16 << 20


class FaultsTest(h.KafkaTest):
    topics = (("logs", 6),)

    def test_retriable_produce_errors_lose_nothing_and_duplicate_nothing(self):
        files, expected = [], []
        for file_id in range(2):
            lines = h.make_lines(file_id, 25_000)
            h.write_lines(self.path(f"app{file_id}.log"), lines)
            files.append(self.path(f"app{file_id}.log"))
            expected += lines
        self.kafka.command("produce_errors 40 NOT_LEADER_FOR_PARTITION REQUEST_TIMED_OUT")
        proc = self.logship(h.tail_args(self.kafka.bootstrap, "logs", files))
        self.assert_exit(proc, 120, "logship tail to ship 50k lines through produce errors")
        self.assert_tail_ledger(len(expected))
        self.assertEqual(h.produced_count(self.kafka.bootstrap, "logs"), len(expected))
        messages = h.consume(self.kafka.bootstrap, "logs", len(expected))
        self.assert_all_arrived(messages, expected)

    def test_a_too_large_record_mid_file_is_counted_and_the_lines_after_it_arrive(self):
        # message.max.bytes (librdkafka refuses bigger messages for good, MSG_SIZE_TOO_LARGE)
        # below one line that has 2000 normal lines before it and 2000 after it.
        before, after = h.make_lines(3, 2_000), h.make_lines(3, 2_000, 2_000)
        too_large = b"f3 too-large " + b"x" * 20_000
        log, data = self.path("app.log"), self.path("data")
        h.write_lines(log, before + [too_large] + after)
        too_large_offset = sum(len(line) + 1 for line in before)
        port = h.free_port()
        config = h.write_config(self.path("logship.toml"), data, [log], self.kafka.bootstrap,
                                "logs", properties={"message.max.bytes": "10000"},
                                metrics_port=port)
        self.require_config_type(config)
        proc = self.logship(["run", "-c", config])
        self.wait_acknowledged(data, [log], 60, proc)  # past the refused line, to the end
        self.assertEqual(h.metric(port, "logship_output_rejected_records_total"), 1)
        written = len(before) + 1 + len(after)
        h.ledger.check(h.ledger.from_metrics(port, "app", "kafka"), written,
                       rejected={"msg_size_too_large": 1})
        self.assertEqual(h.stop_logship(proc), 0, self.log_text())
        reports = [line for line in self.log_text().splitlines()
                   if "kafka rejected a record" in line]
        self.assertEqual(len(reports), 1, f"reports of the refused record: {reports}")
        self.assertIn(log, reports[0])
        self.assertIn(f"offset={too_large_offset}", reports[0])
        self.assertIn("MSG_SIZE_TOO_LARGE", reports[0])
        messages = h.consume(self.kafka.bootstrap, "logs", len(before) + len(after))
        self.assert_all_arrived(messages, before + after)

    def test_sigkill_mid_run_and_restart_ships_every_line_at_least_once(self):
        lines = h.make_lines(2, 60_000)
        log, data = self.path("app.log"), self.path("data")
        h.write_lines(log, lines[:30_000])
        first_bytes = os.path.getsize(log)
        args = h.tail_args(self.kafka.bootstrap, "logs", [log], "-f", "--data-dir", data,
                           "--memory-limit", str(MEMORY_LIMIT))
        proc = self.logship(args)
        self.wait_produced("logs", 30_000, 60, proc)
        h.wait_until(lambda: h.checkpointed(data, log) == first_bytes, 30,
                     f"the checkpoint of {log} to reach {first_bytes}")
        # Kill it while the second half is read but cannot be acknowledged.
        self.kafka.all_brokers("down")
        h.write_lines(log, lines[30_000:], mode="ab")
        at_kill = h.checkpointed(data, log)
        self.assertIsNone(proc.poll(), "logship exited before it was killed")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        self.kafka.all_brokers("up")

        restarted = self.logship(args, name="logship-restarted")
        self.wait_acknowledged(data, [log], 120, restarted, name="logship-restarted")
        self.assertEqual(h.stop_logship(restarted), 0, self.log_text("logship-restarted"))
        messages = h.consume(self.kafka.bootstrap, "logs", len(lines))
        duplicates = self.assert_all_arrived(messages, lines, allow_duplicates=True)
        # Only what was past the checkpoint when it died can arrive twice.
        offset, in_flight = 0, 0
        for line in lines:
            in_flight += offset >= at_kill
            offset += len(line) + 1
        print(f"duplicates after SIGKILL and restart: {duplicates} "
              f"(lines past the checkpoint at the kill: {in_flight})")
        self.assertLessEqual(duplicates, in_flight)

    def test_sigkill_while_lines_flow_repeats_only_lines_past_the_checkpoint(self):
        lines = h.make_lines(3, 120_000)
        log, data = self.path("app.log"), self.path("data")
        h.write_lines(log, [])
        args = h.tail_args(self.kafka.bootstrap, "logs", [log], "-f", "--data-dir", data,
                           "--memory-limit", str(MEMORY_LIMIT))
        proc = self.logship(args)
        # Lines keep arriving in chunks; the kill lands once part of them is checkpointed,
        # while the rest is still being read, produced and acknowledged.
        chunks = [lines[i:i + 2_000] for i in range(0, len(lines), 2_000)]
        written = 0
        for chunk in chunks[:len(chunks) // 2]:
            h.write_lines(log, chunk, mode="ab")
            written += len(chunk)
        h.wait_until(lambda: h.checkpointed(data, log) > 0, 60, f"a checkpoint of {log}")
        for chunk in chunks[len(chunks) // 2:len(chunks) * 3 // 4]:
            h.write_lines(log, chunk, mode="ab")
            written += len(chunk)
        # Delivered, and likely not yet checkpointed (checkpoint_interval is 1 s): these are
        # the lines a restart may send again.
        self.wait_produced("logs", written, 60, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        at_kill = h.checkpointed(data, log)
        for chunk in chunks[len(chunks) * 3 // 4:]:
            h.write_lines(log, chunk, mode="ab")

        restarted = self.logship(args, name="logship-restarted")
        self.wait_acknowledged(data, [log], 120, restarted, name="logship-restarted")
        self.assertEqual(h.stop_logship(restarted), 0, self.log_text("logship-restarted"))
        messages = h.consume(self.kafka.bootstrap, "logs", len(lines))
        duplicates = self.assert_all_arrived(messages, lines, allow_duplicates=True)
        # What the checkpoint covered is never sent again; only lines past it may repeat.
        counts = collections.Counter(value for _, _, _, value in messages)
        offset, past_checkpoint = 0, 0
        for line in lines:
            if offset < at_kill:
                self.assertEqual(counts[line], 1, f"checkpointed line sent again: {line[:20]!r}")
            else:
                past_checkpoint += 1
            offset += len(line) + 1
        print(f"SIGKILL while flowing: checkpoint at {at_kill} of {offset} bytes, "
              f"{duplicates} duplicates, {past_checkpoint} lines past the checkpoint")
        self.assertLessEqual(duplicates, past_checkpoint)


if __name__ == "__main__":
    h.main()
