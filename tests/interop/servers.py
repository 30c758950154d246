"""One NameServer + broker of either kind, so client tests run one body against both.

``"ours"`` is a LocalCluster in the test's loop; ``"apache"`` is Apache
RocketMQ 4.9.7 from Maven Central (tests/interop/java/apache) in a JVM. Both
get the same settings, given by their upstream key names in ``conf``:
``messageDelayLevel``, ``transactionCheckInterval``, ``transactionTimeOut``.
"""

from __future__ import annotations

import contextlib
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


@contextlib.asynccontextmanager
async def running_server(
    kind: str, root: Path, conf: dict[str, str] | None = None
) -> AsyncIterator[str]:
    """Start a server of ``kind``; yield its NameServer address; stop it."""
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
    process, namesrv = await harness.start_apache_cluster(root, conf)
    try:
        yield namesrv
    finally:
        await process.stop()
