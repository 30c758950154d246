"""SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320).

Upstream SendMessageProcessor with AbstractSendMessageProcessor#msgCheck:
check permissions and the topic (auto-creating it from TBW102 when allowed),
pick the queue, build the records, append, and map the store's status onto
a response code.
"""

from __future__ import annotations

import logging
import random
import socket
from typing import TYPE_CHECKING

from rocketmq._core import headers
from rocketmq._core import message as msgfmt
from rocketmq._core import remoting as codec
from rocketmq.broker.parking import park_message
from rocketmq.broker.processor.fields import ext_of
from rocketmq.broker.topic_config import (
    DLQ_GROUP_TOPIC_PREFIX,
    RETRY_GROUP_TOPIC_PREFIX,
    SEND_FORBIDDEN_TOPICS,
    TopicConfig,
    validate_topic_name,
)
from rocketmq.broker.transaction.half import park_if_half
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.common.topic import PERM_WRITE
from rocketmq.errors import BrokerError, HeaderError
from rocketmq.store.commit_log import MessageToStore
from rocketmq.store.status import PutMessageStatus

if TYPE_CHECKING:
    from rocketmq.broker.controller import BrokerController
    from rocketmq.remoting.connection import RemotingConnection

logger = logging.getLogger("rocketmq.broker")

RemotingCommand = codec.RemotingCommand

PROPERTY_CLUSTER = "CLUSTER"
PROPERTY_UNIQ_KEY = "UNIQ_KEY"
PROPERTY_RETRY_TOPIC = "RETRY_TOPIC"
VERSION_V3_4_9 = 121  # from here on the header's maxReconsumeTimes is honoured

# Extra fields every send response carries: the Java client reads them unconditionally.
SEND_RESPONSE_EXT = {"MSG_REGION": "DefaultRegion", "TRACE_ON": "true"}

_STATUS_CODES = {
    PutMessageStatus.PUT_OK: (ResponseCode.SUCCESS, None),
    PutMessageStatus.FLUSH_DISK_TIMEOUT: (ResponseCode.FLUSH_DISK_TIMEOUT, None),
    PutMessageStatus.FLUSH_SLAVE_TIMEOUT: (ResponseCode.FLUSH_SLAVE_TIMEOUT, None),
    PutMessageStatus.SLAVE_NOT_AVAILABLE: (ResponseCode.SLAVE_NOT_AVAILABLE, None),
    PutMessageStatus.CREATE_MAPPED_FILE_FAILED: (
        ResponseCode.SYSTEM_ERROR,
        "create mapped file failed, server is busy or broken.",
    ),
    PutMessageStatus.MESSAGE_ILLEGAL: (
        ResponseCode.MESSAGE_ILLEGAL,
        "the message is illegal, maybe msg body or properties length not matched.",
    ),
    PutMessageStatus.PROPERTIES_SIZE_EXCEEDED: (
        ResponseCode.MESSAGE_ILLEGAL,
        "the message is illegal, maybe msg properties length limit 32k.",
    ),
    PutMessageStatus.SERVICE_NOT_AVAILABLE: (
        ResponseCode.SERVICE_NOT_AVAILABLE,
        "service not available now, maybe disk full or the broker is shutting down.",
    ),
    PutMessageStatus.OS_PAGE_CACHE_BUSY: (
        ResponseCode.SYSTEM_ERROR,
        "[PC_SYNCHRONIZED]broker busy, start flow control for a while",
    ),
    PutMessageStatus.UNKNOWN_ERROR: (ResponseCode.SYSTEM_ERROR, "UNKNOWN_ERROR"),
}


def host_of(address: str) -> tuple[bytes, int]:
    """ "ip:port" / "[v6]:port" -> (packed ip, port) as a record stores it."""
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    try:
        if ":" in host:
            return socket.inet_pton(socket.AF_INET6, host), int(port)
        return socket.inet_pton(socket.AF_INET, host), int(port)
    except (OSError, ValueError):
        return b"\x7f\x00\x00\x01", 0


class SendMessageProcessor:
    def __init__(self, broker: BrokerController) -> None:
        self.broker = broker

    def install(self, server) -> None:
        for code in (
            RequestCode.SEND_MESSAGE,
            RequestCode.SEND_MESSAGE_V2,
            RequestCode.SEND_BATCH_MESSAGE,
        ):
            server.register_processor(code, self.process)

    async def process(
        self, connection: RemotingConnection, request: RemotingCommand
    ) -> RemotingCommand:
        ext = ext_of(request)
        v2 = request.code != RequestCode.SEND_MESSAGE
        header = headers.SendMessageRequestHeader.from_ext_fields(ext, v2)
        batch = request.code == RequestCode.SEND_BATCH_MESSAGE
        topic_config = self._check(header, connection)
        topic = header.topic
        queue_id = header.queue_id
        if queue_id < 0:
            queue_id = random.randrange(max(1, topic_config.write_queue_nums))
        if topic.startswith(RETRY_GROUP_TOPIC_PREFIX) and not batch:
            topic, queue_id = self._retry_or_dead_letter(header, request.version, queue_id)

        body = request.body or b""
        born_host = host_of(connection.remote_address)
        cluster = self.broker.config.broker_cluster_name
        if batch:
            messages = self._batch_messages(header, topic, queue_id, body, born_host, cluster)
            uniq_key = None
        else:
            properties = msgfmt.string_to_properties(header.properties)
            properties[PROPERTY_CLUSTER] = cluster
            uniq_key = properties.get(PROPERTY_UNIQ_KEY)
            sys_flag = header.sys_flag
            reconsume_times = header.reconsume_times or 0
            half = park_if_half(
                topic, queue_id, properties, sys_flag, reconsume_times, self.broker.config
            )
            if half is not None:  # waits for END_TRANSACTION; a delay applies on commit
                stored_topic, stored_queue_id, sys_flag = half
            else:
                stored_topic, stored_queue_id = park_message(
                    self.broker, topic, queue_id, properties, sys_flag
                )
            messages = [
                self._message(
                    header, stored_topic, stored_queue_id, body, properties, born_host, header.flag
                )
            ]
            messages[0].sys_flag = sys_flag
        for message in messages:
            if len(message.body) > self.broker.config.message_size_max:
                raise BrokerError(
                    ResponseCode.MESSAGE_ILLEGAL,
                    f"the message body size over max value, MAX: "
                    f"{self.broker.config.message_size_max}",
                )
        result = await self.broker.store.put_messages(messages)
        code, remark = _STATUS_CODES.get(result.status, (ResponseCode.SYSTEM_ERROR, None))
        if not result.status.stored:
            raise BrokerError(code, remark or result.status.value)
        # The stored topic: delayed and half messages count when they reach their own.
        self.broker.stats.on_put(messages[0].topic, len(messages))
        response_header = headers.SendMessageResponseHeader(
            ",".join(result.msg_ids), queue_id, result.queue_offset, uniq_key
        )
        fields = response_header.to_ext_fields()
        fields.update(SEND_RESPONSE_EXT)
        return RemotingCommand(code, fields, remark=remark)

    # -- checks (AbstractSendMessageProcessor#msgCheck) ----------------------------------------

    def _check(self, header, connection: RemotingConnection) -> TopicConfig:
        broker = self.broker
        topic = header.topic
        if not broker.config.broker_permission & PERM_WRITE:
            raise BrokerError(
                ResponseCode.NO_PERMISSION,
                f"the broker[{broker.config.broker_ip1}] sending message is forbidden",
            )
        problem = validate_topic_name(topic)
        if problem is not None:
            raise BrokerError(ResponseCode.SYSTEM_ERROR, problem)
        if topic in SEND_FORBIDDEN_TOPICS:
            raise BrokerError(
                ResponseCode.NO_PERMISSION, f"Sending message to topic[{topic}] is forbidden."
            )
        manager = broker.topic_config_manager
        topic_config = manager.select(topic)
        if topic_config is None:
            topic_config = manager.create_in_send(
                topic, header.default_topic or "", header.default_topic_queue_nums
            )
            if topic_config is None and topic.startswith(RETRY_GROUP_TOPIC_PREFIX):
                topic_config = manager.create_in_send_back(topic, 1)
            if topic_config is None:
                raise BrokerError(
                    ResponseCode.TOPIC_NOT_EXIST,
                    f"topic[{topic}] not exist, apply first please!",
                )
            logger.info("auto-created topic %s for %s", topic, connection.remote_address)
        if not topic_config.writable:
            raise BrokerError(
                ResponseCode.NO_PERMISSION, f"the topic[{topic}] sending message is forbidden"
            )
        limit = max(topic_config.read_queue_nums, topic_config.write_queue_nums)
        if header.queue_id >= limit:
            raise BrokerError(
                ResponseCode.INVALID_PARAMETER,
                f"request queueId[{header.queue_id}] is illegal, topic {topic} has "
                f"{limit} queues, producer: {connection.remote_address}",
            )
        return topic_config

    def _retry_or_dead_letter(self, header, version: int, queue_id: int) -> tuple[str, int]:
        """A send to %RETRY%<group> past the group's max reconsume times goes to the DLQ."""
        group = header.topic[len(RETRY_GROUP_TOPIC_PREFIX) :]
        group_config = self.broker.subscription_group_manager.find(group)
        if group_config is None:
            raise BrokerError(
                ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, f"subscription group not exist, {group}"
            )
        max_times = group_config.retry_max_times
        if version >= VERSION_V3_4_9 and header.max_reconsume_times is not None:
            max_times = header.max_reconsume_times
        if (header.reconsume_times or 0) > max_times:
            dlq = f"{DLQ_GROUP_TOPIC_PREFIX}{group}"
            self.broker.topic_config_manager.create_in_send_back(dlq, 1)
            return dlq, 0
        return header.topic, queue_id

    # -- records -------------------------------------------------------------------------------

    @staticmethod
    def _message(header, topic, queue_id, body, properties, born_host, flag) -> MessageToStore:
        return MessageToStore(
            topic=topic,
            queue_id=queue_id,
            body=body,
            properties=msgfmt.properties_to_string(properties),
            flag=flag,
            sys_flag=header.sys_flag,
            born_timestamp=header.born_timestamp,
            born_host=born_host,
            reconsume_times=header.reconsume_times or 0,
        )

    def _batch_messages(self, header, topic, queue_id, body, born_host, cluster):
        try:
            decoded = msgfmt.decode_batch_body(body)
        except ValueError as exc:
            raise BrokerError(ResponseCode.MESSAGE_ILLEGAL, f"bad batch body: {exc}") from None
        if not decoded:
            raise HeaderError("the batch body holds no message")
        messages = []
        for flag, inner_body, properties_text in decoded:
            properties = msgfmt.string_to_properties(properties_text)
            if "DELAY" in properties:
                raise BrokerError(
                    ResponseCode.MESSAGE_ILLEGAL, "TimeDelayLevel is not supported for batch"
                )
            properties[PROPERTY_CLUSTER] = cluster
            messages.append(
                self._message(header, topic, queue_id, inner_body, properties, born_host, flag)
            )
        return messages
