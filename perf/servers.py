"""Server processes the process-level benchmarks drive: ours and Apache RocketMQ's.

Each target starts a NameServer and a broker on loopback over a store
directory, with the same upstream broker keys for both (``conf``), and says
when it is ready. ``Server.sample()`` tracks the broker's peak RSS.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from perf.runs import ROOT, rss_mib
from tests.interop.harness import broker_ports, java_command

LOOPBACK = "127.0.0.1"
COMMIT_LOG_SEGMENT_BYTES = 1024 * 1024 * 1024
READY_TIMEOUT_S = 120.0
APACHE_BROKER_HEAP = "-Xmx2g"
# What both brokers get unless a run overrides it.
BASE_CONF = {
    "mappedFileSizeCommitLog": str(COMMIT_LOG_SEGMENT_BYTES),
    "mappedFileSizeConsumeQueue": str(300_000 * 20),
    "flushDiskType": "ASYNC_FLUSH",
}


def start_until_ready(
    command: list, log: Path, ready: Callable[[str], bool], timeout_s: float = READY_TIMEOUT_S
) -> subprocess.Popen:
    """Start ``command`` (stderr to ``log``); return once a line of its stdout is ``ready``.

    Raises RuntimeError when it exits first, or hangs past ``timeout_s`` (then it is killed).
    """
    with log.open("ab") as err:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            stdin=subprocess.PIPE,  # the Apache servers stop when it closes
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    assert proc.stdout is not None
    # A server that hangs silently is killed at the deadline, which ends the readline.
    watchdog = threading.Timer(timeout_s, proc.kill)
    watchdog.start()
    try:
        while True:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"server exited or hung (rc={proc.wait()}); see {log}")
            if ready(line):
                break
    finally:
        watchdog.cancel()
    # Keep draining stdout so the server never blocks on a full pipe.
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    return proc


@dataclass
class Server:
    """A NameServer + broker process; ``rss_max_mib`` is sampled while tools run."""

    proc: subprocess.Popen
    namesrv: str
    log: Path
    rss_max_mib: float = 0.0

    def sample(self) -> None:
        self.rss_max_mib = max(self.rss_max_mib, rss_mib(self.proc.pid))


class Target:
    name = ""

    def command(self, store: Path, namesrv_port: int, broker_port: int, conf: dict) -> list:
        raise NotImplementedError

    def ready(self, line: str) -> bool:
        raise NotImplementedError

    def start(self, store: Path, conf: dict[str, str] | None = None) -> Server:
        """Start over ``store`` with BASE_CONF updated by ``conf``; wait until it serves."""
        namesrv_port, broker_port = broker_ports()
        store.mkdir(parents=True, exist_ok=True)
        log = store / f"{self.name}-server.log"
        settings = {**BASE_CONF, **(conf or {})}
        command = self.command(store, namesrv_port, broker_port, settings)
        proc = start_until_ready(command, log, self.ready)
        return Server(proc, f"{LOOPBACK}:{namesrv_port}", log)


class Ours(Target):
    name = "ours"

    def command(self, store: Path, namesrv_port: int, broker_port: int, conf: dict) -> list:
        path = store / "broker.conf"
        lines = ["brokerName=broker-a", *(f"{key}={value}" for key, value in conf.items())]
        path.write_text("\n".join(lines) + "\n")
        return [
            sys.executable, "-m", "rocketmq", "standalone",
            "--namesrv-port", str(namesrv_port), "--broker-port", str(broker_port),
            "--store", str(store / "data"), "-c", str(path),
        ]  # fmt: skip

    def ready(self, line: str) -> bool:
        return line.startswith("The broker[") and "boot success" in line


class Apache(Target):
    name = "apache"

    def command(self, store: Path, namesrv_port: int, broker_port: int, conf: dict) -> list:
        args = [
            "--namesrv-port", str(namesrv_port), "--broker-port", str(broker_port),
            "--store", str(store / "data"),
        ]  # fmt: skip
        for key, value in conf.items():
            args += ["--broker-conf", f"{key}={value}"]
        return java_command("apache.ApacheCluster", *args, module="apache", heap=APACHE_BROKER_HEAP)

    def ready(self, line: str) -> bool:
        return line.startswith("READY ")


TARGETS = {"ours": Ours, "apache": Apache}
