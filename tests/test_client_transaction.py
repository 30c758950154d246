"""Our asyncio TransactionProducer against our broker and Apache RocketMQ's (same test bodies).

Committed messages reach a consumer, rolled-back ones never do, and those
left unknown are resolved by the broker's check (CHECK_TRANSACTION_STATE),
which both brokers run every second here.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rocketmq.client.aio import (
    CONSUME_FROM_FIRST_OFFSET,
    ConsumeStatus,
    Message,
    MessageExt,
    PushConsumer,
    SendStatus,
    TransactionProducer,
    TransactionStatus,
)
from rocketmq.errors import ClientError
from tests.interop import harness
from tests.interop.messages import unique
from tests.interop.servers import SERVERS, running_server

pytestmark = pytest.mark.interop

WAIT_S = 60.0
CHECK_EVERY_SECOND = {"transactionCheckInterval": "1000", "transactionTimeOut": "1000"}
QUIET_S = 3.0  # how long rolled-back messages are given to show up (they must not)


# Index -> what the local transaction answers, and what the check answers later.
LOCAL = {
    0: TransactionStatus.COMMIT,
    1: TransactionStatus.ROLLBACK,
    2: TransactionStatus.UNKNOWN,
    3: TransactionStatus.COMMIT,
    4: None,  # raises: UNKNOWN
    5: TransactionStatus.UNKNOWN,
}
CHECK = {2: TransactionStatus.COMMIT, 4: TransactionStatus.ROLLBACK, 5: TransactionStatus.ROLLBACK}
COMMITTED = {"0", "2", "3"}


@pytest.mark.timeout_s(240)
@pytest.mark.parametrize("server", SERVERS)
async def test_commit_rollback_and_checked_unknown(
    apache_built: None, server: str, tmp_path: Path
) -> None:
    topic = unique("cy_py_tx")
    local_args: list[object] = []
    checked: list[MessageExt] = []

    async def local_transaction(message: Message, arg: object) -> TransactionStatus:
        local_args.append(arg)
        status = LOCAL[int(message.properties["u_index"])]
        if status is None:
            raise RuntimeError("the local transaction failed")
        return status

    def check_listener(message: MessageExt) -> TransactionStatus:  # a plain function works too
        checked.append(message)
        return CHECK[int(message.properties["u_index"])]

    received: list[MessageExt] = []

    def listener(messages: list[MessageExt]) -> ConsumeStatus:
        received.extend(messages)
        return ConsumeStatus.CONSUME_SUCCESS

    async with running_server(
        server, tmp_path, {"transactionCheckInterval": "1000", "transactionTimeOut": "1000"}
    ) as namesrv:
        push = PushConsumer(unique("cy_py_txc"), namesrv, rebalance_interval_ms=1000,
                            consume_from_where=CONSUME_FROM_FIRST_OFFSET)  # fmt: skip
        push.subscribe(topic)
        push.register_listener(listener)
        producer = TransactionProducer(
            unique("cy_py_txp"), namesrv,
            local_transaction=local_transaction, check_listener=check_listener,
        )  # fmt: skip
        async with producer, push:
            results = {}
            for index in LOCAL:
                message = Message(topic, f"tx-{index}".encode(), tags="TagT", keys=f"k{index}")
                message.put_user_property("u_index", str(index))
                result = await producer.send_message_in_transaction(message, arg=index * 10)
                assert result.status is SendStatus.SEND_OK
                assert result.message_queue.topic == topic
                assert result.transaction_id == result.msg_id
                results[index] = result
            assert local_args == [index * 10 for index in LOCAL]
            assert {i: r.transaction_status for i, r in results.items()} == {
                i: status or TransactionStatus.UNKNOWN for i, status in LOCAL.items()
            }
            with pytest.raises(ClientError, match="delay"):
                late = Message(topic, b"late")
                late.delay_time_level = 2
                await producer.send_message_in_transaction(late)

            def resolved() -> bool:
                seen = {m.properties["u_index"] for m in checked}
                return {"2", "4", "5"} <= seen and COMMITTED <= consumed()

            def consumed() -> set[str]:
                return {m.properties["u_index"] for m in received}

            await harness.poll_until(resolved, "the checks and the committed messages", WAIT_S)
            await asyncio.sleep(QUIET_S)
            assert consumed() == COMMITTED
            assert producer.checks_answered >= 3

    by_index = {m.properties["u_index"]: m for m in received}
    for index in COMMITTED:
        message = by_index[index]
        assert message.topic == topic
        assert message.body == f"tx-{index}".encode()
        assert message.tags == "TagT" and message.keys == f"k{index}"
        assert message.msg_id == results[int(index)].msg_id
        # TRAN_MSG stays: Apache clears it from the map after building the stored
        # properties string (EndTransactionProcessor.endMessageTransaction), ours copies that.
    for message in checked:  # the broker shows the half message under its real topic
        assert message.topic == topic
        assert message.properties["PGROUP"] == producer.group
        assert message.properties["UNIQ_KEY"] == results[int(message.properties["u_index"])].msg_id
        assert int(message.properties["u_index"]) in CHECK
