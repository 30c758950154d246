"""Delayed messages, retry and the dead-letter queue, judged by the official Java client.

The broker runs with short ``messageDelayLevel`` tables so that retries and
delays take seconds: the mechanism (SCHEDULE_TOPIC_XXXX, delayOffset.json,
%RETRY%/%DLQ% topics) is the one the default table uses.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rocketmq._testbase.cluster import LocalCluster
from rocketmq.broker.schedule import ScheduleMessageService
from rocketmq.common.topic import SCHEDULE_TOPIC
from tests.interop import harness
from tests.interop.java_clients import CONSUMER_WAIT_S, consume_push, produce
from tests.interop.messages import assert_same_messages, unique

pytestmark = pytest.mark.interop

CLIENT = "client4"
# Clock difference tolerated between the client's born time and the broker's store time.
CLOCK_SLACK_MS = 200


@pytest.fixture(scope="module")
def client() -> str:
    harness.ensure_built(CLIENT)
    return CLIENT


def without_queue_position(sent: list[dict]) -> list[dict]:
    """A delayed send reports its place in SCHEDULE_TOPIC_XXXX, not in the real queue."""
    return [{k: v for k, v in item.items() if k not in ("queueId", "queueOffset")} for item in sent]


def schedule(cluster: LocalCluster) -> ScheduleMessageService:
    assert cluster.broker is not None
    return cluster.broker.schedule


@pytest.mark.timeout_s(180)
async def test_delayed_messages_arrive_after_their_level(client: str, tmp_path: Path) -> None:
    levels = "1s 2s 3s"
    async with LocalCluster(tmp_path, store_overrides={"message_delay_level": levels}) as cluster:
        namesrv = cluster.namesrv_addr
        topic = unique("cy_delay")
        sent = await produce(client, namesrv, topic, "--count", "6", "--modes", "sync",
                             "--delay-level", "2")  # fmt: skip
        # A level past the table's end is capped at its last level.
        capped = await produce(client, namesrv, topic, "--count", "3", "--modes", "sync",
                               "--delay-level", "9", "--run", "capped")  # fmt: skip
        store = cluster.broker.store
        assert store.get_max_offset_in_queue(SCHEDULE_TOPIC, 1) == 6
        assert store.get_max_offset_in_queue(SCHEDULE_TOPIC, 2) == 3
        received = await consume_push(client, namesrv, topic, 9, "--group", unique("cy_delay_g"))
        assert_same_messages(without_queue_position(sent + capped), received)
        delays = {item["msgId"]: 2000 if item in sent else 3000 for item in sent + capped}
        for got in received:
            waited = got["storeTimestamp"] - got["bornTimestamp"]
            assert waited >= delays[got["msgId"]] - CLOCK_SLACK_MS, got
            assert got["props"]["REAL_TOPIC"] == topic
            assert "DELAY" not in got["props"]
        assert schedule(cluster).offsets == {1: 0, 2: 6, 3: 3}


@pytest.mark.timeout_s(180)
async def test_delay_progress_survives_a_restart(client: str, tmp_path: Path) -> None:
    """Messages delivered before a restart are not delivered again; those still due are."""
    # Level 3 must stay undue across a JVM's exit and a broker restart on a loaded machine.
    levels = "1s 2s 12s"
    async with LocalCluster(tmp_path, store_overrides={"message_delay_level": levels}) as cluster:
        namesrv = cluster.namesrv_addr
        topic = unique("cy_delay_restart")
        early = await produce(client, namesrv, topic, "--count", "5", "--modes", "sync",
                              "--delay-level", "1", "--run", "early")  # fmt: skip
        await harness.poll_until(lambda: schedule(cluster).delivered >= 5, "early delayed messages")
        late = await produce(client, namesrv, topic, "--count", "5", "--modes", "sync",
                             "--delay-level", "3", "--run", "late")  # fmt: skip
        await cluster.restart_broker()
        saved = (cluster.root / "broker" / "config" / "delayOffset.json").read_text()
        assert '"1":5' in saved.replace(" ", "")
        assert schedule(cluster).offsets.get(3, 0) == 0  # nothing of level 3 was due yet
        received = await consume_push(client, namesrv, topic, 10, "--group", unique("cy_dr_g"))
        assert_same_messages(without_queue_position(early + late), received)
        assert schedule(cluster).delivered == 5  # only the late ones after the restart


@pytest.mark.timeout_s(180)
async def test_failed_messages_retry_then_go_to_the_dlq(client: str, tmp_path: Path) -> None:
    """RECONSUME_LATER: redelivered with reconsumeTimes 1, 2; then stored in %DLQ%<group>."""
    levels = " ".join(["1s"] * 18)
    async with LocalCluster(tmp_path, store_overrides={"message_delay_level": levels}) as cluster:
        namesrv = cluster.namesrv_addr
        topic = unique("cy_retry")
        group = unique("cy_retry_g")
        consumer = await harness.start_driver(
            "client4.PushConsumerDriver",
            "--namesrv", namesrv, "--topic", topic, "--group", group,
            "--fail-index", "1", "--fail-index", "4", "--max-reconsume", "2",
            "--timeout-ms", "120000",
            module=client,
        )  # fmt: skip
        try:
            await consumer.wait_until(
                lambda: bool(consumer.events("started")), CONSUMER_WAIT_S, "start"
            )
            sent = await produce(client, namesrv, topic, "--count", "6", "--modes", "sync")
            failing = {item["msgId"] for item in sent if item["props"]["u_index"] in ("1", "4")}
            dlq = f"%DLQ%{group}"
            store = cluster.broker.store

            def dead_lettered() -> bool:
                return store.get_max_offset_in_queue(dlq, 0) >= 2

            await consumer.wait_until(dead_lettered, CONSUMER_WAIT_S, "two dead letters")
        finally:
            await consumer.stop()
        deliveries = consumer.events("recv")
        assert_same_messages(sent, [d for d in deliveries if d["reconsumeTimes"] == 0])
        for msg_id in failing:
            times = sorted(d["reconsumeTimes"] for d in deliveries if d["msgId"] == msg_id)
            assert times == [0, 1, 2], (msg_id, times)
            retried = [d for d in deliveries if d["msgId"] == msg_id and d["reconsumeTimes"]]
            for got in retried:
                assert got["topic"] == topic  # the client restores it from RETRY_TOPIC
                assert got["props"]["RETRY_TOPIC"] == topic
        for msg_id in {item["msgId"] for item in sent} - failing:
            assert [d["reconsumeTimes"] for d in deliveries if d["msgId"] == msg_id] == [0]

        # The DLQ holds the two failing messages, intact, with where they came from.
        by_id = {item["msgId"]: item for item in sent}
        dead = []
        for offset in range(2):
            commitlog_offset, _size, _tags = store.find_consume_queue(dlq, 0).unit(offset)
            record = store.look_message_by_offset(commitlog_offset)
            props = record.properties_dict()
            dead.append(props["UNIQ_KEY"])
            want = by_id[props["UNIQ_KEY"]]
            assert bytes(record.body).hex() == want["body"]
            assert props["RETRY_TOPIC"] == topic
            assert props["ORIGIN_MESSAGE_ID"]
            assert record.reconsume_times == 3
        assert sorted(dead) == sorted(failing)
