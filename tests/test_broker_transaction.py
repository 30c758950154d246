"""Transactional messages through a real broker: half sends, END_TRANSACTION, check-back."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from rocketmq._core import headers
from rocketmq._core import message as msgfmt
from rocketmq._core import remoting as codec
from rocketmq.broker.timer import TIMER_TOPIC
from rocketmq.broker.topic_config import (
    TRANS_CHECK_MAX_TIME_TOPIC,
    TRANS_HALF_TOPIC,
    TRANS_OP_HALF_TOPIC,
)
from rocketmq.broker.transaction.half import CHECK_GROUP
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.common.topic import SCHEDULE_TOPIC
from rocketmq.remoting import RemotingClient
from tests.interop.harness import poll_until
from tests.test_broker_base import addr_of, running_broker

RemotingCommand = codec.RemotingCommand

TOPIC = "TopicTx"
GROUP = "PG_TX"
PREPARED = msgfmt.TRANSACTION_PREPARED_TYPE
COMMIT = msgfmt.TRANSACTION_COMMIT_TYPE
ROLLBACK = msgfmt.TRANSACTION_ROLLBACK_TYPE
# Rounds of the check service are run by the tests.
MANUAL_CHECKS = {"transaction_check_interval_ms": 3_600_000, "transaction_timeout_ms": 0}


def half_request(
    uniq_key: str, body: bytes = b"half", *, queue_id: int = 2, born_ms: int | None = None, **props
) -> RemotingCommand:
    properties = {"TAGS": "TagTx", "UNIQ_KEY": uniq_key, "TRAN_MSG": "true", "PGROUP": GROUP}
    properties.update(props)
    header = headers.SendMessageRequestHeader(
        producer_group=GROUP,
        topic=TOPIC,
        queue_id=queue_id,
        sys_flag=PREPARED,
        born_timestamp=int(time.time() * 1000) if born_ms is None else born_ms,
        properties=msgfmt.properties_to_string(properties),
        reconsume_times=0,
    )
    return RemotingCommand(RequestCode.SEND_MESSAGE, header.to_ext_fields(False), body)


def end_request(
    queue_offset: int,
    commit_log_offset: int,
    transaction_type: int,
    *,
    group: str = GROUP,
    from_check: bool = False,
) -> RemotingCommand:
    fields = {
        "producerGroup": group,
        "tranStateTableOffset": str(queue_offset),
        "commitLogOffset": str(commit_log_offset),
        "commitOrRollback": str(transaction_type),
        "fromTransactionCheck": "true" if from_check else "false",
        "msgId": "ignored",
    }
    return RemotingCommand(RequestCode.END_TRANSACTION, fields)


def heartbeat(group: str) -> RemotingCommand:
    body = {"clientID": "127.0.0.1@tx", "producerDataSet": [{"groupName": group}]}
    return RemotingCommand(RequestCode.HEART_BEAT, body=json.dumps(body).encode())


def records(broker, topic: str, queue_id: int) -> list[msgfmt.MessageRecord]:
    store = broker.store
    queue = store.find_consume_queue(topic, queue_id)
    return [
        store.look_message_by_offset(queue.unit(offset)[0])
        for offset in range(queue.min_offset, queue.max_offset)
    ]


async def settled() -> None:
    """Let the dispatcher write the consume-queue units of what was just put."""
    await asyncio.sleep(0.05)


async def test_half_message_waits_until_commit(tmp_path: Path) -> None:
    async with running_broker(tmp_path) as broker, RemotingClient() as client:
        addr = addr_of(broker)
        sent = await client.invoke(addr, half_request("U1", b"payload"))
        assert sent.code == ResponseCode.SUCCESS, sent.remark
        fields = sent.ext_fields
        assert (fields["queueId"], fields["queueOffset"], fields["transactionId"]) == (
            "2",
            "0",
            "U1",
        )
        _host, _port, physical = msgfmt.decode_offset_msg_id(fields["msgId"])
        await settled()
        [half] = records(broker, TRANS_HALF_TOPIC, 0)
        assert half.physical_offset == physical
        assert half.sys_flag & msgfmt.TRANSACTION_TYPE_MASK == msgfmt.TRANSACTION_NOT_TYPE
        props = half.properties_dict()
        assert (props["REAL_TOPIC"], props["REAL_QID"], props["TRAN_MSG"]) == (TOPIC, "2", "true")
        assert broker.store.get_max_offset_in_queue(TOPIC, 2) == 0

        ended = await client.invoke(addr, end_request(0, physical, COMMIT))
        assert ended.code == ResponseCode.SUCCESS, ended.remark
        await settled()
        [final] = records(broker, TOPIC, 2)
        assert final.sys_flag & msgfmt.TRANSACTION_TYPE_MASK == COMMIT
        assert final.prepared_transaction_offset == physical
        assert (bytes(final.body), final.tags, final.uniq_key) == (b"payload", "TagTx", "U1")
        assert final.born_timestamp == half.born_timestamp
        # 4.9.x serialises the properties before clearing REAL_*/TRAN_MSG: they stay.
        assert final.properties == half.properties
        [op] = records(broker, TRANS_OP_HALF_TOPIC, 0)
        assert (op.tags, bytes(op.body), op.queue_id) == ("d", b"0", 0)


async def test_rollback_unknown_and_refusals(tmp_path: Path) -> None:
    async with running_broker(tmp_path) as broker, RemotingClient() as client:
        addr = addr_of(broker)
        sent = await client.invoke(addr, half_request("U2"))
        _host, _port, physical = msgfmt.decode_offset_msg_id(sent.ext_fields["msgId"])

        async def end(request: RemotingCommand) -> RemotingCommand:
            return await client.invoke(addr, request)

        wrong_group = await end(end_request(0, physical, COMMIT, group="other"))
        assert (wrong_group.code, wrong_group.remark) == (1, "The producer group wrong")
        wrong_offset = await end(end_request(5, physical, COMMIT))
        assert wrong_offset.remark == "The transaction state table offset wrong"
        missing = await end(end_request(0, physical + 10_000, COMMIT))
        assert missing.remark == "Find prepared transaction message failed"
        bad_type = await end(end_request(0, physical, 5))
        assert bad_type.code == 1 and "commitOrRollback field wrong" in bad_type.remark
        # Unknown: nothing happens and nothing is answered.
        await client.invoke_oneway(addr, end_request(0, physical, msgfmt.TRANSACTION_NOT_TYPE))
        await settled()
        assert broker.store.get_max_offset_in_queue(TRANS_OP_HALF_TOPIC, 0) == 0

        rolled_back = await end(end_request(0, physical, ROLLBACK, from_check=True))
        assert rolled_back.code == ResponseCode.SUCCESS
        await settled()
        assert broker.store.get_max_offset_in_queue(TOPIC, 2) == 0
        assert [bytes(op.body) for op in records(broker, TRANS_OP_HALF_TOPIC, 0)] == [b"0"]

    async with running_broker(tmp_path / "reject", reject_transaction_message=True) as broker:
        async with RemotingClient() as client:
            refused = await client.invoke(addr_of(broker), half_request("U3"))
            assert refused.code == ResponseCode.NO_PERMISSION
            assert (
                refused.remark == "the broker[127.0.0.1] sending transaction message is forbidden"
            )

    async with running_broker(tmp_path / "slave", broker_role="SLAVE", broker_id=1) as broker:
        async with RemotingClient() as client:
            slave = await client.invoke(addr_of(broker), end_request(0, 0, COMMIT))
            assert slave.code == ResponseCode.SLAVE_NOT_AVAILABLE


async def test_delay_applies_when_the_transaction_commits(tmp_path: Path) -> None:
    async with running_broker(tmp_path) as broker, RemotingClient() as client:
        addr = addr_of(broker)
        sent = await client.invoke(addr, half_request("U4", DELAY="2"))
        _host, _port, physical = msgfmt.decode_offset_msg_id(sent.ext_fields["msgId"])
        await settled()
        assert broker.store.get_max_offset_in_queue(TRANS_HALF_TOPIC, 0) == 1
        assert broker.store.get_max_offset_in_queue(SCHEDULE_TOPIC, 1) == 0
        ended = await client.invoke(addr, end_request(0, physical, COMMIT))
        assert ended.code == ResponseCode.SUCCESS
        await settled()
        [parked] = records(broker, SCHEDULE_TOPIC, 1)
        props = parked.properties_dict()
        assert (props["REAL_TOPIC"], props["REAL_QID"], props["DELAY"]) == (TOPIC, "2", "2")
        assert "TRAN_MSG" not in props
        assert parked.sys_flag & msgfmt.TRANSACTION_TYPE_MASK == COMMIT


async def test_a_timer_applies_when_the_transaction_commits(tmp_path: Path) -> None:
    async with running_broker(tmp_path) as broker, RemotingClient() as client:
        addr = addr_of(broker)
        deliver_ms = int(time.time() * 1000) + 60_000
        sent = await client.invoke(addr, half_request("U5", TIMER_DELIVER_MS=str(deliver_ms)))
        _host, _port, physical = msgfmt.decode_offset_msg_id(sent.ext_fields["msgId"])
        await settled()
        assert broker.store.get_max_offset_in_queue(TIMER_TOPIC, 0) == 0
        ended = await client.invoke(addr, end_request(0, physical, COMMIT))
        assert ended.code == ResponseCode.SUCCESS
        await settled()
        [parked] = records(broker, TIMER_TOPIC, 0)
        props = parked.properties_dict()
        assert (props["REAL_TOPIC"], props["REAL_QID"]) == (TOPIC, "2")
        assert int(props["TIMER_OUT_MS"]) == deliver_ms - deliver_ms % 1000
        assert broker.store.get_max_offset_in_queue(TOPIC, 2) == 0


async def test_check_back_then_discard(tmp_path: Path) -> None:
    overrides = dict(MANUAL_CHECKS, transaction_check_max=1)
    async with running_broker(tmp_path, **overrides) as broker, RemotingClient() as producer:
        addr = addr_of(broker)
        checks: list[RemotingCommand] = []

        def on_check(_connection, request: RemotingCommand) -> None:
            checks.append(request)

        producer.register_processor(RequestCode.CHECK_TRANSACTION_STATE, on_check)
        assert (await producer.invoke(addr, heartbeat(GROUP))).code == ResponseCode.SUCCESS
        await producer.invoke(addr, half_request("ANSWERED", b"first"))
        await producer.invoke(addr, half_request("SILENT", b"second"))
        # Born before the CommitLog's reserved time: given up without a check.
        await producer.invoke(addr, half_request("ANCIENT", born_ms=1_000_000))
        await settled()
        service = broker.transaction_check
        await service.check()
        await poll_until(lambda: len(checks) >= 2, "two checks", 10)
        await asyncio.sleep(0.1)  # room for a check that should not come
        assert [c.ext_fields["msgId"] for c in checks] == ["ANSWERED", "SILENT"]
        assert service.discarded == 1

        check = checks[0]
        fields = check.ext_fields
        assert fields["transactionId"] == "ANSWERED"
        assert fields["topic"] == TOPIC
        assert fields["tranStateTableOffset"] == "3"  # the copy, after the three halves
        message = msgfmt.decode_record(check.body, 0)
        assert (message.topic, message.queue_id, bytes(message.body)) == (TOPIC, 2, b"first")
        assert message.queue_offset == 3
        assert message.physical_offset == int(fields["commitLogOffset"])
        assert message.msg_id == fields["offsetMsgId"]
        assert message.properties_dict()["TRANSACTION_CHECK_TIMES"] == "1"
        answer = end_request(3, int(fields["commitLogOffset"]), COMMIT, from_check=True)
        assert (await producer.invoke(addr, answer)).code == ResponseCode.SUCCESS
        await settled()
        [final] = records(broker, TOPIC, 2)
        assert (final.uniq_key, bytes(final.body)) == ("ANSWERED", b"first")

        # Round two: the answered copy is done, the silent one was checked enough.
        checks.clear()
        await service.check()
        await settled()
        assert checks == [] and service.discarded == 2
        given_up = records(broker, TRANS_CHECK_MAX_TIME_TOPIC, 0)
        assert [r.uniq_key for r in given_up] == ["ANCIENT", "SILENT"]
        offsets = broker.consumer_offset_manager
        half_end = broker.store.get_max_offset_in_queue(TRANS_HALF_TOPIC, 0)
        assert offsets.query_offset(CHECK_GROUP, TRANS_HALF_TOPIC, 0) == half_end == 5
        assert offsets.query_offset(CHECK_GROUP, TRANS_OP_HALF_TOPIC, 0) == 1
