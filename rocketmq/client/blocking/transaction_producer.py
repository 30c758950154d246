"""TransactionMQProducer of rocketmq-client-python, running our asyncio TransactionProducer.

``checker_callback(ReceivedMessage)`` and ``local_execute(ReceivedMessage,
user_args)`` return TransactionStatus (COMMIT, ROLLBACK, UNKNOWN); anything
else, or an exception, counts as UNKNOWN (logged), so the broker asks again
later. Both run in a worker thread, not on the client's event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from rocketmq.client.aio.transaction_producer import TransactionProducer as AsyncTxProducer
from rocketmq.client.aio.transaction_producer import TransactionStatus as CoreStatus
from rocketmq.client.blocking import runtime
from rocketmq.client.blocking.exceptions import ProducerSendSyncFailed
from rocketmq.client.blocking.message import (
    Message,
    ReceivedMessage,
    SendResult,
    TransactionStatus,
    received_from_outgoing,
)
from rocketmq.client.blocking.producer import Producer, send_result
from rocketmq.client.message import Message as CoreMessage
from rocketmq.client.message import MessageExt
from rocketmq.errors import RocketMQError

logger = logging.getLogger("rocketmq.client")

_TO_CORE = {
    TransactionStatus.COMMIT: CoreStatus.COMMIT,
    TransactionStatus.ROLLBACK: CoreStatus.ROLLBACK,
    TransactionStatus.UNKNOWN: CoreStatus.UNKNOWN,
}


def _core_status(answer: Any, what: str) -> CoreStatus:
    try:
        return _TO_CORE[TransactionStatus(answer)]
    except (ValueError, KeyError):
        logger.error("%s returned %r, not a TransactionStatus: UNKNOWN", what, answer)
        return CoreStatus.UNKNOWN


class TransactionMQProducer(Producer):
    def __init__(
        self,
        group_id: str,
        checker_callback: Callable[[ReceivedMessage], TransactionStatus],
        user_args: Any = None,
        timeout: int | None = None,
        compress_level: int | None = None,
        max_message_size: int | None = None,
    ) -> None:
        super().__init__(group_id, False, timeout, compress_level, max_message_size)
        self._checker = checker_callback
        self._local_execute: dict[str, tuple[Callable, Any]] = {}

    def _make_core(self) -> AsyncTxProducer:
        async def local_transaction(message: CoreMessage, msg_id: Any) -> CoreStatus:
            callback, user_args = self._local_execute[msg_id]
            received = received_from_outgoing(message)
            return await asyncio.to_thread(
                self._run, callback, "local_execute", received, user_args
            )

        async def check_listener(message: MessageExt) -> CoreStatus:
            received = ReceivedMessage(message)
            return await asyncio.to_thread(self._run, self._checker, "checker_callback", received)

        return AsyncTxProducer(
            self._group,
            self._namesrv,
            local_transaction=local_transaction,
            check_listener=check_listener,
            instance_name=self._instance_name,
            send_timeout_ms=self._timeout_ms,
            max_message_size=self._max_message_size,
        )

    @staticmethod
    def _run(callback: Callable, what: str, *args: Any) -> CoreStatus:
        try:
            return _core_status(callback(*args), what)
        except Exception:
            logger.exception("%s raised: UNKNOWN", what)
            return CoreStatus.UNKNOWN

    def send_message_in_transaction(
        self,
        message: Message,
        local_execute: Callable[[ReceivedMessage, Any], TransactionStatus],
        user_args: Any = None,
    ) -> SendResult:
        core = self._started(ProducerSendSyncFailed)
        key = str(id(message))
        self._local_execute[key] = (local_execute, user_args)
        try:
            result = runtime.call(core.send_message_in_transaction(message._core, key))
        except RocketMQError as exc:
            raise ProducerSendSyncFailed(str(exc)) from exc
        finally:
            self._local_execute.pop(key, None)
        return send_result(result)
