"""INVOKE_BROKER_TO_RESET_OFFSET (222): move a group's offsets on a topic to a point in time.

Upstream Broker2Client#resetOffset. For each write queue the broker finds the
first offset stored at or after ``timestamp`` (-1: the max offset); without
``isForce`` a queue only moves backwards. The new offsets are committed here
(5.x ``useServerSideResetOffset``) and pushed to every online consumer of the
group as RESET_CONSUMER_CLIENT_OFFSET (220), which drops its process queues
and pulls again from there. The reply body is the same ResetOffsetBody.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from rocketmq._core import remoting as codec
from rocketmq.broker.processor.fields import (
    ext_of,
    optional_bool,
    required_long,
    required_str,
)
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.errors import BrokerError, RemotingError

if TYPE_CHECKING:
    from rocketmq.broker.controller import BrokerController
    from rocketmq.remoting.connection import RemotingConnection

logger = logging.getLogger("rocketmq.broker")

RemotingCommand = codec.RemotingCommand

TIMESTAMP_LATEST = -1


def reset_offset_body(topic: str, broker_name: str, offsets: dict[int, int]) -> bytes:
    """ResetOffsetBody as fastjson writes it: MessageQueue objects as map keys."""
    entries = []
    for queue_id, offset in sorted(offsets.items()):
        queue = json.dumps(
            {"brokerName": broker_name, "queueId": queue_id, "topic": topic},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        entries.append(f"{queue}:{offset}")
    return ('{"offsetTable":{' + ",".join(entries) + "}}").encode("utf-8")


class ResetOffsetProcessor:
    def __init__(self, broker: BrokerController) -> None:
        self.broker = broker

    def install(self, server) -> None:
        server.register_processor(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, self.process)

    def process(self, connection: RemotingConnection, request: RemotingCommand) -> RemotingCommand:
        ext = ext_of(request)
        topic = required_str(ext, "topic")
        group = required_str(ext, "group")
        timestamp = required_long(ext, "timestamp")
        force = bool(optional_bool(ext, "isForce"))
        broker = self.broker
        topic_config = broker.topic_config_manager.select(topic)
        if topic_config is None:
            raise BrokerError(
                ResponseCode.SYSTEM_ERROR,
                f"[reset-offset] reset offset failed, no topic in this broker. topic={topic}",
            )
        offsets: dict[int, int] = {}
        store = broker.store
        for queue_id in range(topic_config.write_queue_nums):
            current = broker.consumer_offset_manager.query_offset(group, topic, queue_id)
            if current < 0:
                raise BrokerError(
                    ResponseCode.SYSTEM_ERROR, f"THe consumer group <{group}> not exist"
                )
            if timestamp == TIMESTAMP_LATEST:
                target = store.get_max_offset_in_queue(topic, queue_id)
            else:
                target = store.get_offset_in_queue_by_time(topic, queue_id, timestamp)
            offsets[queue_id] = target if force or target < current else current
        for queue_id, offset in offsets.items():
            broker.consumer_offset_manager.commit_offset(group, topic, queue_id, offset)
        body = reset_offset_body(topic, broker.config.broker_name, offsets)

        members = broker.consumer_manager.find(group)
        if members is None or not members.channels:
            raise BrokerError(
                ResponseCode.SYSTEM_ERROR,
                f"Consumer not online, so can not reset offset, Group: {group} "
                f"Topic: {topic} Timestamp: {timestamp}",
            )
        for member in list(members.channels):
            push = RemotingCommand(
                RequestCode.RESET_CONSUMER_CLIENT_OFFSET,
                {
                    "topic": topic,
                    "group": group,
                    "timestamp": str(timestamp),
                    "isForce": "true" if force else "false",
                },
                body=body,
            )
            try:
                member.invoke_oneway(push)
            except RemotingError as exc:
                logger.warning("[reset-offset] push to %s failed: %s", member.remote_address, exc)
        logger.info(
            "[reset-offset] group %s topic %s to timestamp %d (force=%s) by %s: %s",
            group,
            topic,
            timestamp,
            force,
            connection.remote_address,
            offsets,
        )
        return RemotingCommand(ResponseCode.SUCCESS, body=body)
