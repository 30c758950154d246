"""Topic and subscription group administration (upstream AdminBrokerProcessor).

UPDATE_AND_CREATE_TOPIC (17), DELETE_TOPIC_IN_BROKER (215), GET_ALL_TOPIC_CONFIG
(21), UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200), GET_ALL_SUBSCRIPTIONGROUP_CONFIG
(201), DELETE_SUBSCRIPTIONGROUP (207); GET_ALL_CONSUMER_OFFSET (43) and
GET_ALL_DELAY_OFFSET (45), which slaves fetch (rocketmq.broker.slave_sync).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rocketmq._core import remoting as codec
from rocketmq.broker.processor.fields import (
    ext_of,
    optional_bool,
    optional_int,
    optional_str,
    required_int,
    required_str,
)
from rocketmq.broker.subscription_group import SubscriptionGroupConfig
from rocketmq.broker.topic_config import TopicConfig, is_system_topic, validate_topic_name
from rocketmq.common import json_body
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.errors import BrokerError, ProtocolError

if TYPE_CHECKING:
    from rocketmq.broker.controller import BrokerController
    from rocketmq.remoting.connection import RemotingConnection

logger = logging.getLogger("rocketmq.broker")

RemotingCommand = codec.RemotingCommand

QUEUE_NUMS_MAX = 1024 * 16  # more queues than this per topic is refused
GROUP_NAME_LENGTH_MAX = 120


class AdminBrokerProcessor:
    def __init__(self, broker: BrokerController) -> None:
        self.broker = broker

    def install(self, server) -> None:
        register = server.register_processor
        register(RequestCode.UPDATE_AND_CREATE_TOPIC, self.update_and_create_topic)
        register(RequestCode.DELETE_TOPIC_IN_BROKER, self.delete_topic)
        register(RequestCode.GET_ALL_TOPIC_CONFIG, self.get_all_topic_config)
        register(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, self.update_and_create_group)
        register(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, self.get_all_group_config)
        register(RequestCode.DELETE_SUBSCRIPTIONGROUP, self.delete_group)
        register(RequestCode.GET_ALL_CONSUMER_OFFSET, self.get_all_consumer_offset)
        register(RequestCode.GET_ALL_DELAY_OFFSET, self.get_all_delay_offset)

    # -- topics ----------------------------------------------------------------------------

    def update_and_create_topic(self, connection: RemotingConnection, request: RemotingCommand):
        ext = ext_of(request)
        topic = required_str(ext, "topic")
        problem = validate_topic_name(topic)
        if problem is not None:
            raise BrokerError(ResponseCode.SYSTEM_ERROR, problem)
        if is_system_topic(topic):
            raise BrokerError(
                ResponseCode.SYSTEM_ERROR, f"The topic[{topic}] is conflict with system topic."
            )
        if topic == self.broker.config.broker_cluster_name:
            raise BrokerError(
                ResponseCode.SYSTEM_ERROR, f"The topic[{topic}] is conflict with cluster name."
            )
        read_queues = required_int(ext, "readQueueNums")
        write_queues = required_int(ext, "writeQueueNums")
        for name, value in (("readQueueNums", read_queues), ("writeQueueNums", write_queues)):
            if not 0 <= value <= QUEUE_NUMS_MAX:
                raise BrokerError(
                    ResponseCode.INVALID_PARAMETER, f"{name} {value} out of [0, {QUEUE_NUMS_MAX}]"
                )
        perm = required_int(ext, "perm")
        attributes_text = optional_str(ext, "attributes")
        attributes = {}
        if attributes_text:
            parsed = json_body.loads(attributes_text)
            if not isinstance(parsed, dict):
                raise ProtocolError("attributes is not a JSON object")
            attributes = {str(k).lstrip("+"): str(v) for k, v in parsed.items()}
        config = TopicConfig(
            topic,
            read_queues,
            write_queues,
            perm,
            optional_str(ext, "topicFilterType") or "SINGLE_TAG",
            optional_int(ext, "topicSysFlag") or 0,
            bool(optional_bool(ext, "order")),
            attributes,
        )
        self.broker.topic_config_manager.update(config)
        return RemotingCommand(ResponseCode.SUCCESS)

    def delete_topic(self, connection: RemotingConnection, request: RemotingCommand):
        topic = required_str(ext_of(request), "topic")
        if is_system_topic(topic):
            raise BrokerError(
                ResponseCode.SYSTEM_ERROR, f"The topic[{topic}] is conflict with system topic."
            )
        self.broker.topic_config_manager.delete(topic)
        self.broker.consumer_offset_manager.remove_topic(topic)
        return RemotingCommand(ResponseCode.SUCCESS)

    def get_all_topic_config(self, connection: RemotingConnection, request: RemotingCommand):
        body = json_body.dumps(self.broker.topic_config_manager.wrapper_json())
        return RemotingCommand(ResponseCode.SUCCESS, body=body)

    # -- offsets (what slaves copy) ---------------------------------------------------------------

    def get_all_consumer_offset(self, connection: RemotingConnection, request: RemotingCommand):
        body = json_body.dumps(self.broker.consumer_offset_manager.wire_json())
        return RemotingCommand(ResponseCode.SUCCESS, body=body)

    def get_all_delay_offset(self, connection: RemotingConnection, request: RemotingCommand):
        body = json_body.dumps(self.broker.schedule.wire_json())
        return RemotingCommand(ResponseCode.SUCCESS, body=body)

    # -- subscription groups ---------------------------------------------------------------------

    def update_and_create_group(self, connection: RemotingConnection, request: RemotingCommand):
        document = json_body.loads(request.body or b"")
        try:
            group = SubscriptionGroupConfig.from_json(document)
        except (TypeError, ValueError) as exc:
            raise ProtocolError(f"bad SubscriptionGroupConfig body: {exc}") from None
        if len(group.group_name) > GROUP_NAME_LENGTH_MAX:
            raise BrokerError(
                ResponseCode.INVALID_PARAMETER,
                f"the group name is longer than {GROUP_NAME_LENGTH_MAX}",
            )
        self.broker.subscription_group_manager.update(group)
        return RemotingCommand(ResponseCode.SUCCESS)

    def get_all_group_config(self, connection: RemotingConnection, request: RemotingCommand):
        body = json_body.dumps(self.broker.subscription_group_manager.wrapper_json())
        return RemotingCommand(ResponseCode.SUCCESS, body=body)

    def delete_group(self, connection: RemotingConnection, request: RemotingCommand):
        ext = ext_of(request)
        group = required_str(ext, "groupName")
        self.broker.subscription_group_manager.delete(group)
        if optional_bool(ext, "cleanOffset"):
            self.broker.consumer_offset_manager.remove_group(group)
        return RemotingCommand(ResponseCode.SUCCESS)
