"""Our NameServer and broker judged by the official Go client (rocketmq-client-go/v2 v2.1.2).

The programs in tests/interop/go print one JSON line per message sent or
received; every received message must equal one that was sent (msgId, body,
tags, keys, user properties, queue position, offsetMsgId), none may be missing
and, on a clean run, none may arrive twice. Messages also cross between the Go
client and the Java one (rocketmq-client 4.9.8, tests/interop/java/client4) in
both directions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from rocketmq._testbase.cluster import LocalCluster
from tests.interop import go_harness, harness
from tests.interop.java_clients import consume_push, produce
from tests.interop.messages import (
    assert_same_messages,
    decode_offset_msg_id,
    unique,
)

pytestmark = pytest.mark.interop

JAVA_MODULE = "client4"
CONSUMER_WAIT_S = 60.0
STATE_WAIT_S = 30.0  # the Go client first persists offsets 10 s after start


@pytest.fixture(scope="module")
def go_built() -> Path:
    return go_harness.ensure_built()


@pytest.fixture(scope="module")
def java_built() -> str:
    return harness.ensure_built(JAVA_MODULE)


async def go_produce(namesrv: str, topic: str, count: int, tags: str, run: str) -> list[dict]:
    """Run the Go producer to completion; return its ``sent`` lines."""
    rc, out, err = await go_harness.run_go(
        "producer",
        "-namesrv",
        namesrv,
        "-topic",
        topic,
        "-count",
        str(count),
        "-tags",
        tags,
        "-run",
        run,
    )
    assert rc == 0 and "OK producer" in out.splitlines(), (
        f"Go producer failed (exit {rc}):\n{out}\n{err[-3000:]}"
    )
    sent = [line for line in harness.DriverProcess.parse(out) if line["event"] == "sent"]
    assert len(sent) == count, out
    return sent


async def go_consume(
    namesrv: str, topic: str, group: str, expect: int, *args: str, timeout: float = CONSUMER_WAIT_S
) -> tuple[list[dict], dict]:
    """Run the Go push consumer until ``expect`` distinct messages (or the timeout).

    Returns its ``recv`` lines and its summary. With ``expect`` 0 it runs for
    the whole ``timeout`` and succeeds whatever it received.
    """
    rc, out, err = await go_harness.run_go(
        "pushconsumer",
        "-namesrv",
        namesrv,
        "-topic",
        topic,
        "-group",
        group,
        "-expect",
        str(expect),
        "-timeout",
        f"{timeout}s",
        *args,
        timeout=timeout + 60,
    )
    assert rc == 0 and "OK pushconsumer" in out.splitlines(), (
        f"Go push consumer failed (exit {rc}):\n{out}\n{err[-3000:]}"
    )
    lines = harness.DriverProcess.parse(out)
    summaries = [line for line in lines if line["event"] == "summary"]
    assert len(summaries) == 1, out
    return [line for line in lines if line["event"] == "recv"], summaries[0]


def assert_send_results(cluster: LocalCluster, topic: str, sent: list[dict]) -> None:
    """The SEND_MESSAGE responses as the Go client decoded them match what the broker stored."""
    broker = cluster.broker
    assert broker is not None and broker.store is not None
    config = broker.topic_config_manager.select(topic)
    assert config is not None, f"topic {topic} was not auto-created"
    by_queue: dict[int, list[int]] = {}
    for item in sent:
        assert item["brokerName"] == "broker-a"
        assert 0 <= item["queueId"] < config.write_queue_nums, item
        by_queue.setdefault(item["queueId"], []).append(item["queueOffset"])
        ip, port, _ = decode_offset_msg_id(item["offsetMsgId"])
        assert (ip, port) == ("127.0.0.1", broker.port), item["offsetMsgId"]
    for queue_id, offsets in by_queue.items():
        # Offsets within a queue are consecutive from 0, as the store assigned them.
        assert sorted(offsets) == list(range(len(offsets))), (queue_id, offsets)
        assert broker.store.get_max_offset_in_queue(topic, queue_id) == len(offsets)
    commit_log_offsets = {decode_offset_msg_id(item["offsetMsgId"])[2] for item in sent}
    assert len(commit_log_offsets) == len(sent), "two messages share a commit log offset"


async def eventually(predicate: Callable[[], bool], what: Callable[[], str]) -> None:
    """Poll ``predicate`` until it holds; fail with ``what()`` after STATE_WAIT_S."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STATE_WAIT_S
    while not predicate():
        assert loop.time() < deadline, what()
        await asyncio.sleep(0.1)


def committed_offsets(cluster: LocalCluster, group: str, topic: str, queues: set[int]) -> dict:
    broker = cluster.broker
    assert broker is not None
    return {q: broker.consumer_offset_manager.query_offset(group, topic, q) for q in queues}


@pytest.mark.timeout_s(240)
async def test_go_producer_then_go_push_consumer(go_built: Path, tmp_path: Path) -> None:
    """20 messages with tags, keys and user properties come back intact, once each."""
    topic = unique("cy_go_all")
    group = unique("cy_go_push")
    run = unique("run")
    async with LocalCluster(tmp_path) as cluster:
        sent = await go_produce(cluster.namesrv_addr, topic, 20, "TagA,TagB", run)
        assert [item["tags"] for item in sent] == ["TagA", "TagB"] * 10
        assert [item["keys"] for item in sent] == [f"key-{run}-{i} alt-{i}" for i in range(20)]
        assert len({item["body"] for item in sent}) == 20
        assert_send_results(cluster, topic, sent)

        want: dict[int, int] = {}  # queueId -> offset past its last message
        for item in sent:
            want[item["queueId"]] = max(want.get(item["queueId"], 0), item["queueOffset"] + 1)

        # In the background: the consumer keeps running until SIGTERM.
        consumer = await go_harness.start_go(
            "pushconsumer",
            "-namesrv",
            cluster.namesrv_addr,
            "-topic",
            topic,
            "-group",
            group,
            "-timeout",
            "300s",
        )
        try:
            await consumer.wait_until(
                lambda: len({e["msgId"] for e in consumer.events("recv")}) >= len(sent),
                CONSUMER_WAIT_S,
                f"{len(sent)} messages",
            )
            # The client persists its offsets 10 s after it started, then every
            # 5 s (UPDATE_CONSUMER_OFFSET over the live connection). Not at
            # shutdown: those last updates race the client closing its socket
            # (see the Go client notes in tests/interop/go_harness.py).
            await eventually(
                lambda: committed_offsets(cluster, group, topic, set(want)) == want,
                lambda: (
                    f"committed {committed_offsets(cluster, group, topic, set(want))}, want {want}"
                ),
            )
        finally:
            rc = await consumer.stop()
        assert rc == 0 and "OK pushconsumer" in consumer.lines, consumer.output
        assert consumer.events("summary") == [
            {"event": "summary", "distinct": 20, "deliveries": 20, "duplicates": 0}
        ]
        received = consumer.events("recv")
        assert_same_messages(sent, received)
        assert cluster.broker is not None
        for got in received:
            assert got["reconsumeTimes"] == 0
            ip, port, offset = decode_offset_msg_id(got["offsetMsgId"])
            assert (ip, port) == ("127.0.0.1", cluster.broker.port)
            assert offset == got["commitLogOffset"]
            assert got["storeHost"] == cluster.broker_addr

        # Its connection closed, which took it out of the group.
        broker = cluster.broker
        assert broker is not None
        await eventually(
            lambda: broker.consumer_manager.find(group) is None,
            lambda: f"group {group} still has members after its consumer exited",
        )
        # A new (now the only) member of the group resumes there and gets nothing again.
        again, summary = await go_consume(cluster.namesrv_addr, topic, group, 0, timeout=4.0)
        assert again == [], again
        assert summary["distinct"] == 0


@pytest.mark.timeout_s(180)
async def test_go_push_consumer_tag_filter(go_built: Path, tmp_path: Path) -> None:
    """A consumer subscribed to "TagA" receives exactly the TagA messages."""
    topic = unique("cy_go_tags")
    async with LocalCluster(tmp_path) as cluster:
        sent = await go_produce(cluster.namesrv_addr, topic, 20, "TagA,TagB", unique("run"))
        wanted = [item for item in sent if item["tags"] == "TagA"]
        assert len(wanted) == 10
        received, summary = await go_consume(
            cluster.namesrv_addr,
            topic,
            unique("cy_go_tag_push"),
            len(wanted),
            "-subscribe",
            "TagA",
        )
        assert {got["tags"] for got in received} == {"TagA"}
        assert summary["duplicates"] == 0
        assert_same_messages(wanted, received)


@pytest.mark.timeout_s(240)
async def test_go_producer_then_java_push_consumer(
    go_built: Path, java_built: str, tmp_path: Path
) -> None:
    """What the Go client sent, the Java client receives intact."""
    topic = unique("cy_go2java")
    async with LocalCluster(tmp_path) as cluster:
        sent = await go_produce(cluster.namesrv_addr, topic, 12, "TagA,TagB,TagC", unique("run"))
        assert_send_results(cluster, topic, sent)
        received = await consume_push(
            JAVA_MODULE, cluster.namesrv_addr, topic, len(sent), "--group", unique("cy_java_push")
        )
        assert_same_messages(sent, received)
        offsets = {item["msgId"]: decode_offset_msg_id(item["offsetMsgId"])[2] for item in sent}
        for got in received:
            assert got["reconsumeTimes"] == 0
            assert got["commitLogOffset"] == offsets[got["msgId"]]


@pytest.mark.timeout_s(240)
async def test_java_producer_then_go_push_consumer(
    go_built: Path, java_built: str, tmp_path: Path
) -> None:
    """What the Java client sent (sync, async and oneway), the Go client receives intact."""
    topic = unique("cy_java2go")
    async with LocalCluster(tmp_path) as cluster:
        sent = await produce(
            JAVA_MODULE,
            cluster.namesrv_addr,
            topic,
            "--count",
            "8",
            "--modes",
            "sync,async,oneway",
            "--tags",
            "TagA,TagB",
        )
        assert len(sent) == 24
        received, summary = await go_consume(
            cluster.namesrv_addr, topic, unique("cy_go_push"), len(sent)
        )
        assert summary["duplicates"] == 0
        # The Java driver reports only the user properties it set itself.
        assert_same_messages(sent, received)
