"""HEART_BEAT (34), UNREGISTER_CLIENT (35), GET_CONSUMER_LIST_BY_GROUP (38),
CHECK_CLIENT_CONFIG (46).

Upstream ClientManageProcessor and ConsumerManageProcessor#getConsumerListByGroup.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rocketmq._core import remoting as codec
from rocketmq.broker.client_manager import ClientChannelInfo, SubscriptionData
from rocketmq.broker.filter import SQL92, TAG
from rocketmq.broker.processor.fields import ext_of, optional_str, required_str
from rocketmq.broker.topic_config import RETRY_GROUP_TOPIC_PREFIX
from rocketmq.common import json_body
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.errors import BrokerError, ProtocolError, SelectorError
from rocketmq.filter import compile_selector

if TYPE_CHECKING:
    from rocketmq.broker.controller import BrokerController
    from rocketmq.remoting.connection import RemotingConnection

logger = logging.getLogger("rocketmq.broker")

RemotingCommand = codec.RemotingCommand

# Heartbeats larger than this are refused (a body is a few KiB at most).
HEARTBEAT_BODY_SIZE_MAX = 4 * 1024 * 1024


class ClientManageProcessor:
    def __init__(self, broker: BrokerController) -> None:
        self.broker = broker
        self._watched: set[RemotingConnection] = set()

    def install(self, server) -> None:
        server.register_processor(RequestCode.HEART_BEAT, self.heart_beat)
        server.register_processor(RequestCode.UNREGISTER_CLIENT, self.unregister_client)
        server.register_processor(
            RequestCode.GET_CONSUMER_LIST_BY_GROUP, self.get_consumer_list_by_group
        )
        server.register_processor(RequestCode.CHECK_CLIENT_CONFIG, self.check_client_config)

    def _watch(self, connection: RemotingConnection) -> None:
        """Forget the connection's clients once it closes (doChannelCloseEvent)."""
        if connection in self._watched:
            return
        self._watched.add(connection)

        def closed(_future) -> None:
            self._watched.discard(connection)
            self.broker.consumer_manager.connection_closed(connection)
            self.broker.producer_manager.connection_closed(connection)

        connection.closed.add_done_callback(closed)

    def heart_beat(self, connection: RemotingConnection, request: RemotingCommand):
        body = request.body or b""
        if len(body) > HEARTBEAT_BODY_SIZE_MAX:
            raise ProtocolError(f"heartbeat body of {len(body)} bytes is too large")
        data = json_body.loads(body) if body else {}
        if not isinstance(data, dict):
            raise ProtocolError("heartbeat body is not a JSON object")
        client_id = str(data.get("clientID") or "")
        if not client_id:
            raise ProtocolError("heartbeat without clientID")
        self._watch(connection)
        broker = self.broker
        for consumer in data.get("consumerDataSet") or []:
            if not isinstance(consumer, dict) or not consumer.get("groupName"):
                raise ProtocolError("consumerData without groupName")
            group = str(consumer["groupName"])
            group_config = broker.subscription_group_manager.find(group)
            notify = True
            if group_config is not None:
                notify = group_config.notify_consumer_ids_changed_enable
                retry_topic = f"{RETRY_GROUP_TOPIC_PREFIX}{group}"
                broker.topic_config_manager.create_in_send_back(
                    retry_topic, max(1, group_config.retry_queue_nums)
                )
            try:
                subscriptions = [
                    SubscriptionData.from_heartbeat(sub)
                    for sub in consumer.get("subscriptionDataSet") or []
                ]
            except (TypeError, ValueError) as exc:
                raise ProtocolError(f"bad subscription of group {group}: {exc}") from None
            changed = broker.consumer_manager.register(
                group,
                ClientChannelInfo(connection, client_id, request.language, request.version),
                str(consumer.get("consumeType") or "CONSUME_PASSIVELY"),
                str(consumer.get("messageModel") or "CLUSTERING"),
                str(consumer.get("consumeFromWhere") or "CONSUME_FROM_LAST_OFFSET"),
                subscriptions,
                notify,
            )
            if changed:
                logger.info(
                    "consumer group %s changed by %s@%s",
                    group,
                    client_id,
                    connection.remote_address,
                )
        for producer in data.get("producerDataSet") or []:
            if isinstance(producer, dict) and producer.get("groupName"):
                broker.producer_manager.register(
                    str(producer["groupName"]),
                    ClientChannelInfo(connection, client_id, request.language, request.version),
                )
        # Java clients record this response's version per broker address.
        return RemotingCommand(ResponseCode.SUCCESS)

    def unregister_client(self, connection: RemotingConnection, request: RemotingCommand):
        ext = ext_of(request)
        required_str(ext, "clientID")
        producer_group = optional_str(ext, "producerGroup")
        if producer_group:
            self.broker.producer_manager.unregister(producer_group, connection)
        consumer_group = optional_str(ext, "consumerGroup")
        if consumer_group:
            group_config = self.broker.subscription_group_manager.table.get(consumer_group)
            notify = group_config is None or group_config.notify_consumer_ids_changed_enable
            self.broker.consumer_manager.unregister(consumer_group, connection, notify)
        return RemotingCommand(ResponseCode.SUCCESS)

    def get_consumer_list_by_group(self, connection: RemotingConnection, request: RemotingCommand):
        group = required_str(ext_of(request), "consumerGroup")
        info = self.broker.consumer_manager.find(group)
        client_ids = info.client_ids() if info is not None else []
        if not client_ids:
            raise BrokerError(ResponseCode.SYSTEM_ERROR, f"no consumer for this group, {group}")
        return RemotingCommand(
            ResponseCode.SUCCESS, body=json_body.dumps({"consumerIdList": client_ids})
        )

    def check_client_config(self, connection: RemotingConnection, request: RemotingCommand):
        """May this consumer filter its subscription here? (checkClientConfig)

        Java consumers ask at start for each subscription that is not TAG and
        refuse to start unless the answer is SUCCESS: 1 when the broker has
        no ``enablePropertyFilter``, 23 when the expression does not compile.
        """
        body = request.body or b""
        if len(body) > HEARTBEAT_BODY_SIZE_MAX:
            raise ProtocolError(f"check-client body of {len(body)} bytes is too large")
        data = json_body.loads(body) if body else None
        subscription = data.get("subscriptionData") if isinstance(data, dict) else None
        if not isinstance(subscription, dict):
            return RemotingCommand(ResponseCode.SUCCESS)
        kind = subscription.get("expressionType") or TAG
        if kind == TAG:
            return RemotingCommand(ResponseCode.SUCCESS)
        if not self.broker.config.enable_property_filter:
            raise BrokerError(
                ResponseCode.SYSTEM_ERROR,
                f"The broker does not support consumer to filter message by {kind}",
            )
        if kind != SQL92:
            raise BrokerError(
                ResponseCode.SUBSCRIPTION_PARSE_FAILED, f"no filter for expression type {kind}"
            )
        try:
            compile_selector(str(subscription.get("subString") or ""))
        except SelectorError as exc:
            logger.warning(
                "client %s of group %s: filter expression does not compile: %s",
                data.get("clientId"),
                data.get("group"),
                exc,
            )
            raise BrokerError(
                ResponseCode.SUBSCRIPTION_PARSE_FAILED, f"Invalid MessageSelector. {exc}"
            ) from None
        return RemotingCommand(ResponseCode.SUCCESS)
