"""SQL92 filtering judged by the official Java clients (rocketmq-client 4.9.8 and 5.3.3).

Consumers subscribe with ``MessageSelector.bySql``. At start a Java consumer
sends CHECK_CLIENT_CONFIG (46) for the subscription and refuses to start
unless the broker answers SUCCESS, so a broker without
``enablePropertyFilter`` (code 1) or an expression that does not compile
(code 23) fails ``start()`` with that code and the broker's remark. Push
consumers then pull with the filter the heartbeat registered; lite pull
consumers send the expression with every pull (sysFlag 0x4).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rocketmq._testbase.cluster import LocalCluster
from tests.interop import harness
from tests.interop.java_clients import consume_push, produce
from tests.interop.messages import assert_same_messages, unique

pytestmark = pytest.mark.interop

CLIENTS = ["client4", "client5"]  # the same drivers on rocketmq-client 4.9.8 and 5.3.3
PROPERTY_FILTER = {"enable_property_filter": True}

# Run "eu": u_index 0..19, TagA on even indexes; run "us": u_index 0..9, all TagA.
SELECTOR = (
    "(region = 'eu' AND u_index BETWEEN 3 AND 12 AND TAGS IN ('TagA'))"
    " OR (region = 'us' AND u_index > 7 AND no_such_property IS NULL)"
)


def selected(item: dict) -> bool:
    """SELECTOR, in Python, on a ProducerDriver ``sent`` line."""
    index = int(item["props"]["u_index"])
    if item["props"]["region"] == "eu":
        return 3 <= index <= 12 and item["tags"] == "TagA"
    return index > 7


@pytest.fixture(scope="module", params=CLIENTS)
def client(request: pytest.FixtureRequest) -> str:
    """The Maven module whose client library the drivers run on, built."""
    harness.ensure_built(request.param)
    return request.param


async def produce_regions(client: str, namesrv: str, topic: str) -> list[dict]:
    eu = await produce(
        client, namesrv, topic, "--count", "20", "--modes", "sync", "--tags", "TagA,TagB",
        "--prop", "region=eu",
    )  # fmt: skip
    us = await produce(
        client, namesrv, topic, "--count", "10", "--modes", "sync", "--tags", "TagA",
        "--prop", "region=us",
    )  # fmt: skip
    return eu + us


async def lite_pull(client: str, namesrv: str, topic: str, *args: str) -> tuple[int, list, str]:
    rc, out, err = await harness.run_java(
        "client4.LitePullDriver", "--namesrv", namesrv, "--topic", topic, *args, module=client
    )
    return rc, harness.DriverProcess.parse(out), f"{out}\n{err[-3000:]}"


async def push_that_cannot_start(client: str, namesrv: str, topic: str, sql: str) -> dict:
    rc, out, err = await harness.run_java(
        "client4.PushConsumerDriver",
        "--namesrv", namesrv, "--topic", topic, "--group", unique("cy_sql_fail"),
        "--sql", sql, "--expect", "1", "--timeout-ms", "20000",
        module=client,
    )  # fmt: skip
    events = harness.DriverProcess.parse(out)
    failures = [event for event in events if event["event"] == "start_failed"]
    assert rc != 0 and len(failures) == 1, f"{out}\n{err[-3000:]}"
    assert not [event for event in events if event["event"] == "started"]
    return failures[0]


@pytest.mark.timeout_s(240)
async def test_consumers_receive_exactly_the_matching_messages(client: str, tmp_path: Path) -> None:
    topic = unique("cy_sql")
    async with LocalCluster(tmp_path, broker_overrides=PROPERTY_FILTER) as cluster:
        namesrv = cluster.namesrv_addr
        sent = await produce_regions(client, namesrv, topic)
        wanted = [item for item in sent if selected(item)]
        assert len(wanted) == 7  # eu 4, 6, 8, 10, 12 and us 8, 9

        received = await consume_push(
            client, namesrv, topic, len(wanted), "--group", unique("cy_sql_push"),
            "--sql", SELECTOR,
        )  # fmt: skip
        assert_same_messages(wanted, received)

        # Lite pull sends the expression with each pull (the broker compiles it there).
        rc, events, output = await lite_pull(
            client, namesrv, topic, "--group", unique("cy_sql_lite"), "--sql", SELECTOR,
            "--expect", str(len(wanted)),
        )  # fmt: skip
        assert rc == 0, output
        assert_same_messages(wanted, [event for event in events if event["event"] == "recv"])


@pytest.mark.timeout_s(120)
async def test_sql_subscription_refused_without_enable_property_filter(
    client: str, tmp_path: Path
) -> None:
    topic = unique("cy_sql_off")
    async with LocalCluster(tmp_path) as cluster:
        # The topic must have a route: the client asks a broker that serves it.
        await produce(client, cluster.namesrv_addr, topic, "--count", "1", "--modes", "sync")
        failure = await push_that_cannot_start(client, cluster.namesrv_addr, topic, "u_index > 1")
        assert failure["responseCode"] == 1
        assert failure["error"] == (
            "The broker does not support consumer to filter message by SQL92"
        )


@pytest.mark.timeout_s(120)
async def test_invalid_sql_is_rejected_at_start(client: str, tmp_path: Path) -> None:
    topic = unique("cy_sql_bad")
    async with LocalCluster(tmp_path, broker_overrides=PROPERTY_FILTER) as cluster:
        namesrv = cluster.namesrv_addr
        await produce(client, namesrv, topic, "--count", "1", "--modes", "sync")
        failure = await push_that_cannot_start(client, namesrv, topic, "u_index > 'x'")
        assert failure["responseCode"] == 23
        assert failure["error"] == (
            "Invalid MessageSelector. Value ''x'' cannot be compared. (line 1, column 9)"
        )
        rc, events, output = await lite_pull(
            client, namesrv, topic, "--group", unique("cy_sql_lite_bad"),
            "--sql", "u_index BETWEEN 1 AND", "--expect", "1", "--timeout-ms", "20000",
        )  # fmt: skip
        failures = [event for event in events if event["event"] == "start_failed"]
        assert rc != 0 and len(failures) == 1, output
        assert failures[0]["responseCode"] == 23
        assert "Encountered end of expression" in failures[0]["error"]
