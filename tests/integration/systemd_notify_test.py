"""`logship run` under a Type=notify unit, with the test in systemd's place: a datagram
socket named by NOTIFY_SOCKET receives READY=1 once the pipelines run, RELOADING=1 and
READY=1 around a SIGHUP, WATCHDOG=1 every half of WATCHDOG_USEC, and STOPPING=1 at
SIGTERM. The transcript is printed, for the record."""

import os
import signal
import socket
import subprocess
import time

import durable
import harness
import ledger


class SystemdNotify(harness.TempDirTest):
    def setUp(self):
        super().setUp()
        self.socket_path = self.path("notify")
        self.systemd = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.systemd.bind(self.socket_path)
        self.addCleanup(self.systemd.close)
        self.transcript = []

    def next_state(self, timeout, skip_watchdog=True):
        """The next datagram (WATCHDOG=1 pings skipped unless asked for)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no notification within {timeout}s; got {self.transcript}")
            self.systemd.settimeout(left)
            try:
                message = self.systemd.recv(4096).decode()
            except socket.timeout:
                continue
            self.transcript.append(message)
            if not (skip_watchdog and message == "WATCHDOG=1"):
                return message

    def test_ready_reloading_watchdog_and_stopping_in_order(self):
        log = self.write("app.log", b"")
        port = harness.free_port()
        config = self.path("logship.toml")
        with open(config, "w") as f:
            f.write(f'[agent]\ndata_dir = "{self.path("data")}"\n'
                    f'metrics_listen = "127.0.0.1:{port}"\n\n'
                    f'[[inputs]]\nname = "app"\ntype = "file"\npaths = ["{log}"]\n'
                    'start_at = "head"\n\n'
                    '[[outputs]]\nname = "out"\ntype = "stdout"\nformat = "raw"\n')
        env = dict(os.environ, NOTIFY_SOCKET=self.socket_path, WATCHDOG_USEC="400000")
        out = self.path("out.txt")
        with open(out, "wb") as stdout, open(self.path("err"), "wb") as stderr:
            agent = subprocess.Popen([harness.LOGSHIP, "run", "-c", config],
                                             stdout=stdout, stderr=stderr, env=env)
        self.addCleanup(lambda: agent.poll() is None and agent.kill())
        self.assertEqual(self.next_state(20), "READY=1")
        # READY=1 means running: the first lines ship without further waiting on start-up.
        with open(log, "ab") as f:
            f.write(durable.lines(0, 100))
        durable.wait_for_size(out, 100 * durable.WIDTH, 20, "100 lines after READY=1")
        self.assertEqual(self.next_state(5, skip_watchdog=False), "WATCHDOG=1")
        self.assertEqual(self.next_state(5, skip_watchdog=False), "WATCHDOG=1")
        agent.send_signal(signal.SIGHUP)
        reloading = self.next_state(20)
        self.assertRegex(reloading, r"^RELOADING=1\nMONOTONIC_USEC=[0-9]+$")
        self.assertEqual(self.next_state(20), "READY=1")
        harness.wait_until(lambda: ledger.settled_at(port, "app", "out", 100), 20,
                           "100 lines settled")
        ledger.check(ledger.from_metrics(port, "app", "out"), 100)
        agent.send_signal(signal.SIGTERM)
        self.assertEqual(self.next_state(20), "STOPPING=1")
        self.assertEqual(agent.wait(timeout=30), 0)
        print("notify transcript:", [m for m in self.transcript if m != "WATCHDOG=1"],
              f"and {self.transcript.count('WATCHDOG=1')} WATCHDOG=1")


if __name__ == "__main__":
    harness.main()
