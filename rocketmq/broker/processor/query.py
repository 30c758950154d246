"""VIEW_MESSAGE_BY_ID (33) and QUERY_MESSAGE (12): records by offset or by key.

Upstream QueryMessageProcessor. Bodies are raw CommitLog records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rocketmq._core import remoting as codec
from rocketmq.broker.processor.fields import (
    ext_of,
    optional_long,
    required_int,
    required_long,
    required_str,
)
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.errors import BrokerError

if TYPE_CHECKING:
    from rocketmq.broker.controller import BrokerController
    from rocketmq.remoting.connection import RemotingConnection

RemotingCommand = codec.RemotingCommand

QUERY_MESSAGE_MAX = 64  # defaultQueryMaxNum upstream


class QueryMessageProcessor:
    def __init__(self, broker: BrokerController) -> None:
        self.broker = broker

    def install(self, server) -> None:
        server.register_processor(RequestCode.VIEW_MESSAGE_BY_ID, self.view_message_by_id)
        server.register_processor(RequestCode.QUERY_MESSAGE, self.query_message)

    def _raw(self, physical_offset: int, size: int) -> bytes | None:
        view = self.broker.store.commit_log.read(physical_offset, size)
        return None if view is None else bytes(view)

    def view_message_by_id(self, connection: RemotingConnection, request: RemotingCommand):
        offset = required_long(ext_of(request), "offset")
        record = self.broker.store.look_message_by_offset(offset)
        raw = self._raw(offset, record.total_size) if record is not None else None
        if raw is None:
            raise BrokerError(
                ResponseCode.SYSTEM_ERROR, f"can not find message by the offset, {offset}"
            )
        return RemotingCommand(ResponseCode.SUCCESS, body=raw)

    def query_message(self, connection: RemotingConnection, request: RemotingCommand):
        ext = ext_of(request)
        topic = required_str(ext, "topic")
        key = required_str(ext, "key")
        max_num = min(max(1, required_int(ext, "maxNum")), QUERY_MESSAGE_MAX)
        begin = optional_long(ext, "beginTimestamp") or 0
        end = optional_long(ext, "endTimestamp")
        if end is None:
            end = 2**63 - 1
        records = self.broker.store.query_message(topic, key, max_num, begin, end)
        parts = []
        for record in records:
            raw = self._raw(record.physical_offset, record.total_size)
            if raw is not None:
                parts.append(raw)
        index = self.broker.store.index
        fields = {
            "indexLastUpdateTimestamp": str(index.end_timestamp if index is not None else 0),
            "indexLastUpdatePhyoffset": str(index.end_phy_offset if index is not None else 0),
        }
        if not parts:
            raise BrokerError(
                ResponseCode.QUERY_NOT_FOUND,
                "can not find message, maybe time range not correct",
            )
        return RemotingCommand(ResponseCode.SUCCESS, fields, b"".join(parts))
