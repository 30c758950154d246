"""Our NameServer and broker judged by the official Java clients (rocketmq-client 4.9.8 and 5.3.3).

The drivers in tests/interop/java/client4 print one JSON line per message
sent or received; every received message must equal one that was sent (id,
body, tags, keys, user properties, queue position), none may be missing and,
on a clean run, none may arrive twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rocketmq._testbase.cluster import LocalCluster
from tests.interop import harness
from tests.interop.java_clients import CONSUMER_WAIT_S, consume_push, produce
from tests.interop.messages import assert_same_messages, unique

pytestmark = pytest.mark.interop

CLIENTS = ["client4", "client5"]  # the same drivers on rocketmq-client 4.9.8 and 5.3.3
TOPIC_QUEUES = 4  # DefaultMQProducer.defaultTopicQueueNums for auto-created topics


@pytest.fixture(scope="module", params=CLIENTS)
def client(request: pytest.FixtureRequest) -> str:
    """The Maven module whose client library the drivers run on, built."""
    harness.ensure_built(request.param)
    return request.param


@pytest.mark.timeout_s(180)
@pytest.mark.parametrize("serialize", ["JSON", "ROCKETMQ"])
async def test_producer_modes_then_push_consumer(
    client: str, serialize: str, tmp_path: Path
) -> None:
    """sync, async and oneway sends with tags, keys and user properties come back intact."""
    topic = unique("cy_modes")
    async with LocalCluster(tmp_path) as cluster:
        sent = await produce(
            client,
            cluster.namesrv_addr,
            topic,
            "--count",
            "10",
            "--modes",
            "sync,async,oneway",
            "--tags",
            "TagA,TagB",
            "--prop",
            "color=red",
            serialize=serialize,
        )
        assert len(sent) == 30
        assert {item["mode"] for item in sent} == {"sync", "async", "oneway"}
        received = await consume_push(
            client,
            cluster.namesrv_addr,
            topic,
            len(sent),
            "--group",
            unique("cy_push"),
            serialize=serialize,
        )
        assert_same_messages(sent, received)
        # The broker stored what the client sent, where it said it did.
        assert cluster.broker is not None and cluster.broker.store is not None
        stored = sum(
            cluster.broker.store.get_max_offset_in_queue(topic, queue_id)
            for queue_id in range(TOPIC_QUEUES)
        )
        assert stored == len(sent)


@pytest.mark.timeout_s(240)
async def test_two_push_consumers_split_queues_and_rebalance(client: str, tmp_path: Path) -> None:
    """Clustering: two members share the queues; when one stops the other takes them all."""
    topic = unique("cy_split")
    group = unique("cy_group")
    queues = 8
    async with LocalCluster(tmp_path) as cluster:
        namesrv = cluster.namesrv_addr
        # Create the topic first so both consumers see all of its queues at once.
        await produce(client, namesrv, topic, "--count", "0", "--create-topic", str(queues))
        members = [
            await harness.start_driver(
                "client4.PushConsumerDriver",
                "--namesrv",
                namesrv,
                "--topic",
                topic,
                "--group",
                group,
                "--instance",
                f"member-{index}",
                "--timeout-ms",
                "200000",
                module=client,
            )
            for index in range(2)
        ]
        first, second = members
        try:

            def assignments() -> list[list[int]]:
                return [
                    m.events("assigned")[-1]["queues"] if m.events("assigned") else []
                    for m in members
                ]

            def split_evenly() -> bool:
                held = assignments()
                return sorted(held[0] + held[1]) == list(range(queues)) and all(
                    len(h) == queues // 2 for h in held
                )

            for member in members:
                await member.wait_until(split_evenly, CONSUMER_WAIT_S, "an even queue split")

            sent = await produce(client, namesrv, topic, "--count", "40", "--modes", "sync")

            def received_all(count: int) -> bool:
                ids = {e["msgId"] for m in members for e in m.events("recv")}
                return len(ids) >= count

            await first.wait_until(lambda: received_all(len(sent)), CONSUMER_WAIT_S, "all 40")
            phase_one = first.events("recv") + second.events("recv")
            assert_same_messages(sent, phase_one)
            for member, held in zip(members, assignments(), strict=True):
                got = {e["queueId"] for e in member.events("recv")}
                assert got <= set(held), "a member received from a queue it did not hold"

            assert await second.stop() == 0, second.output
            await first.wait_until(
                lambda: first.events("assigned")[-1]["queues"] == list(range(queues)),
                CONSUMER_WAIT_S,
                "every queue after the other member stopped",
            )
            more = await produce(
                client, namesrv, topic, "--count", "20", "--modes", "sync", "--run", "after"
            )
            await first.wait_until(
                lambda: received_all(len(sent) + len(more)), CONSUMER_WAIT_S, "all 60"
            )
            assert_same_messages(sent + more, first.events("recv") + second.events("recv"))
        finally:
            for member in members:
                await member.stop()


@pytest.mark.timeout_s(180)
async def test_lite_pull_consumer(client: str, tmp_path: Path) -> None:
    topic = unique("cy_lite")
    async with LocalCluster(tmp_path) as cluster:
        sent = await produce(
            client,
            cluster.namesrv_addr,
            topic,
            "--count",
            "15",
            "--modes",
            "sync,async",
            "--tags",
            "TagA,TagB,TagC",
        )
        rc, out, err = await harness.run_java(
            "client4.LitePullDriver",
            "--namesrv",
            cluster.namesrv_addr,
            "--topic",
            topic,
            "--group",
            unique("cy_lite_group"),
            "--expect",
            str(len(sent)),
            module=client,
        )
        assert rc == 0 and "OK litepull" in out.splitlines(), f"{out}\n{err[-3000:]}"
        received = [e for e in harness.DriverProcess.parse(out) if e["event"] == "recv"]
        assert_same_messages(sent, received)


@pytest.mark.timeout_s(240)
async def test_tag_filtering(client: str, tmp_path: Path) -> None:
    """Push and lite pull consumers get exactly the messages their tag expression selects."""
    topic = unique("cy_tags")
    async with LocalCluster(tmp_path) as cluster:
        namesrv = cluster.namesrv_addr
        sent = await produce(
            client, namesrv, topic, "--count", "30", "--modes", "sync", "--tags", "TagA,TagB,TagC"
        )
        wanted = [item for item in sent if item["tags"] in ("TagA", "TagC")]
        assert len(wanted) == 20
        received = await consume_push(
            client,
            namesrv,
            topic,
            len(wanted),
            "--group",
            unique("cy_tag_push"),
            "--subscribe",
            "TagA || TagC",
        )
        assert_same_messages(wanted, received)

        only_b = [item for item in sent if item["tags"] == "TagB"]
        rc, out, err = await harness.run_java(
            "client4.LitePullDriver",
            "--namesrv",
            namesrv,
            "--topic",
            topic,
            "--group",
            unique("cy_tag_lite"),
            "--subscribe",
            "TagB",
            "--expect",
            str(len(only_b)),
            module=client,
        )
        assert rc == 0, f"{out}\n{err[-3000:]}"
        received = [e for e in harness.DriverProcess.parse(out) if e["event"] == "recv"]
        assert_same_messages(only_b, received)
