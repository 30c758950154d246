"""CONSUMER_SEND_MSG_BACK (36): a message the consumer failed goes to retry, or to the DLQ.

Upstream AbstractSendMessageProcessor#consumerSendMsgBack. The record at the
header's commit-log offset is stored again under ``%RETRY%<group>`` with
reconsumeTimes + 1 and a delay level (the header's, or 3 + reconsumeTimes),
so it comes back after that level's delay through SCHEDULE_TOPIC_XXXX. Once
reconsumeTimes reaches the group's max (or the consumer asks with a negative
delay level) it goes to ``%DLQ%<group>`` instead, undelayed.
"""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING

from rocketmq._core import message as msgfmt
from rocketmq._core import remoting as codec
from rocketmq.broker.processor.fields import (
    ext_of,
    optional_bool,
    optional_int,
    optional_str,
    required_int,
    required_long,
    required_str,
)
from rocketmq.broker.processor.send import VERSION_V3_4_9
from rocketmq.broker.schedule import PROPERTY_DELAY, PROPERTY_WAIT_STORE_MSG_OK, park_if_delayed
from rocketmq.broker.topic_config import DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.common.topic import PERM_WRITE
from rocketmq.errors import BrokerError
from rocketmq.store.commit_log import MessageToStore

if TYPE_CHECKING:
    from rocketmq.broker.controller import BrokerController
    from rocketmq.remoting.connection import RemotingConnection

logger = logging.getLogger("rocketmq.broker")

RemotingCommand = codec.RemotingCommand

PROPERTY_RETRY_TOPIC = "RETRY_TOPIC"
PROPERTY_ORIGIN_MESSAGE_ID = "ORIGIN_MESSAGE_ID"
DLQ_QUEUE_NUMS = 1  # MixAll.DLQ_NUMS_PER_GROUP
FIRST_RETRY_DELAY_LEVEL = 3  # 10 s with the default levels


class ConsumerSendMsgBackProcessor:
    def __init__(self, broker: BrokerController) -> None:
        self.broker = broker

    def install(self, server) -> None:
        server.register_processor(RequestCode.CONSUMER_SEND_MSG_BACK, self.process)

    async def process(
        self, connection: RemotingConnection, request: RemotingCommand
    ) -> RemotingCommand:
        ext = ext_of(request)
        commitlog_offset = required_long(ext, "offset")
        group = required_str(ext, "group")
        delay_level = required_int(ext, "delayLevel")
        origin_msg_id = optional_str(ext, "originMsgId")
        header_max_times = optional_int(ext, "maxReconsumeTimes")
        optional_bool(ext, "unitMode")  # validated, unused (no unit mode here)

        broker = self.broker
        group_config = broker.subscription_group_manager.find(group)
        if group_config is None:
            raise BrokerError(
                ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, f"subscription group not exist, {group}"
            )
        if not broker.config.broker_permission & PERM_WRITE:
            raise BrokerError(
                ResponseCode.NO_PERMISSION,
                f"the broker[{broker.config.broker_ip1}] sending message is forbidden",
            )
        if group_config.retry_queue_nums <= 0:
            return RemotingCommand(ResponseCode.SUCCESS)

        topics = broker.topic_config_manager
        topic = f"{RETRY_GROUP_TOPIC_PREFIX}{group}"
        topic_config = topics.create_in_send_back(topic, group_config.retry_queue_nums)
        if not topic_config.writable:
            raise BrokerError(
                ResponseCode.NO_PERMISSION, f"the topic[{topic}] sending message is forbidden"
            )
        queue_id = random.randrange(max(1, group_config.retry_queue_nums))
        record = broker.store.look_message_by_offset(commitlog_offset)
        if record is None:
            raise BrokerError(
                ResponseCode.SYSTEM_ERROR, f"look message by offset failed, {commitlog_offset}"
            )
        properties = record.properties_dict()
        properties.setdefault(PROPERTY_RETRY_TOPIC, record.topic)
        properties[PROPERTY_WAIT_STORE_MSG_OK] = "false"
        properties.pop(PROPERTY_DELAY, None)
        if PROPERTY_ORIGIN_MESSAGE_ID not in properties:
            properties[PROPERTY_ORIGIN_MESSAGE_ID] = origin_msg_id or msgfmt.offset_msg_id(
                record.store_host, record.physical_offset
            )

        max_times = group_config.retry_max_times
        if request.version >= VERSION_V3_4_9 and header_max_times is not None:
            max_times = header_max_times
        if record.reconsume_times >= max_times or delay_level < 0:
            topic = f"{DLQ_GROUP_TOPIC_PREFIX}{group}"
            topics.create_in_send_back(topic, DLQ_QUEUE_NUMS)
            queue_id = 0
            logger.info(
                "message at commitlog offset %d of group %s to %s after %d reconsumes",
                commitlog_offset,
                group,
                topic,
                record.reconsume_times,
            )
        else:
            properties[PROPERTY_DELAY] = str(
                delay_level or FIRST_RETRY_DELAY_LEVEL + record.reconsume_times
            )
        stored_topic, stored_queue_id = park_if_delayed(
            topic, queue_id, properties, record.sys_flag, broker.schedule.level_count
        )
        message = MessageToStore.from_record(
            record,
            stored_topic,
            stored_queue_id,
            properties,
            reconsume_times=record.reconsume_times + 1,
        )
        result = await broker.store.put_messages([message])
        if not result.status.stored:
            raise BrokerError(ResponseCode.SYSTEM_ERROR, result.status.value)
        return RemotingCommand(ResponseCode.SUCCESS)
