"""END_TRANSACTION (37): a producer commits or rolls back a half message.

Upstream EndTransactionProcessor (4.9.7). The Java client sends it oneway,
right after its local transaction (fromTransactionCheck=false) or as the
answer to a CHECK_TRANSACTION_STATE (fromTransactionCheck=true). The half is
found by its commit-log offset and must match the header's producer group,
queue offset and commit-log offset. Commit stores the final message under
the real topic; commit and rollback then write the op record that retires the
half. Unknown (0) is ignored; a slave refuses with SLAVE_NOT_AVAILABLE.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING

from rocketmq._core import message as msgfmt
from rocketmq._core import remoting as codec
from rocketmq.broker.config import SLAVE
from rocketmq.broker.parking import park_message
from rocketmq.broker.processor.fields import (
    ext_of,
    optional_bool,
    optional_str,
    required_int,
    required_long,
    required_str,
)
from rocketmq.broker.transaction.half import (
    check_prepare_message,
    end_message_transaction,
    op_message,
)
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.errors import HeaderError
from rocketmq.store.status import PutMessageStatus

if TYPE_CHECKING:
    from rocketmq.broker.controller import BrokerController
    from rocketmq.remoting.connection import RemotingConnection

logger = logging.getLogger("rocketmq.broker")

RemotingCommand = codec.RemotingCommand

TRANSACTION_NOT_TYPE = msgfmt.TRANSACTION_NOT_TYPE
TRANSACTION_COMMIT_TYPE = msgfmt.TRANSACTION_COMMIT_TYPE
TRANSACTION_ROLLBACK_TYPE = msgfmt.TRANSACTION_ROLLBACK_TYPE
_TRANSACTION_TYPES = (TRANSACTION_NOT_TYPE, TRANSACTION_COMMIT_TYPE, TRANSACTION_ROLLBACK_TYPE)

# EndTransactionProcessor#sendFinalMessage: put status -> (code, remark).
_STORED = (ResponseCode.SUCCESS, None)
_FINAL_PUT_CODES = {
    PutMessageStatus.PUT_OK: _STORED,
    PutMessageStatus.FLUSH_DISK_TIMEOUT: _STORED,
    PutMessageStatus.FLUSH_SLAVE_TIMEOUT: _STORED,
    PutMessageStatus.SLAVE_NOT_AVAILABLE: _STORED,
    PutMessageStatus.CREATE_MAPPED_FILE_FAILED: (
        ResponseCode.SYSTEM_ERROR,
        "Create mapped file failed.",
    ),
    PutMessageStatus.MESSAGE_ILLEGAL: (ResponseCode.MESSAGE_ILLEGAL, None),
    PutMessageStatus.PROPERTIES_SIZE_EXCEEDED: (ResponseCode.MESSAGE_ILLEGAL, None),
    PutMessageStatus.SERVICE_NOT_AVAILABLE: (
        ResponseCode.SERVICE_NOT_AVAILABLE,
        "Service not available now.",
    ),
    PutMessageStatus.OS_PAGE_CACHE_BUSY: (
        ResponseCode.SYSTEM_ERROR,
        "OS page cache busy, please try another machine",
    ),
    PutMessageStatus.UNKNOWN_ERROR: (ResponseCode.SYSTEM_ERROR, "UNKNOWN_ERROR"),
}


class EndTransactionProcessor:
    def __init__(self, broker: BrokerController) -> None:
        self.broker = broker

    def install(self, server) -> None:
        server.register_processor(RequestCode.END_TRANSACTION, self.process)

    async def process(
        self, connection: RemotingConnection, request: RemotingCommand
    ) -> RemotingCommand | None:
        ext = ext_of(request)
        group = required_str(ext, "producerGroup")
        queue_offset = required_long(ext, "tranStateTableOffset")
        commit_log_offset = required_long(ext, "commitLogOffset")
        transaction_type = required_int(ext, "commitOrRollback")
        from_check = optional_bool(ext, "fromTransactionCheck") or False
        msg_id = required_str(ext, "msgId")
        optional_str(ext, "transactionId")
        if transaction_type not in _TRANSACTION_TYPES:
            raise HeaderError("commitOrRollback field wrong")
        broker = self.broker
        if broker.config.broker_role == SLAVE:
            logger.warning("Message store is slave mode, so end transaction is forbidden.")
            return RemotingCommand(ResponseCode.SLAVE_NOT_AVAILABLE)
        if transaction_type == TRANSACTION_NOT_TYPE:
            # The producer does not know yet: the check service will ask it again.
            logger.debug(
                "producer %s left message %s of group %s unknown (%s)",
                connection.remote_address,
                msg_id,
                group,
                "check answer" if from_check else "after sending",
            )
            return None

        store = broker.store
        half = store.look_message_by_offset(commit_log_offset)
        if half is None:
            return RemotingCommand(
                ResponseCode.SYSTEM_ERROR, remark="Find prepared transaction message failed"
            )
        problem = check_prepare_message(half, group, queue_offset, commit_log_offset)
        if problem is not None:
            return RemotingCommand(ResponseCode.SYSTEM_ERROR, remark=problem)
        if transaction_type == TRANSACTION_COMMIT_TYPE:
            message = end_message_transaction(half, functools.partial(park_message, broker))
            result = await store.put_messages([message])
            code, remark = _FINAL_PUT_CODES.get(
                result.status, (ResponseCode.SYSTEM_ERROR, "UNKNOWN_ERROR DEFAULT")
            )
            if code == ResponseCode.MESSAGE_ILLEGAL:
                remark = (
                    "The message is illegal, maybe msg body or properties length not matched. "
                    f"msg body length limit {broker.config.message_size_max}B, "
                    "msg properties length limit 32KB."
                )
            if code != ResponseCode.SUCCESS:
                return RemotingCommand(code, remark=remark)
            broker.stats.on_put(message.topic, 1)
        await self._delete_prepare_message(half)
        return RemotingCommand(ResponseCode.SUCCESS)

    async def _delete_prepare_message(self, half: msgfmt.MessageRecord) -> None:
        """Write the op record that retires ``half`` (deletePrepareMessage)."""
        store = self.broker.store
        result = await store.put_messages([op_message(half, store.commit_log.store_host)])
        if not result.status.stored:
            # The half stays pending: the check service will ask the producer again.
            logger.error(
                "transaction op record for half offset %d not stored: %s",
                half.queue_offset,
                result.status.value,
            )
