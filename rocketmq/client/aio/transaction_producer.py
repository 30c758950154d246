"""TransactionProducer: half messages, a local transaction, and the broker's checks.

``send_message_in_transaction(message, arg)`` stores ``message`` as a half
message (properties ``TRAN_MSG=true`` and ``PGROUP``, sysFlag
TRANSACTION_PREPARED), which no consumer sees yet; then runs
``local_transaction(message, arg)`` and ends the transaction with its
answer (END_TRANSACTION, oneway): COMMIT makes the message visible,
ROLLBACK discards it, UNKNOWN leaves it to the broker, which asks a producer
of the group later (CHECK_TRANSACTION_STATE); ``check_listener(message_ext)``
answers those checks. Either callback may be a coroutine function; an
exception counts as UNKNOWN. Upstream: TransactionMQProducer,
DefaultMQProducerImpl.sendMessageInTransaction / endTransaction /
checkTransactionState.

Errors: as Producer.send for the half message; ClientError for a message
with a delay level (the Java client drops the delay instead; see
``send_message_in_transaction``).
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rocketmq._core import message as msgfmt
from rocketmq._core import remoting as codec
from rocketmq.client.aio.producer import Producer
from rocketmq.client.decode import decode_messages
from rocketmq.client.message import (
    PROPERTY_DELAY,
    PROPERTY_PRODUCER_GROUP,
    PROPERTY_TRANSACTION_PREPARED,
    PROPERTY_UNIQ_KEY,
    Message,
    MessageExt,
    SendResult,
    SendStatus,
)
from rocketmq.common.codes import RequestCode
from rocketmq.errors import ClientError, ProtocolError, RemotingError

logger = logging.getLogger("rocketmq.client")

RemotingCommand = codec.RemotingCommand

PROPERTY_TRANSACTION_ID = "__transactionId__"
REMARK_MAX = 256  # characters of an exception text sent as the END_TRANSACTION remark


class TransactionStatus(enum.Enum):
    """LocalTransactionState (UNKNOWN is upstream's UNKNOW)."""

    COMMIT = "COMMIT_MESSAGE"
    ROLLBACK = "ROLLBACK_MESSAGE"
    UNKNOWN = "UNKNOW"


# MessageSysFlag TRANSACTION_{COMMIT,ROLLBACK,NOT}_TYPE, the END_TRANSACTION commitOrRollback.
_END_TYPE = {
    TransactionStatus.COMMIT: 0x8,
    TransactionStatus.ROLLBACK: 0xC,
    TransactionStatus.UNKNOWN: 0x0,
}

LocalTransaction = Callable[[Message, Any], Any]  # -> TransactionStatus (or awaitable of it)
CheckListener = Callable[[MessageExt], Any]


@dataclass(frozen=True)
class TransactionSendResult(SendResult):
    """SendResult of the half message plus how the local transaction ended."""

    transaction_status: TransactionStatus = TransactionStatus.UNKNOWN


class TransactionProducer(Producer):
    def __init__(
        self,
        group: str,
        namesrv_addr: str | Sequence[str],
        *,
        local_transaction: LocalTransaction,
        check_listener: CheckListener,
        **producer_options: Any,
    ) -> None:
        """``producer_options`` are Producer's keyword arguments."""
        super().__init__(group, namesrv_addr, **producer_options)
        self.local_transaction = local_transaction
        self.check_listener = check_listener
        self.checks_answered = 0

    async def start(self) -> None:
        self.instance.remoting.register_processor(
            RequestCode.CHECK_TRANSACTION_STATE, self._on_check
        )
        await super().start()

    async def send_message_in_transaction(
        self, message: Message, arg: Any = None
    ) -> TransactionSendResult:
        """Send ``message`` as a half message, run the local transaction, end it.

        A half message that was not stored SEND_OK is rolled back without
        running the local transaction. The END_TRANSACTION is oneway: a lost
        one is made up for by the broker's check.
        """
        if message.delay_time_level:
            raise ClientError("a transactional message can not have a delay level")
        message.properties.pop(PROPERTY_DELAY, None)
        message.properties[PROPERTY_TRANSACTION_PREPARED] = "true"
        message.properties[PROPERTY_PRODUCER_GROUP] = self.group
        sent = await self.send(message)
        # Apache 4.9's broker returns no transactionId; like the Java client, the
        # transaction is then known by the message's UNIQ_KEY.
        result = dataclasses.replace(sent, transaction_id=sent.transaction_id or sent.msg_id)
        status = TransactionStatus.ROLLBACK
        problem: str | None = None
        if result.status is SendStatus.SEND_OK:
            if sent.transaction_id:
                message.properties[PROPERTY_TRANSACTION_ID] = sent.transaction_id
            status, problem = await self._ask(self.local_transaction, message, arg)
        await self._end(result, status, problem)
        return TransactionSendResult(
            status=result.status,
            msg_id=result.msg_id,
            offset_msg_id=result.offset_msg_id,
            message_queue=result.message_queue,
            queue_offset=result.queue_offset,
            transaction_id=result.transaction_id,
            region_id=result.region_id,
            trace_on=result.trace_on,
            transaction_status=status,
        )

    async def _ask(self, callback: Callable, *args: Any) -> tuple[TransactionStatus, str | None]:
        """Run a callback; (its status, None) or (UNKNOWN, the exception's text)."""
        try:
            status = callback(*args)
            if inspect.isawaitable(status):
                status = await status
        except Exception as exc:
            logger.exception("producer %s: transaction callback raised", self.group)
            return TransactionStatus.UNKNOWN, f"{type(exc).__name__}: {exc}"[:REMARK_MAX]
        if not isinstance(status, TransactionStatus):
            logger.warning("producer %s: transaction callback returned %r", self.group, status)
            return TransactionStatus.UNKNOWN, None
        return status, None

    async def _end(
        self, result: SendResult, status: TransactionStatus, problem: str | None
    ) -> None:
        _ip, _port, commit_log_offset = msgfmt.decode_offset_msg_id(
            result.offset_msg_id or result.msg_id
        )
        fields = {
            "producerGroup": self.group,
            "tranStateTableOffset": str(result.queue_offset),
            "commitLogOffset": str(commit_log_offset),
            "commitOrRollback": str(_END_TYPE[status]),
            "fromTransactionCheck": "false",
            "msgId": result.msg_id,
        }
        if result.transaction_id:
            fields["transactionId"] = result.transaction_id
        request = RemotingCommand(RequestCode.END_TRANSACTION, fields, remark=problem)
        addr = self.instance.master_addr(result.message_queue.broker_name)
        if addr is None:
            logger.warning("producer %s: no broker to end %s", self.group, result.msg_id)
            return
        try:
            await self.instance.remoting.invoke_oneway(addr, request)
        except RemotingError as exc:
            logger.warning("producer %s: END_TRANSACTION failed: %s", self.group, exc)

    async def _on_check(self, connection, request: RemotingCommand) -> None:
        """CHECK_TRANSACTION_STATE (oneway): answer with END_TRANSACTION on the same connection."""
        header = request.ext_fields or {}
        try:
            messages = decode_messages(request.body or b"")
        except ProtocolError as exc:
            logger.warning("producer %s: undecodable transaction check: %s", self.group, exc)
            return
        if len(messages) != 1:
            logger.warning("producer %s: a check holding %d messages", self.group, len(messages))
            return
        message = messages[0]
        group = message.properties.get(PROPERTY_PRODUCER_GROUP)
        if group != self.group:
            logger.warning("producer %s: check for group %s ignored", self.group, group)
            return
        status, problem = await self._ask(self.check_listener, message)
        fields = {
            "producerGroup": self.group,
            "tranStateTableOffset": header.get("tranStateTableOffset", "0"),
            "commitLogOffset": header.get("commitLogOffset", "0"),
            "commitOrRollback": str(_END_TYPE[status]),
            "fromTransactionCheck": "true",
            "msgId": message.properties.get(PROPERTY_UNIQ_KEY) or message.msg_id,
        }
        for name in ("transactionId", "bname"):
            if header.get(name):
                fields[name] = header[name]
        try:
            connection.invoke_oneway(
                RemotingCommand(RequestCode.END_TRANSACTION, fields, remark=problem)
            )
        except RemotingError as exc:
            logger.warning("producer %s: check answer failed: %s", self.group, exc)
            return
        self.checks_answered += 1
