"""PULL_MESSAGE (11) and LITE_PULL_MESSAGE (361), with long polling.

Upstream PullMessageProcessor (validation order and status -> code table in
shared/spec/semantics.md §5). A pull that finds nothing (19) and carries the
SUSPEND flag is held by the PullRequestHoldService and runs once more when a
matching message arrives or its suspend time is over.

SQL92 subscriptions (broker ``enablePropertyFilter``) are checked like
upstream 4.9.x/5.x: from the heartbeat, the group's compiled filter must
exist (27 FILTER_DATA_NOT_EXIST when the expression did not compile) and be
as new as the pull's subVersion (28); a pull carrying its subscription
(flag 0x4) is compiled here (23 when it does not compile; upstream's
``assert`` there is off in production, which would let every message
through). Then SQL92 on a broker without ``enablePropertyFilter`` gets 1.
The store reads each candidate's properties and the filter decides.

Replication (4.9.x): ``suggestWhichBrokerId`` is 0 unless ``slaveReadEnable``;
then it is the group's ``whichBrokerWhenConsumeSlowly`` for a consumer whose
last message lies more than ``accessMessageInMemoryMaxRatio`` percent of RAM
behind the CommitLog end, else the group's ``brokerId``. A slave without
``offsetCheckInSlave`` keeps the request's offset as nextBeginOffset where a
master corrects it (too small, too big, empty queue) and answers
PULL_RETRY_IMMEDIATELY (20) where a master answers PULL_OFFSET_MOVED (21),
suggesting the group's ``brokerId``: the client keeps its offset. Commits piggybacked on a
pull (flag 0x1) are not stored by a slave.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from rocketmq._core import headers
from rocketmq._core import remoting as codec
from rocketmq.broker.client_manager import BROADCASTING, SubscriptionData
from rocketmq.broker.config import SLAVE
from rocketmq.broker.filter import SQL92, TAG
from rocketmq.broker.processor.fields import ext_of
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.common.topic import MASTER_ID, PERM_READ
from rocketmq.errors import BrokerError, SelectorError
from rocketmq.filter import Selector, compile_selector
from rocketmq.remoting.transfer import FileRange, FileRegionResponse
from rocketmq.store.status import GetMessageStatus

if TYPE_CHECKING:
    from rocketmq.broker.controller import BrokerController
    from rocketmq.remoting.connection import RemotingConnection

logger = logging.getLogger("rocketmq.broker")

RemotingCommand = codec.RemotingCommand

FLAG_COMMIT_OFFSET = 0x1
FLAG_SUSPEND = 0x2
FLAG_SUBSCRIPTION = 0x4

_EXPRESSION_TYPES = (TAG, SQL92)

# Status -> response code; the two "queue has nothing" statuses depend on the offset.
_STATUS_CODES = {
    GetMessageStatus.FOUND: ResponseCode.SUCCESS,
    GetMessageStatus.NO_MATCHED_MESSAGE: ResponseCode.PULL_RETRY_IMMEDIATELY,
    GetMessageStatus.MESSAGE_WAS_REMOVING: ResponseCode.PULL_RETRY_IMMEDIATELY,
    GetMessageStatus.OFFSET_FOUND_NULL: ResponseCode.PULL_NOT_FOUND,
    GetMessageStatus.OFFSET_OVERFLOW_ONE: ResponseCode.PULL_NOT_FOUND,
    GetMessageStatus.OFFSET_OVERFLOW_BADLY: ResponseCode.PULL_OFFSET_MOVED,
    GetMessageStatus.OFFSET_TOO_SMALL: ResponseCode.PULL_OFFSET_MOVED,
}
_EMPTY_QUEUE = (GetMessageStatus.NO_MATCHED_LOGIC_QUEUE, GetMessageStatus.NO_MESSAGE_IN_QUEUE)
# Statuses whose nextBeginOffset the store corrects; a slave leaves the
# request's offset (DefaultMessageStore#nextOffsetCorrection).
_CORRECTED = (
    *_EMPTY_QUEUE,
    GetMessageStatus.OFFSET_TOO_SMALL,
    GetMessageStatus.OFFSET_OVERFLOW_ONE,
    GetMessageStatus.OFFSET_OVERFLOW_BADLY,
    GetMessageStatus.OFFSET_FOUND_NULL,
)


def total_physical_memory() -> int:
    """Bytes of RAM (StoreUtil.TOTAL_PHYSICAL_MEMORY_SIZE upstream)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 8 * 1024**3  # no sysconf: assume 8 GiB


class PullMessageProcessor:
    def __init__(self, broker: BrokerController) -> None:
        self.broker = broker
        ratio = broker.config.access_message_in_memory_max_ratio
        self._in_memory_bytes = total_physical_memory() * ratio // 100

    def install(self, server) -> None:
        server.register_processor(RequestCode.PULL_MESSAGE, self.process)
        server.register_processor(RequestCode.LITE_PULL_MESSAGE, self.process)

    async def process(
        self, connection: RemotingConnection, request: RemotingCommand
    ) -> RemotingCommand | FileRegionResponse:
        header = headers.PullMessageRequestHeader.from_ext_fields(ext_of(request))
        subscription, selector = self._check(connection, header)
        if header.sys_flag & FLAG_COMMIT_OFFSET and self.broker.config.broker_role != SLAVE:
            self.broker.consumer_offset_manager.commit_offset(
                header.consumer_group, header.topic, header.queue_id, header.commit_offset
            )
        response = self._read(header, subscription, selector)
        code = response.command.code if type(response) is FileRegionResponse else response.code
        if code != ResponseCode.PULL_NOT_FOUND or not header.sys_flag & FLAG_SUSPEND:
            return response
        config = self.broker.config
        hold_ms = (
            header.suspend_timeout_millis
            if config.long_polling_enable
            else config.short_polling_time_ms
        )
        await self.broker.hold_service.wait(
            header.topic,
            header.queue_id,
            header.queue_offset,
            subscription.code_set,
            hold_ms,
            None if selector is None else self._arrival_filter(header, selector),
        )
        # Whatever woke us (a message, the deadline), answer with what is there now;
        # the checks ran before the wait and are not repeated (upstream re-runs them).
        return self._read(header, subscription, selector)

    def _arrival_filter(self, header, selector: Selector):
        """Wake a held SQL92 pull only for a message its filter accepts."""
        store, topic, queue_id = self.broker.store, header.topic, header.queue_id

        def accepts(queue_offset: int) -> bool:
            properties = store.read_properties(topic, queue_id, queue_offset)
            return properties is None or selector.matches(properties)

        return accepts

    def _check(
        self, connection: RemotingConnection, header
    ) -> tuple[SubscriptionData, Selector | None]:
        broker = self.broker
        if not broker.config.broker_permission & PERM_READ:
            raise BrokerError(
                ResponseCode.NO_PERMISSION,
                f"the broker[{broker.config.broker_ip1}] pulling message is forbidden",
            )
        group = header.consumer_group
        group_config = broker.subscription_group_manager.find(group)
        if group_config is None:
            raise BrokerError(
                ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST,
                f"subscription group [{group}] does not exist",
            )
        if not group_config.consume_enable:
            raise BrokerError(
                ResponseCode.NO_PERMISSION, f"subscription group no permission, {group}"
            )
        topic = header.topic
        topic_config = broker.topic_config_manager.select(topic)
        if topic_config is None:
            raise BrokerError(
                ResponseCode.TOPIC_NOT_EXIST, f"topic[{topic}] not exist, apply first please!"
            )
        if not topic_config.readable:
            raise BrokerError(
                ResponseCode.NO_PERMISSION, f"the topic[{topic}] pulling message is forbidden"
            )
        if not 0 <= header.queue_id < topic_config.read_queue_nums:
            raise BrokerError(
                ResponseCode.SYSTEM_ERROR,
                f"queueId[{header.queue_id}] is illegal, topic:[{topic}] "
                f"topicConfig.readQueueNums:[{topic_config.read_queue_nums}] "
                f"consumer:[{connection.remote_address}]",
            )
        if header.sys_flag & FLAG_SUBSCRIPTION:
            kind = (header.expression_type or "TAG").upper()
            if kind not in _EXPRESSION_TYPES:
                raise BrokerError(
                    ResponseCode.SUBSCRIPTION_PARSE_FAILED,
                    f"parse the consumer's subscription[{header.subscription}] failed, "
                    f"group: {group}",
                )
            if kind != TAG and not header.subscription:
                # FilterAPI.build: "Expression can't be null!"
                raise BrokerError(
                    ResponseCode.SUBSCRIPTION_PARSE_FAILED,
                    f"parse the consumer's subscription failed: empty {kind} expression, "
                    f"group: {group}",
                )
            subscription = SubscriptionData.build(
                topic, header.subscription, kind, header.sub_version
            )
            selector = None
            info = broker.consumer_manager.find(group)
            if info is not None and info.message_model == BROADCASTING:
                self._check_broadcast(group_config, group)
        else:
            info = broker.consumer_manager.find(group)
            if info is None:
                raise BrokerError(
                    ResponseCode.SUBSCRIPTION_NOT_EXIST,
                    f"the consumer's group info not exist, group: {group}",
                )
            if info.message_model == BROADCASTING:
                self._check_broadcast(group_config, group)
            subscription = info.subscriptions.get(topic)
            if subscription is None:
                raise BrokerError(
                    ResponseCode.SUBSCRIPTION_NOT_EXIST,
                    f"the consumer's subscription not exist, group: {group}, topic: {topic}",
                )
            if subscription.sub_version < header.sub_version:
                raise BrokerError(
                    ResponseCode.SUBSCRIPTION_NOT_LATEST,
                    f"the consumer's subscription not latest, group: {group}",
                )
            selector = self._heartbeat_filter(subscription, header)
        if subscription.expression_type == TAG:
            return subscription, None
        if not broker.config.enable_property_filter:
            raise BrokerError(
                ResponseCode.SYSTEM_ERROR,
                "The broker does not support consumer to filter message by "
                f"{subscription.expression_type}",
            )
        if selector is None:
            try:
                selector = compile_selector(subscription.sub_string)
            except SelectorError as exc:
                raise BrokerError(
                    ResponseCode.SUBSCRIPTION_PARSE_FAILED,
                    f"parse the consumer's subscription[{subscription.sub_string}] failed, "
                    f"group: {group}: {exc}",
                ) from None
        return subscription, selector

    def _heartbeat_filter(self, subscription: SubscriptionData, header) -> Selector | None:
        """The compiled filter a heartbeat registered (ConsumerFilterManager); None for TAG."""
        if subscription.expression_type == TAG:
            return None
        group = header.consumer_group
        data = self.broker.consumer_manager.filter_manager.get(header.topic, group)
        if data is None:
            raise BrokerError(
                ResponseCode.FILTER_DATA_NOT_EXIST,
                "The broker's consumer filter data is not exist!Your expression may be wrong!",
            )
        if data.client_version < header.sub_version:
            raise BrokerError(
                ResponseCode.FILTER_DATA_NOT_LATEST,
                f"the consumer's consumer filter data not latest, group: {group}",
            )
        return data.selector

    @staticmethod
    def _check_broadcast(group_config, group: str) -> None:
        if not group_config.consume_broadcast_enable:
            raise BrokerError(
                ResponseCode.NO_PERMISSION,
                f"the consumer group[{group}] can not consume by broadcast way",
            )

    def _consumes_slowly(self, result) -> bool:
        """The last message read lies beyond the in-memory window (isSuggestPullingFromSlave)."""
        if not result.segments:
            return False
        mapped, position, _size = result.segments[-1]
        behind = self.broker.store.commit_log.max_offset - (mapped.file_from_offset + position)
        return behind > self._in_memory_bytes

    def _read(
        self, header, subscription: SubscriptionData, selector: Selector | None
    ) -> RemotingCommand | FileRegionResponse:
        config = self.broker.config
        max_bytes = config.pull_bytes_max
        if header.max_msg_bytes is not None and header.max_msg_bytes > 0:
            max_bytes = min(max_bytes, header.max_msg_bytes)
        result = self.broker.store.get_message(
            header.topic,
            header.queue_id,
            header.queue_offset,
            min(max(1, header.max_msg_nums), config.pull_msg_nums_max),
            subscription.code_set,
            max_bytes,
            None if selector is None else selector.matches,
        )
        status = result.status
        if status in _EMPTY_QUEUE:
            code = (
                ResponseCode.PULL_OFFSET_MOVED
                if header.queue_offset != 0
                else ResponseCode.PULL_NOT_FOUND
            )
        else:
            code = _STATUS_CODES[status]
        group_config = self.broker.subscription_group_manager.table.get(header.consumer_group)
        suggest = MASTER_ID
        if config.slave_read_enable and group_config is not None:
            suggest = (
                group_config.which_broker_when_consume_slowly
                if self._consumes_slowly(result)
                else group_config.broker_id
            )
        next_begin_offset = result.next_begin_offset
        if config.broker_role == SLAVE and not config.offset_check_in_slave:
            if status in _CORRECTED:
                next_begin_offset = header.queue_offset
            if code == ResponseCode.PULL_OFFSET_MOVED:
                code = ResponseCode.PULL_RETRY_IMMEDIATELY
                suggest = group_config.broker_id if group_config is not None else MASTER_ID
                logger.warning(
                    "PULL_OFFSET_MOVED:none correction. topic=%s, groupId=%s, requestOffset=%d, "
                    "suggestBrokerId=%d",
                    header.topic, header.consumer_group, header.queue_offset, suggest,
                )  # fmt: skip
        elif code == ResponseCode.PULL_OFFSET_MOVED:
            logger.warning(
                "PULL_OFFSET_MOVED:correction offset. topic=%s, groupId=%s, requestOffset=%d, "
                "newOffset=%d, suggestBrokerId=%d",
                header.topic, header.consumer_group, header.queue_offset, next_begin_offset,
                suggest,
            )  # fmt: skip
        response_header = headers.PullMessageResponseHeader(
            suggest, next_begin_offset, result.min_offset, result.max_offset
        )
        command = RemotingCommand(code, response_header.to_ext_fields(), remark=status.value)
        if status is not GetMessageStatus.FOUND:
            return command
        self.broker.stats.on_get(header.consumer_group, header.topic, len(result.segments))
        # The body is the records themselves: from the page cache to the socket, or
        # (transferMsgByHeap=true) copies of the mapped views.
        ranges = [
            FileRange(mapped.fd, position, size, mapped.view(position, size))
            for mapped, position, size in result.segments
        ]
        return FileRegionResponse(
            command, ranges, result.release, zero_copy=not config.transfer_msg_by_heap
        )
