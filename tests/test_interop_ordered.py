"""Ordered consumption: queue locks (LOCK_BATCH_MQ 41 / UNLOCK_BATCH_MQ 42) and orderly consumers.

The producer puts every message of a sharding key (user property u_shard) on
one queue, in send order (MessageQueueSelector, sync sends). What RocketMQ
promises an orderly consumer group (clustering), and what the tests assert:

* a member consumes a queue only while it holds the queue's lock on the
  broker, and a lock has one holder: two members never take messages of one
  queue at the same time (the old member's deliveries all start before the
  new member's first);
* one member consumes a queue in queue-offset order, every message (so a
  key's messages in send order);
* when a queue changes hands the new member resumes from the offset the old
  one last committed to the broker. Delivery is at least once: what the old
  member took after that commit (a stopping member's listener call can
  outlast its lock) arrives again, in order, at the start of the new
  member's run. Nothing is skipped.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest

from rocketmq._core import remoting as codec
from rocketmq._testbase.cluster import LocalCluster
from rocketmq.broker import rebalance_lock
from rocketmq.broker.processor.lock import LOCK_BATCH_QUEUES_MAX
from rocketmq.broker.rebalance_lock import RebalanceLockManager
from rocketmq.common import json_body
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.common.message_queue import MessageQueue
from rocketmq.remoting import RemotingClient
from tests.interop import harness
from tests.interop.java_clients import CONSUMER_WAIT_S, produce
from tests.interop.messages import assert_same_messages, unique, user_props

pytestmark = pytest.mark.interop

RemotingCommand = codec.RemotingCommand

CLIENTS = ["client4", "client5"]  # the same drivers on rocketmq-client 4.9.8 and 5.3.3
BROKER_NAME = "broker-a"  # LocalCluster's broker
QUEUES = 8
ORDER_KEYS = 12  # more keys than queues: some queues carry two keys, interleaved
# Members retry a queue another member still held this much later (20 s upstream).
REBALANCE_INTERVAL_MS = 1000
DRIVER_TIMEOUT_MS = 240_000


@pytest.fixture(scope="module", params=CLIENTS)
def client(request: pytest.FixtureRequest) -> str:
    """The Maven module whose client library the drivers run on, built."""
    harness.ensure_built(request.param)
    return request.param


async def start_orderly(
    client: str, namesrv: str, topic: str, group: str, instance: str, *args: str
) -> harness.DriverProcess:
    return await harness.start_driver(
        "client4.OrderlyConsumerDriver",
        "--namesrv",
        namesrv,
        "--topic",
        topic,
        "--group",
        group,
        "--instance",
        instance,
        "--rebalance-interval-ms",
        str(REBALANCE_INTERVAL_MS),
        "--timeout-ms",
        str(DRIVER_TIMEOUT_MS),
        *args,
        module=client,
    )


async def produce_ordered(
    client: str, namesrv: str, topic: str, count: int, run: str
) -> list[dict]:
    sent = await produce(
        client, namesrv, topic, "--count", str(count), "--modes", "sync",
        "--order-keys", str(ORDER_KEYS), "--run", run,
    )  # fmt: skip
    assert len(sent) == count
    return sent


async def eventually(predicate: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Poll broker state until ``predicate`` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"no {what} within {timeout} s")
        await asyncio.sleep(0.05)


def client_id(driver: harness.DriverProcess) -> str:
    return driver.events("started")[0]["clientId"]


def held(driver: harness.DriverProcess) -> list[int]:
    """The queues the driver last said it holds (pulls and has locked)."""
    assigned = driver.events("assigned")
    return assigned[-1]["queues"] if assigned else []


def topic_locks(cluster: LocalCluster, group: str, topic: str) -> dict[int, str]:
    """Queue id -> client id of the broker's unexpired locks of ``group`` on ``topic``."""
    assert cluster.broker is not None
    holders = cluster.broker.rebalance_lock_manager.holders(group)
    return {queue.queue_id: cid for queue, cid in holders.items() if queue.topic == topic}


def sent_order(sent: list[dict]) -> dict[str, list[str]]:
    """Sharding key -> msgIds in send order; checks the producer kept each key on one queue."""
    by_key: dict[str, list[dict]] = defaultdict(list)
    for item in sent:
        by_key[item["props"]["u_shard"]].append(item)
    assert len(by_key) == ORDER_KEYS
    for key, items in by_key.items():
        assert len({item["queueId"] for item in items}) == 1, f"{key} spread over queues"
        offsets = [item["queueOffset"] for item in items]
        assert offsets == sorted(set(offsets)), f"{key} stored out of send order: {offsets}"
    return {key: [item["msgId"] for item in items] for key, items in by_key.items()}


def first_deliveries(received: list[dict]) -> list[dict]:
    """Each msgId's first delivery; a redelivery must equal it."""
    first: dict[str, dict] = {}
    for got in received:
        seen = first.setdefault(got["msgId"], got)
        for field in ("body", "queueId", "queueOffset"):
            assert got[field] == seen[field], (field, got["msgId"])
        assert user_props(got["props"]) == user_props(seen["props"]), got["msgId"]
    return list(first.values())


def assert_runs(
    members: list[harness.DriverProcess],
    stream_of: Callable[[dict], tuple[object, int]],
    lengths: dict[object, int],
) -> int:
    """Check the ordered-consumption promise on streams (a key's messages, a queue's offsets).

    ``stream_of(recv)`` gives (stream, position in the stream). Each member's
    deliveries of a stream must be one run of consecutive positions; runs of
    different members must not overlap in time; a later run starts at most one
    past the furthest position delivered so far (it may go back: redelivery
    from the committed offset); together they cover every position. Returns
    how many deliveries were redeliveries.
    """
    runs: dict[object, list[tuple[int, int, int, int, str]]] = defaultdict(list)
    for member in members:
        by_stream: dict[object, list[tuple[int, int]]] = defaultdict(list)
        for got in member.events("recv"):
            stream, position = stream_of(got)
            by_stream[stream].append((position, got["receivedAt"]))
        for stream, items in by_stream.items():
            positions = [position for position, _ in items]
            assert positions == list(range(positions[0], positions[0] + len(positions))), (
                f"{member.name}: {stream} delivered out of order or with gaps: {positions}"
            )
            runs[stream].append(
                (items[0][1], items[-1][1], positions[0], positions[-1], client_id(member))
            )
    assert set(runs) == set(lengths)
    redelivered = 0
    for stream, stream_runs in runs.items():
        stream_runs.sort()
        furthest = -1
        previous: tuple[int, int, int, int, str] | None = None
        for run in stream_runs:
            first_at, _last_at, first, last, _member = run
            if previous is not None:
                assert previous[1] <= first_at, f"{stream} consumed by two members at once: {runs}"
            assert first <= furthest + 1, f"{stream} skipped positions: {stream_runs}"
            redelivered += max(0, min(furthest, last) - first + 1)
            furthest = max(furthest, last)
            previous = run
        assert furthest == lengths[stream] - 1, f"{stream} not delivered to the end: {stream_runs}"
    return redelivered


@pytest.mark.timeout_s(180)
async def test_orderly_consumer_receives_each_key_in_send_order(
    client: str, tmp_path: Path
) -> None:
    topic = unique("cy_order")
    group = unique("cy_orderly")
    async with LocalCluster(tmp_path) as cluster:
        namesrv = cluster.namesrv_addr
        await produce(client, namesrv, topic, "--count", "0", "--create-topic", str(QUEUES))
        count = 96
        consumer = await start_orderly(
            client, namesrv, topic, group, "solo", "--expect", str(count)
        )
        try:
            await consumer.wait_until(
                lambda: held(consumer) == list(range(QUEUES)), CONSUMER_WAIT_S, "every queue"
            )
            # The client locked every queue it consumes, under its own client id.
            me = client_id(consumer)
            assert topic_locks(cluster, group, topic) == dict.fromkeys(range(QUEUES), me)
            sent = await produce_ordered(client, namesrv, topic, count, "one")
            order = sent_order(sent)
            await consumer.wait_until(
                lambda: bool(consumer.events("summary")), CONSUMER_WAIT_S, "summary"
            )
        finally:
            rc = await consumer.stop()
        assert rc == 0 and "OK orderlyconsumer" in consumer.lines, consumer.output
        received = consumer.events("recv")
        # Every message once, intact, from the queue position the producer was told.
        assert_same_messages(sent, received)
        for key, msg_ids in order.items():
            got = [item["msgId"] for item in received if item["props"]["u_shard"] == key]
            assert got == msg_ids, f"{key} out of send order"
            indexes = [
                int(item["props"]["u_index"])
                for item in received
                if item["props"]["u_shard"] == key
            ]
            assert indexes == sorted(indexes)
        # Shutdown unlocked the topic's queues. (Not always the retry topic's: the client's
        # rebalance thread may lock %RETRY%group once its route arrives, after the unlock.)
        assert topic_locks(cluster, group, topic) == {}


@pytest.mark.timeout_s(300)
async def test_two_orderly_consumers_hand_queues_over_in_order(client: str, tmp_path: Path) -> None:
    """One member stops while both are consuming: the other takes its queues over."""
    topic = unique("cy_order_rb")
    group = unique("cy_orderly_rb")
    async with LocalCluster(tmp_path) as cluster:
        namesrv = cluster.namesrv_addr
        await produce(client, namesrv, topic, "--count", "0", "--create-topic", str(QUEUES))
        # Each delivery takes 500 ms, so the second member is stopped mid-way even when
        # its JVM is slow to see the stop (its share is ~48: seconds of work).
        members = [
            await start_orderly(
                client, namesrv, topic, group, f"member-{index}", "--consume-delay-ms", "500"
            )
            for index in range(2)
        ]
        first, second = members
        try:

            def split_evenly() -> bool:
                queues = [held(member) for member in members]
                return sorted(queues[0] + queues[1]) == list(range(QUEUES)) and all(
                    len(q) == QUEUES // 2 for q in queues
                )

            await first.wait_until(split_evenly, CONSUMER_WAIT_S, "an even queue split")
            first_held, second_held = held(first), held(second)
            # The broker's lock table says the same: each queue locked by its member alone.
            expected = {q: client_id(first) for q in first_held}
            expected.update({q: client_id(second) for q in second_held})
            await eventually(lambda: topic_locks(cluster, group, topic) == expected, "split locks")

            # Stop the second member while its messages are still arriving.
            producing = asyncio.ensure_future(produce_ordered(client, namesrv, topic, 96, "one"))
            try:
                await second.wait_until(
                    lambda: len(second.events("recv")) >= 8, CONSUMER_WAIT_S, "8 deliveries"
                )
                assert await second.stop() == 0, second.output
            finally:
                sent = await producing
            second_share = sum(1 for item in sent if item["queueId"] in second_held)
            assert {got["queueId"] for got in second.events("recv")} <= set(second_held)
            await first.wait_until(
                lambda: held(first) == list(range(QUEUES)), CONSUMER_WAIT_S, "every queue"
            )
            # The stopped member unlocked its queues; the survivor holds them all.
            await eventually(
                lambda: (
                    topic_locks(cluster, group, topic)
                    == dict.fromkeys(range(QUEUES), client_id(first))
                ),
                "the survivor's locks",
            )

            sent += await produce_ordered(client, namesrv, topic, 48, "two")

            def received_all() -> bool:
                ids = {got["msgId"] for member in members for got in member.events("recv")}
                return len(ids) >= len(sent)

            await first.wait_until(received_all, CONSUMER_WAIT_S, f"all {len(sent)}")
        finally:
            for member in members:
                await member.stop()
        received = first.events("recv") + second.events("recv")
        stopped_at = len({got["msgId"] for got in second.events("recv")})
        assert 0 < stopped_at < second_share, "the second member was not stopped mid-way"
        assert_same_messages(sent, first_deliveries(received))

        order = sent_order(sent)
        rank = {msg_id: (key, n) for key, ids in order.items() for n, msg_id in enumerate(ids)}
        by_key = assert_runs(
            members, lambda got: rank[got["msgId"]], {key: len(ids) for key, ids in order.items()}
        )
        queue_lengths: dict[object, int] = defaultdict(int)
        for item in sent:
            queue_lengths[item["queueId"]] += 1
        by_queue = assert_runs(
            members, lambda got: (got["queueId"], got["queueOffset"]), dict(queue_lengths)
        )
        duplicates = len(received) - len(sent)
        assert by_key == by_queue == duplicates, (by_key, by_queue, duplicates)


def lock_body(group: str, client: str, queue_ids: list[int], **extra: object) -> bytes:
    queues = [{"brokerName": BROKER_NAME, "queueId": q, "topic": "T"} for q in queue_ids]
    return json_body.dumps({"clientId": client, "consumerGroup": group, "mqSet": queues, **extra})


def queue_ids(response: RemotingCommand) -> list[int]:
    assert response.code == ResponseCode.SUCCESS, response.remark
    queues = [
        MessageQueue.from_json(item) for item in json_body.loads(response.body)["lockOKMQSet"]
    ]
    assert all(queue.topic == "T" and queue.broker_name == BROKER_NAME for queue in queues)
    return sorted(queue.queue_id for queue in queues)


@pytest.mark.timeout_s(60)
async def test_lock_batch_mq_over_the_socket(tmp_path: Path) -> None:
    """Two clients compete for queues through the wire; an unrefreshed lock expires."""
    live_ms = 1500
    overrides = {"rebalance_lock_max_live_time_ms": live_ms}
    async with (
        LocalCluster(tmp_path, broker_overrides=overrides) as cluster,
        RemotingClient() as one,
        RemotingClient() as two,
    ):
        addr = cluster.broker_addr
        manager = cluster.broker.rebalance_lock_manager

        async def lock(via: RemotingClient, cid: str, ids: list[int], group: str = "G", **extra):
            body = lock_body(group, cid, ids, **extra)
            return queue_ids(
                await via.invoke(addr, RemotingCommand(RequestCode.LOCK_BATCH_MQ, body=body))
            )

        async def unlock(via: RemotingClient, cid: str, ids: list[int]) -> None:
            request = RemotingCommand(RequestCode.UNLOCK_BATCH_MQ, body=lock_body("G", cid, ids))
            response = await via.invoke(addr, request)
            assert response.code == ResponseCode.SUCCESS and not response.body

        # 4.x bodies have no onlyThisBroker; 5.x ones do.
        assert await lock(one, "c1", [0, 1]) == [0, 1]
        assert await lock(two, "c2", [1, 2], onlyThisBroker=True) == [2]
        assert await lock(one, "c1", [0, 1, 2]) == [0, 1]
        assert await lock(two, "c2", [0], group="G2") == [0]  # groups do not share locks
        assert await lock(one, "c1", []) == []

        # Unlocking frees only the asker's own queues.
        await unlock(two, "c2", [0, 1])
        assert {q.queue_id: cid for q, cid in manager.holders("G").items()} == {
            0: "c1", 1: "c1", 2: "c2"
        }  # fmt: skip
        # Java clients unlock oneway; the next request on that connection comes after it.
        oneway = RemotingCommand(RequestCode.UNLOCK_BATCH_MQ, body=lock_body("G", "c1", [0]))
        await one.invoke_oneway(addr, oneway)
        assert await lock(one, "c1", []) == []
        assert await lock(two, "c2", [0]) == [0]

        # A lock outlives its connection; refreshing keeps it past the max live time.
        # The lock table's clock is stepped by hand: sleeps would race a loaded machine.
        now_ms = [manager._clock()]
        manager._clock = lambda: now_ms[0]
        await one.close()
        async with RemotingClient() as again:
            assert await lock(again, "c1", [1]) == [1]
            now_ms[0] += live_ms * 55 // 100
            assert await lock(again, "c1", [1]) == [1]  # refreshed
            now_ms[0] += live_ms * 55 // 100
            assert await lock(two, "c2", [1]) == []  # held longer than live_ms, not stale
            now_ms[0] += live_ms * 12 // 10
            assert await lock(two, "c2", [1]) == [1]  # stale: taken over
            assert await lock(again, "c1", [1]) == []

        # A malformed or oversized body is a SYSTEM_ERROR, like upstream's decode failure.
        too_many = lock_body("G", "c2", list(range(LOCK_BATCH_QUEUES_MAX + 1)))
        for body in (b"[]", json_body.dumps({"consumerGroup": "G", "mqSet": []}), b"{", too_many):
            response = await two.invoke(addr, RemotingCommand(RequestCode.LOCK_BATCH_MQ, body=body))
            assert response.code == ResponseCode.SYSTEM_ERROR


def test_lock_table_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A full lock table drops expired entries first, then refuses new locks (not refreshes)."""
    monkeypatch.setattr(rebalance_lock, "LOCK_ENTRIES_MAX", 2)
    now = [0]
    manager = RebalanceLockManager(100, clock=lambda: now[0])
    queues = [MessageQueue("T", BROKER_NAME, q) for q in range(3)]
    assert manager.try_lock_batch("G", queues, "c1") == set(queues[:2])
    now[0] = 50
    assert manager.try_lock_batch("G", queues, "c1") == set(queues[:2])  # refreshed, still full
    assert manager.try_lock_batch("G2", queues[:1], "c2") == set()
    now[0] = 151
    assert manager.try_lock_batch("G2", queues[:1], "c2") == set(queues[:1])
    assert manager.holders("G") == {}
    assert manager.holders("G2") == {queues[0]: "c2"}
