"""Consumer offsets and queue offsets.

QUERY_CONSUMER_OFFSET (14), UPDATE_CONSUMER_OFFSET (15), SEARCH_OFFSET_BY_TIMESTAMP
(29), GET_MAX_OFFSET (30), GET_MIN_OFFSET (31), GET_EARLIEST_MSG_STORETIME (32).
Upstream ConsumerManageProcessor and AdminBrokerProcessor.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from rocketmq._core import remoting as codec
from rocketmq.broker.processor.fields import (
    ext_of,
    optional_bool,
    optional_str,
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

# A message this close to the CommitLog tail counts as in memory
# (accessMessageInMemoryMaxRatio, 40 % of RAM).
ACCESS_MESSAGE_IN_MEMORY_MAX_RATIO = 0.4


def _memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 8 * 1024**3


_HOT_WINDOW_BYTES = int(_memory_bytes() * ACCESS_MESSAGE_IN_MEMORY_MAX_RATIO)


def _offset_response(offset: int) -> RemotingCommand:
    return RemotingCommand(ResponseCode.SUCCESS, {"offset": str(offset)})


class OffsetProcessor:
    def __init__(self, broker: BrokerController) -> None:
        self.broker = broker

    def install(self, server) -> None:
        server.register_processor(RequestCode.QUERY_CONSUMER_OFFSET, self.query_consumer_offset)
        server.register_processor(RequestCode.UPDATE_CONSUMER_OFFSET, self.update_consumer_offset)
        server.register_processor(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, self.search_offset)
        server.register_processor(RequestCode.GET_MAX_OFFSET, self.get_max_offset)
        server.register_processor(RequestCode.GET_MIN_OFFSET, self.get_min_offset)
        server.register_processor(RequestCode.GET_EARLIEST_MSG_STORETIME, self.get_earliest)

    def query_consumer_offset(self, connection: RemotingConnection, request: RemotingCommand):
        ext = ext_of(request)
        group = required_str(ext, "consumerGroup")
        topic = required_str(ext, "topic")
        queue_id = required_int(ext, "queueId")
        offset = self.broker.consumer_offset_manager.query_offset(group, topic, queue_id)
        if offset >= 0:
            return _offset_response(offset)
        # No committed offset: a young queue whose first message is still hot
        # is read from 0, so a new group on a new topic misses nothing; so is a
        # queue never written to (4.9.7: its offset 0 is not "in disk"), where 0
        # is also what every consume-from-where rule would pick.
        store = self.broker.store
        if optional_bool(ext, "setZeroIfNotFound") is False:
            raise BrokerError(
                ResponseCode.QUERY_NOT_FOUND,
                "Not found, do not set to zero, maybe this group boot first",
            )
        if store.get_min_offset_in_queue(topic, queue_id) <= 0 and self._starts_young(
            topic, queue_id
        ):
            return _offset_response(0)
        raise BrokerError(
            ResponseCode.QUERY_NOT_FOUND,
            "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first",
        )

    def _starts_young(self, topic: str, queue_id: int) -> bool:
        """The queue's first message is hot, or the queue has none at all."""
        store = self.broker.store
        if store.get_max_offset_in_queue(topic, queue_id) <= 0:
            return True
        queue = store.find_consume_queue(topic, queue_id)
        unit = queue.unit(0) if queue is not None else None
        if unit is None:
            return False
        return store.commit_log.max_offset - unit[0] <= _HOT_WINDOW_BYTES

    def update_consumer_offset(self, connection: RemotingConnection, request: RemotingCommand):
        ext = ext_of(request)
        self.broker.consumer_offset_manager.commit_offset(
            required_str(ext, "consumerGroup"),
            required_str(ext, "topic"),
            required_int(ext, "queueId"),
            required_long(ext, "commitOffset"),
        )
        return RemotingCommand(ResponseCode.SUCCESS)

    def search_offset(self, connection: RemotingConnection, request: RemotingCommand):
        ext = ext_of(request)
        topic = required_str(ext, "topic")
        queue_id = required_int(ext, "queueId")
        timestamp = required_long(ext, "timestamp")
        boundary = (optional_str(ext, "boundaryType") or "lower").lower()
        store = self.broker.store
        offset = store.get_offset_in_queue_by_time(topic, queue_id, timestamp)
        if boundary == "upper":
            # Last message stored at or before the timestamp.
            max_offset = store.get_max_offset_in_queue(topic, queue_id)
            while offset < max_offset:
                stored = store.get_store_time(topic, queue_id, offset)
                if stored is None or stored > timestamp:
                    break
                offset += 1
            offset = max(store.get_min_offset_in_queue(topic, queue_id), offset - 1)
        return _offset_response(offset)

    def get_max_offset(self, connection: RemotingConnection, request: RemotingCommand):
        ext = ext_of(request)
        offset = self.broker.store.get_max_offset_in_queue(
            required_str(ext, "topic"), required_int(ext, "queueId")
        )
        return _offset_response(offset)

    def get_min_offset(self, connection: RemotingConnection, request: RemotingCommand):
        ext = ext_of(request)
        offset = self.broker.store.get_min_offset_in_queue(
            required_str(ext, "topic"), required_int(ext, "queueId")
        )
        return _offset_response(offset)

    def get_earliest(self, connection: RemotingConnection, request: RemotingCommand):
        ext = ext_of(request)
        timestamp = self.broker.store.get_earliest_message_time(
            required_str(ext, "topic"), required_int(ext, "queueId")
        )
        return RemotingCommand(ResponseCode.SUCCESS, {"timestamp": str(timestamp or 0)})
