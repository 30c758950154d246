"""Our NameServer driven by the official Java rocketmq-remoting 5.3.3 classes.

The Java NamesrvDriver (tests/interop/java/remoting) registers brokers as
BrokerOuterAPI does (plain and compressed bodies with their CRC), decodes our
routes with TopicRouteData.decode for a new and an old client version, and
reads cluster info, the topic list and KV config with the library's own types.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rocketmq.namesrv import NamesrvConfig, NamesrvController
from tests.interop import harness

pytestmark = pytest.mark.interop

SCENARIOS = [
    "register_master",
    "register_slave",
    "register_compressed",
    "route_new_version",
    "route_old_version",
    "route_missing",
    "query_data_version",
    "cluster_info",
    "topic_list",
    "kv_config",
    "write_perm",
    "unregister",
]


@pytest.fixture(scope="module")
def java_built() -> str:
    return harness.ensure_built()


@pytest.mark.timeout_s(120)
@pytest.mark.parametrize("serialize", ["JSON", "ROCKETMQ"])
async def test_java_broker_and_admin_against_our_namesrv(
    java_built: str, serialize: str, tmp_path: Path
) -> None:
    config = NamesrvConfig(
        listen_host="127.0.0.1", listen_port=0, kv_config_path=tmp_path / "kvConfig.json"
    )
    async with NamesrvController(config) as namesrv:
        rc, out, err = await harness.run_java(
            "NamesrvDriver",
            "--namesrv",
            f"127.0.0.1:{namesrv.port}",
            "--serialize",
            serialize,
        )
        assert rc == 0, f"NamesrvDriver failed:\n{out}\n{err[-3000:]}"
        lines = out.splitlines()
        for name in SCENARIOS:
            assert f"OK {name}" in lines, out
        # The driver unregistered everything it registered.
        assert namesrv.route_info_manager.broker_live_table == {}
        assert namesrv.kv_config_manager.get("ORDER_TOPIC_CONFIG", "JOrder") == "broker-j:4"
