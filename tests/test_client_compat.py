"""The drop-in ``rocketmq.client`` (rocketmq-client-python's API), blocking, used as its
README shows, against our broker and Apache RocketMQ's (same test bodies)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from rocketmq.client import (
    ConsumeStatus,
    Message,
    MessageProperty,
    Producer,
    ProducerSendSyncFailed,
    PullConsumer,
    PushConsumer,
    ReceivedMessage,
    SendStatus,
    TransactionMQProducer,
    TransactionStatus,
)
from tests.interop.messages import unique
from tests.interop.servers import FAST_DELAYS, SERVERS, running_server

pytestmark = pytest.mark.interop

WAIT_S = 60.0


def produce_and_consume(namesrv: str, topic: str) -> dict:
    """Blocking code, written as a user of rocketmq-client-python would write it."""
    producer = Producer(unique("PID_COMPAT"))
    producer.set_name_server_address(namesrv)
    producer.start()
    sent = {}
    try:
        for index in range(6):
            msg = Message(topic)
            msg.set_keys(f"key-{index}")
            msg.set_tags("TagA" if index % 2 else "TagB")
            msg.set_body(f"body {index} h\u00e9llo")
            msg.set_property("u_index", str(index))
            ret = producer.send_sync(msg)
            assert ret.status == SendStatus.OK
            sent[ret.msg_id] = index
        for index in range(6, 9):
            msg = Message(topic)
            msg.set_body(f"body {index} h\u00e9llo")
            msg.set_property("u_index", str(index))
            ret = producer.send_orderly_with_sharding_key(msg, "order-1")
            assert ret.status == SendStatus.OK and ret.offset >= 0
            sent[ret.msg_id] = index
        msg = Message(topic)
        msg.set_body("oneway")
        msg.set_property("u_index", "9")
        producer.send_oneway(msg)
    finally:
        producer.shutdown()

    received: list[ReceivedMessage] = []
    done = threading.Event()

    def callback(msg: ReceivedMessage) -> ConsumeStatus:
        received.append(msg)
        if (
            msg[MessageProperty.UNIQ_CLIENT_MESSAGE_ID_KEYIDX]
            and msg.get_property("u_index") == b"2"
            and msg.reconsume_times == 0
        ):
            return ConsumeStatus.RECONSUME_LATER  # comes back once
        if len({m.id for m in received}) >= 10 and any(m.reconsume_times for m in received):
            done.set()
        return ConsumeStatus.CONSUME_SUCCESS

    consumer = PushConsumer(unique("CID_COMPAT"))
    consumer.set_name_server_address(namesrv)
    consumer.subscribe(topic, callback)
    consumer.start()
    try:
        assert done.wait(WAIT_S), f"received {len(received)}"
    finally:
        consumer.shutdown()
    return {"sent": sent, "received": received}


@pytest.mark.timeout_s(240)
@pytest.mark.parametrize("server", SERVERS)
async def test_readme_style_producer_and_push_consumer(
    apache_built: None, server: str, tmp_path: Path
) -> None:
    topic = unique("cy_compat")
    async with running_server(server, tmp_path, {"messageDelayLevel": FAST_DELAYS}) as namesrv:
        outcome = await asyncio.to_thread(produce_and_consume, namesrv, topic)
    sent, received = outcome["sent"], outcome["received"]
    first = {m.id: m for m in received if m.reconsume_times == 0}
    assert len(first) == 10
    for msg_id, index in sent.items():
        msg = first[msg_id]
        assert msg.topic == topic
        assert str(msg) == f"body {index} h\u00e9llo" and bytes(msg) == msg.body
        assert msg.get_property("u_index") == str(index).encode()
        if index < 6:
            assert msg.tags == (b"TagA" if index % 2 else b"TagB")
            assert msg.keys == f"key-{index}".encode()
    ordered = sorted((m for m in first.values() if 6 <= int(m.get_property("u_index")) <= 8),
                     key=lambda m: int(m.get_property("u_index")))  # fmt: skip
    assert len({m.queue_id for m in ordered}) == 1
    assert [m.queue_offset for m in ordered] == sorted(m.queue_offset for m in ordered)
    retried = [m for m in received if m.reconsume_times == 1]
    assert [m.get_property("u_index") for m in retried] == [b"2"]
    assert retried[0].topic == topic


def test_errors_use_the_upstream_exception_names() -> None:
    producer = Producer("PID_NOWHERE", timeout=500)
    producer.set_name_server_address("127.0.0.1:1")
    producer.start()
    try:
        msg = Message("cy_nowhere")
        msg.set_body("x")
        began = time.monotonic()
        with pytest.raises(ProducerSendSyncFailed):
            producer.send_sync(msg)
        assert time.monotonic() - began < 10
    finally:
        producer.shutdown()


CHECK_EVERY_SECOND = {"transactionCheckInterval": "1000", "transactionTimeOut": "1000"}


def transactions_then_pull(namesrv: str, topic: str) -> dict:
    """TransactionMQProducer and PullConsumer, written as their users would."""
    checked = []

    def checker(msg: ReceivedMessage) -> TransactionStatus:
        checked.append(msg.get_property("u_index"))
        return TransactionStatus.COMMIT  # the unknown one commits on check

    def local_execute(msg: ReceivedMessage, user_args) -> TransactionStatus:
        return user_args

    producer = TransactionMQProducer(unique("PID_TX"), checker)
    producer.set_name_server_address(namesrv)
    producer.start()
    try:
        for index, outcome in enumerate(
            [TransactionStatus.COMMIT, TransactionStatus.ROLLBACK, TransactionStatus.UNKNOWN]
        ):
            msg = Message(topic)
            msg.set_body(f"tx {index}")
            msg.set_property("u_index", str(index))
            ret = producer.send_message_in_transaction(msg, local_execute, outcome)
            assert ret.status == SendStatus.OK
        deadline = time.monotonic() + WAIT_S
        while not checked and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        producer.shutdown()

    # The commit the check answered reaches the topic a moment later: read the topic
    # from its start until both committed messages are there (or the time is up).
    pulled: list[bytes] = []
    deadline = time.monotonic() + WAIT_S
    while len(pulled) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        consumer = PullConsumer(unique("CID_PULL"))
        consumer.set_name_server_address(namesrv)
        consumer.start()
        try:
            pulled = [msg.get_property("u_index") for msg in consumer.pull(topic)]
        finally:
            consumer.shutdown()
    return {"checked": checked, "pulled": pulled}


@pytest.mark.timeout_s(240)
@pytest.mark.parametrize("server", SERVERS)
async def test_transaction_producer_and_pull_consumer(
    apache_built: None, server: str, tmp_path: Path
) -> None:
    topic = unique("cy_compat_tx")
    async with running_server(server, tmp_path, CHECK_EVERY_SECOND) as namesrv:
        outcome = await asyncio.to_thread(transactions_then_pull, namesrv, topic)
    assert outcome["checked"][:1] == [b"2"]
    assert sorted(outcome["pulled"]) == [b"0", b"2"]  # the rolled-back one never shows
