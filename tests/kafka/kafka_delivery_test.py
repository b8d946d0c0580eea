#!/usr/bin/env python3
"""File -> logship -> mock Kafka -> consumer, without faults: every line exactly once, in file
order within each partition, byte for byte, zstd on the wire; and a million lines counted by
the partitions' high watermarks (the mock keeps only ~5 MiB per partition)."""

import json
import subprocess
import sys

import kafka_harness as h


class DeliveryTest(h.KafkaTest):
    topics = (("logs", 6), ("big", 12), ("zstd", 3), ("multi", 4))

    def test_lines_from_four_files_arrive_once_in_file_order_byte_for_byte(self):
        files, expected = [], []
        for file_id in range(4):
            lines = h.make_lines(file_id, 25_000)
            h.write_lines(self.path(f"app{file_id}.log"), lines)
            files.append(self.path(f"app{file_id}.log"))
            expected += lines
        proc = self.logship(h.tail_args(self.kafka.bootstrap, "logs", files))
        self.assert_exit(proc, 120, "logship tail to ship 100k lines and exit")
        self.assert_tail_ledger(len(expected))
        messages = h.consume(self.kafka.bootstrap, "logs", len(expected))
        self.assert_all_arrived(messages, expected)
        self.assert_file_order(messages)

        self.assert_codec("logs", "zstd", len(expected))

    def test_compression_zstd_set_in_the_config_is_what_the_broker_receives(self):
        lines = h.make_lines(6, 5_000)
        log, data = self.path("app.log"), self.path("data")
        h.write_lines(log, lines)
        config = h.write_config(self.path("logship.toml"), data, [log], self.kafka.bootstrap,
                                "zstd", extra_output='compression = "zstd"')
        self.require_config_type(config)
        proc = self.logship(["run", "-c", config])
        self.wait_produced("zstd", len(lines), 60, proc)
        self.assertEqual(h.stop_logship(proc), 0, self.log_text())
        self.assert_all_arrived(h.consume(self.kafka.bootstrap, "zstd", len(lines)), lines)
        self.assert_codec("zstd", "zstd", len(lines))

    def test_eight_inputs_of_one_output_share_the_budget_and_ship_every_line(self):
        # Each input runs its own producer, which reserves budget up front. Whole
        # reservations for eight used to add up past memory_limit: the fourth waited for
        # budget forever, before anything was read, and SIGTERM could not stop it.
        paths, expected = [], []
        for file_id in range(8):
            lines = h.make_lines(file_id, 2_000)
            h.write_lines(self.path(f"in{file_id}.log"), lines)
            paths.append(self.path(f"in{file_id}.log"))
            expected += lines
        data = self.path("data")
        config = h.write_config(self.path("logship.toml"), data, paths[:1], self.kafka.bootstrap,
                                "multi", memory_limit="64MiB")
        with open(config) as f:
            text = f.read()
        more_inputs = "".join(f'[[inputs]]\nname = "in{i}"\npaths = ["{paths[i]}"]\n'
                              f'start_at = "head"\n' for i in range(1, 8))
        with open(config, "w") as f:
            f.write(text.replace("[[outputs]]", more_inputs + "[[outputs]]"))
        proc = self.logship(["run", "-c", config])
        self.wait_produced("multi", len(expected), 60, proc)
        self.assertEqual(h.stop_logship(proc), 0, self.log_text())
        self.assert_all_arrived(h.consume(self.kafka.bootstrap, "multi", len(expected)),
                                expected)
        # Three brokers: ~3 MiB of producer working memory each, eight times over, does
        # not fit in half of 64 MiB, and the operator is told.
        self.assertIn("each input runs its own producer", self.log_text())

    def assert_codec(self, topic, codec, count):
        """At least 99% of `count` messages of `topic` sit in record batches of `codec`."""
        wire = subprocess.run([sys.executable, h.HERE + "/kafka_wire.py", self.kafka.bootstrap,
                               topic], capture_output=True, text=True, timeout=60)
        self.assertEqual(wire.returncode, 0, wire.stderr)
        codecs = json.loads(wire.stdout)
        # librdkafka sends a batch uncompressed only when compressing would not shrink it.
        self.assertGreaterEqual(codecs.get(codec, 0), 0.99 * count,
                                f"record batches on the broker by codec: {codecs}")

    def test_a_million_lines_from_four_files_arrive_exactly_once(self):
        per_file = 250_000 if not h.SANITIZED else 50_000
        files = []
        for file_id in range(4):
            h.write_lines(self.path(f"big{file_id}.log"), h.make_lines(file_id, per_file))
            files.append(self.path(f"big{file_id}.log"))
        proc = self.logship(h.tail_args(self.kafka.bootstrap, "big", files))
        self.assert_exit(proc, 150, f"logship tail to ship {4 * per_file} lines and exit")
        self.assert_tail_ledger(4 * per_file)
        # All acknowledged before exit: the watermarks already hold every line, once.
        self.assertEqual(h.produced_count(self.kafka.bootstrap, "big"), 4 * per_file)

    def test_format_json_ships_one_json_record_per_line_keyed_by_file(self):
        lines = h.make_lines(5, 1_000)
        log = self.path("app.log")
        h.write_lines(log, lines)
        proc = self.logship(h.tail_args(self.kafka.bootstrap, "logs", [log], "--format", "json"))
        self.assert_exit(proc, 60, "logship tail --format json to ship 1000 lines")
        messages = sorted(h.consume(self.kafka.bootstrap, "logs", len(lines)))
        self.assertEqual(len({partition for partition, _, _, _ in messages}), 1,
                         "one file's lines, keyed by file, must share a partition")
        records = [json.loads(value) for _, _, _, value in messages]
        self.assertEqual([r["line"].encode() for r in records], lines)
        self.assertTrue(all(r["file"] == log for r in records))
        self.assertTrue(all(key == log.encode() for _, _, key, _ in messages))
        offsets = [r["offset"] for r in records]
        self.assertEqual(offsets, sorted(offsets))

    def test_a_misspelt_librdkafka_property_fails_logship_check_with_its_message(self):
        log = self.path("app.log")
        h.write_lines(log, [b"x"])
        good = h.write_config(self.path("good.toml"), self.path("data"), [log],
                              self.kafka.bootstrap, "logs", properties={"linger.ms": "20"})
        self.require_config_type(good)
        bad = h.write_config(self.path("bad.toml"), self.path("data"), [log],
                             self.kafka.bootstrap, "logs", properties={"lingr.ms": "20"})
        check = subprocess.run([h.LOGSHIP, "check", "-c", bad], capture_output=True, text=True)
        self.assertEqual(check.returncode, 2, check.stderr)
        self.assertIn("No such configuration property: \"lingr.ms\"", check.stderr)
        self.assertIn("bad.toml:", check.stderr)


if __name__ == "__main__":
    h.main()
