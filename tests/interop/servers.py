"""One NameServer + broker of either kind, so client tests run one body against both.

``"ours"`` is a LocalCluster in the test's loop; ``"apache"`` is Apache
RocketMQ 4.9.7 from Maven Central (tests/interop/java/apache) in a JVM. Both
get the same settings, given by their upstream key names in ``conf``:
``messageDelayLevel``, ``transactionCheckInterval``, ``transactionTimeOut``.

A JVM broker takes seconds to boot, so the Apache servers are shared: one per
distinct ``conf``, started on first use and stopped when the test run ends.
Tests keep out of each other's way with unique topic and group names, and
must not change a shared broker's config.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import shutil
import subprocess
import tempfile
import threading
from collections.abc import AsyncIterator
from pathlib import Path

from rocketmq._testbase.cluster import LocalCluster
from tests.interop import harness

SERVERS = ["ours", "apache"]
# One-second delay levels, so that retries come back in a second on both brokers.
FAST_DELAYS = " ".join(["1s"] * 18)

# Upstream key -> (where LocalCluster takes it, our field name, conversion).
_OURS = {
    "messageDelayLevel": ("store", "message_delay_level", str),
    "transactionCheckInterval": ("broker", "transaction_check_interval_ms", int),
    "transactionTimeOut": ("broker", "transaction_timeout_ms", int),
}


# conf items -> (JVM, NameServer address, its store directory)
_SHARED_APACHE: dict[tuple[tuple[str, str], ...], tuple[subprocess.Popen, str, Path]] = {}


def _start_apache(conf: dict[str, str]) -> tuple[subprocess.Popen, str, Path]:
    """Boot an Apache NameServer + broker (blocking); its stderr goes to a log in its root."""
    root = Path(tempfile.mkdtemp(prefix="cy-apache-"))
    log = root / "server.log"
    for attempt in range(1, harness.APACHE_START_ATTEMPTS + 1):
        namesrv_port, broker_port = harness.broker_ports()
        args = ["--namesrv-port", str(namesrv_port), "--broker-port", str(broker_port),
                "--store", str(root / f"store-{attempt}")]  # fmt: skip
        for key, value in conf.items():
            args += ["--broker-conf", f"{key}={value}"]
        command = harness.java_command(
            "apache.ApacheCluster", *args, module="apache", heap=harness.APACHE_HEAP
        )
        with log.open("ab") as err:  # the child keeps its own copy of the descriptor
            proc = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True
            )
        assert proc.stdout is not None
        # A JVM that hangs without a line is killed at the deadline, ending the readline.
        watchdog = threading.Timer(harness.READY_TIMEOUT, proc.kill)
        watchdog.start()
        lines = []
        try:
            for line in proc.stdout:
                lines.append(line)
                if line.startswith("READY "):
                    # Keep draining stdout so the JVM never blocks on a full pipe.
                    threading.Thread(target=proc.stdout.read, daemon=True).start()
                    return proc, f"127.0.0.1:{namesrv_port}", root
                if line.startswith("FAIL start:"):
                    break
        finally:
            watchdog.cancel()
        proc.kill()
        proc.wait()
        if not harness.apache_port_taken(lines) or attempt == harness.APACHE_START_ATTEMPTS:
            break
    raise RuntimeError(f"Apache RocketMQ not READY (exit {proc.poll()}); see {log}")


async def shared_apache(conf: dict[str, str]) -> str:
    """The NameServer address of the running Apache server with ``conf``."""
    key = tuple(sorted(conf.items()))
    found = _SHARED_APACHE.get(key)
    if found is None or found[0].poll() is not None:
        found = await asyncio.to_thread(_start_apache, conf)
        _SHARED_APACHE[key] = found
    return found[1]


@atexit.register
def _stop_shared_apache() -> None:
    servers = list(_SHARED_APACHE.values())
    _SHARED_APACHE.clear()
    for proc, _namesrv, root in servers:
        # Killed, not shut down (that takes seconds per JVM): the store is thrown away.
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        shutil.rmtree(root, ignore_errors=True)


@contextlib.asynccontextmanager
async def running_server(
    kind: str, root: Path, conf: dict[str, str] | None = None
) -> AsyncIterator[str]:
    """Yield the NameServer address of a server of ``kind`` (ours: started for the test)."""
    conf = dict(conf or {})
    if kind == "ours":
        overrides: dict[str, dict] = {"broker": {}, "store": {}}
        for key, value in conf.items():
            where, name, convert = _OURS[key]
            overrides[where][name] = convert(value)
        async with LocalCluster(
            root, broker_overrides=overrides["broker"], store_overrides=overrides["store"]
        ) as cluster:
            yield cluster.namesrv_addr
        return
    yield await shared_apache(conf)
