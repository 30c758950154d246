"""Transactional messages end to end, judged by the official Java TransactionMQProducer.

Half messages wait in RMQ_SYS_TRANS_HALF_TOPIC until the producer commits or
rolls back; those it leaves unknown are checked back (CHECK_TRANSACTION_STATE)
and resolved by the producer's answer. The broker runs with short check
intervals and timeouts so that a check comes within seconds.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rocketmq._testbase.cluster import LocalCluster
from rocketmq.broker.topic_config import (
    TRANS_CHECK_MAX_TIME_TOPIC,
    TRANS_HALF_TOPIC,
    TRANS_OP_HALF_TOPIC,
)
from rocketmq.broker.transaction.half import CHECK_GROUP
from tests.interop import harness
from tests.interop.java_clients import consume_push
from tests.interop.messages import assert_same_messages, unique, user_props

pytestmark = pytest.mark.interop

CHECK_WAIT_S = 30.0
COMMIT = "COMMIT_MESSAGE"
ROLLBACK = "ROLLBACK_MESSAGE"
UNKNOWN = "UNKNOW"


@pytest.fixture(scope="module", params=["client4", "client5"])
def client(request) -> str:
    harness.ensure_built(request.param)
    return request.param


async def start_producer(
    client: str, cluster: LocalCluster, topic: str, group: str, *args: str
) -> harness.DriverProcess:
    driver = await harness.start_driver(
        "client4.TransactionProducerDriver",
        "--namesrv", cluster.namesrv_addr, "--topic", topic, "--group", group,
        *args,
        module=client,
    )  # fmt: skip
    await driver.wait_until(lambda: bool(driver.events("sent_all")), CHECK_WAIT_S, "sends")
    return driver


async def stop_producer(driver: harness.DriverProcess) -> None:
    rc = await driver.stop()
    assert rc == 0 and "OK txproducer" in driver.lines, driver.output


def checks_of(driver: harness.DriverProcess) -> dict[int, list[dict]]:
    """Check lines by message index, in arrival order."""
    by_index: dict[int, list[dict]] = {}
    for line in driver.events("check"):
        by_index.setdefault(line["index"], []).append(line)
    return by_index


def stored_count(cluster: LocalCluster, topic: str) -> int:
    """Messages in ``topic``'s consume queues (what consumers can ever get)."""
    broker = cluster.broker
    assert broker is not None
    topic_config = broker.topic_config_manager.select(topic)
    if topic_config is None:
        return 0
    return sum(
        broker.store.get_max_offset_in_queue(topic, queue_id)
        for queue_id in range(topic_config.read_queue_nums)
    )


@pytest.mark.timeout_s(180)
async def test_commit_rollback_and_check_back(client: str, tmp_path: Path) -> None:
    """Committed messages arrive intact, rolled-back never; unknown ones follow the check."""
    overrides = {"transaction_check_interval_ms": 1000, "transaction_timeout_ms": 5000}
    async with LocalCluster(tmp_path, broker_overrides=overrides) as cluster:
        topic = unique("cy_tx")
        group = unique("cy_tx_pg")
        producer = await start_producer(
            client, cluster, topic, group, "--commit", "4", "--rollback", "3", "--unknown", "4"
        )
        try:
            sent = producer.events("sent")
            local = {line["index"]: line["localState"] for line in sent}
            assert [local[i] for i in range(11)] == [COMMIT] * 4 + [ROLLBACK] * 3 + [UNKNOWN] * 4
            for line in sent:
                assert line["transactionId"] == line["msgId"]
                assert line["halfQueueOffset"] == line["index"]  # in the half queue
            unknown = {7, 8, 9, 10}
            await producer.wait_until(
                lambda: set(checks_of(producer)) >= unknown, CHECK_WAIT_S, "checks"
            )
            # The check answers: even indexes commit, odd ones roll back.
            committed = [line for line in sent if line["index"] < 4 or line["index"] in (8, 10)]
            received = await consume_push(
                client, cluster.namesrv_addr, topic, len(committed), "--group", unique("cy_tx_c")
            )
            assert_same_messages(committed, received)
            assert stored_count(cluster, topic) == len(committed)  # nothing else ever will
        finally:
            await stop_producer(producer)

        checks = checks_of(producer)
        assert set(checks) == unknown  # committed and rolled-back halves are never checked
        for index, lines in checks.items():
            resolved = [line for line in lines if line["answer"] != UNKNOWN]
            assert len(resolved) == 1, lines
            assert resolved[0]["answer"] == (COMMIT if index % 2 == 0 else ROLLBACK)
            for line in lines:
                # The check carries the message as sent, with its real topic.
                want = next(item for item in sent if item["index"] == index)
                assert (line["topic"], line["body"], user_props(line["props"])) == (
                    topic,
                    want["body"],
                    want["props"],
                )
                assert line["producerGroup"] == group
                assert line["checkTimes"] == str(line["checkNo"])
        for got in received:
            assert got["props"]["TRAN_MSG"] == "true"  # 4.9.x keeps it on the committed record
            assert got["props"]["PGROUP"] == group
            assert got["props"]["REAL_TOPIC"] == topic


@pytest.mark.timeout_s(180)
async def test_pending_halves_are_resolved_after_a_restart(client: str, tmp_path: Path) -> None:
    """Halves checked once before a restart are checked again after it, never from scratch."""
    # Rounds are driven by the test (the service's own interval is an hour).
    overrides = {"transaction_check_interval_ms": 3_600_000, "transaction_timeout_ms": 1000}
    async with LocalCluster(tmp_path, broker_overrides=overrides) as cluster:
        topic = unique("cy_tx_restart")
        group = unique("cy_tx_restart_pg")
        producer = await start_producer(
            client, cluster, topic, group,
            "--commit", "2", "--rollback", "2", "--unknown", "4",
            "--check-unknown-first", "1", "--client-poll-ms", "500",
        )  # fmt: skip
        try:
            sent = producer.events("sent")
            unknown = {4, 5, 6, 7}
            await asyncio.sleep(1.2)  # every half is past the transaction timeout now
            await cluster.broker.transaction_check.check()
            await producer.wait_until(
                lambda: set(checks_of(producer)) == unknown, CHECK_WAIT_S, "first checks"
            )
            await cluster.restart_broker()
            broker = cluster.broker
            assert broker.consumer_offset_manager.query_offset(CHECK_GROUP, TRANS_HALF_TOPIC, 0) > 0
            await harness.poll_until(
                lambda: group in broker.producer_manager.groups, "producer heartbeat", CHECK_WAIT_S
            )
            await broker.transaction_check.check()

            def resolved() -> bool:
                return all(len(lines) == 2 for lines in checks_of(producer).values())

            await producer.wait_until(resolved, CHECK_WAIT_S, "second checks")
            committed = [line for line in sent if line["index"] in (0, 1, 4, 6)]
            received = await consume_push(
                client, cluster.namesrv_addr, topic, len(committed), "--group", unique("cy_tx_c")
            )
            assert_same_messages(committed, received)
            assert stored_count(cluster, topic) == len(committed)
            # Every half is resolved now: another round checks nothing.
            await harness.poll_until(
                lambda: broker.store.get_max_offset_in_queue(TRANS_OP_HALF_TOPIC, 0) == 8,
                "op records",
                CHECK_WAIT_S,
            )
            checks_before = broker.transaction_check.checks_sent
            await broker.transaction_check.check()
            assert broker.transaction_check.checks_sent == checks_before == len(unknown)
            half_end = broker.store.get_max_offset_in_queue(TRANS_HALF_TOPIC, 0)
            offsets = broker.consumer_offset_manager
            assert offsets.query_offset(CHECK_GROUP, TRANS_HALF_TOPIC, 0) == half_end
            assert offsets.query_offset(CHECK_GROUP, TRANS_OP_HALF_TOPIC, 0) == 8
        finally:
            await stop_producer(producer)

        checks = checks_of(producer)
        assert set(checks) == unknown
        for index, lines in checks.items():
            assert [line["checkTimes"] for line in lines] == ["1", "2"], lines
            assert [line["answer"] for line in lines] == [
                UNKNOWN,
                COMMIT if index % 2 == 0 else ROLLBACK,
            ]
            # Each check names a new copy of the half.
            assert lines[0]["queueOffset"] < lines[1]["queueOffset"]
            assert lines[0]["offsetMsgId"] != lines[1]["offsetMsgId"]


@pytest.mark.timeout_s(180)
async def test_unresolved_half_is_discarded_after_check_max(client: str, tmp_path: Path) -> None:
    overrides = {
        "transaction_check_interval_ms": 1000,
        "transaction_timeout_ms": 1000,
        "transaction_check_max": 2,
    }
    async with LocalCluster(tmp_path, broker_overrides=overrides) as cluster:
        topic = unique("cy_tx_discard")
        producer = await start_producer(
            client, cluster, topic, unique("cy_tx_discard_pg"),
            "--commit", "1", "--unknown", "2", "--check-answer", "unknown",
        )  # fmt: skip
        try:
            sent = producer.events("sent")
            service = cluster.broker.transaction_check
            await harness.poll_until(
                lambda: service.discarded == 2, "discarded halves", CHECK_WAIT_S
            )
            await asyncio.sleep(2.5)  # two more rounds: no check comes any more
            checks = checks_of(producer)
            assert set(checks) == {1, 2}
            for lines in checks.values():
                assert [line["checkTimes"] for line in lines] == ["1", "2"], lines
            store = cluster.broker.store
            # Given up, kept aside, never delivered.
            assert store.get_max_offset_in_queue(TRANS_CHECK_MAX_TIME_TOPIC, 0) == 2
            parked = store.find_consume_queue(TRANS_CHECK_MAX_TIME_TOPIC, 0)
            kept = []
            for offset in range(2):
                record = store.look_message_by_offset(parked.unit(offset)[0])
                props = record.properties_dict()
                assert props["TRANSACTION_CHECK_TIMES"] == "2"
                assert props["REAL_TOPIC"] == topic
                kept.append(props["UNIQ_KEY"])
            assert sorted(kept) == sorted(line["msgId"] for line in sent if line["index"] > 0)
            received = await consume_push(
                client, cluster.namesrv_addr, topic, 1, "--group", unique("cy_tx_c")
            )
            assert_same_messages([line for line in sent if line["index"] == 0], received)
            assert stored_count(cluster, topic) == 1
        finally:
            await stop_producer(producer)
