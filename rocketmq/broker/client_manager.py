"""Who is connected: producer and consumer groups learned from HEART_BEAT.

Upstream ProducerManager / ConsumerManager. A client channel is dropped when
its connection closes, on UNREGISTER_CLIENT, or after
``channelExpiredTimeout`` (120 s) without a heartbeat. When the members or
subscriptions of a consumer group change, every member gets a
NOTIFY_CONSUMER_IDS_CHANGED (40) oneway so it rebalances at once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from rocketmq._core import remoting as codec
from rocketmq._core import storefmt
from rocketmq.broker.filter import TAG, ConsumerFilterManager
from rocketmq.common.codes import RequestCode
from rocketmq.errors import RemotingError
from rocketmq.remoting.connection import RemotingConnection

logger = logging.getLogger("rocketmq.broker")

SUB_ALL = "*"
CLUSTERING = "CLUSTERING"
BROADCASTING = "BROADCASTING"


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class SubscriptionData:
    topic: str
    sub_string: str = SUB_ALL
    tags_set: list[str] = field(default_factory=list)
    code_set: frozenset[int] | None = None  # None: every message
    sub_version: int = 0
    expression_type: str = "TAG"

    @classmethod
    def build(
        cls, topic: str, sub_string: str | None, expression_type: str | None, sub_version: int = 0
    ) -> SubscriptionData:
        """Parse a TAG expression ("*", "A || B"): FilterAPI.buildSubscriptionData.

        Other types (SQL92) keep the expression as it is; the broker's
        ConsumerFilterManager or the pull compiles it.
        """
        kind = (expression_type or TAG).upper()
        if kind != TAG:
            return cls(topic, sub_string or "", [], None, sub_version, kind)
        expression = (sub_string or "").strip()
        data = cls(topic, expression or SUB_ALL, [], None, sub_version, kind)
        if not expression or expression == SUB_ALL:
            data.sub_string = expression or SUB_ALL
            return data
        tags = [tag.strip() for tag in expression.split("||")]
        data.tags_set = [tag for tag in tags if tag]
        if not data.tags_set or SUB_ALL in data.tags_set:
            return data
        # Codes are recomputed from the tags (Go hashes UTF-8 bytes, Java UTF-16).
        data.code_set = frozenset(storefmt.tags_hash(tag) for tag in data.tags_set)
        return data

    @classmethod
    def from_heartbeat(cls, obj: Any) -> SubscriptionData:
        if not isinstance(obj, dict) or not isinstance(obj.get("topic"), str):
            raise ValueError("subscription without topic")
        kind = obj.get("expressionType") or "TAG"
        sub_version = int(obj.get("subVersion") or 0)
        tags = obj.get("tagsSet")
        if kind.upper() != TAG:
            return cls.build(obj["topic"], obj.get("subString") or "", kind, sub_version)
        if isinstance(tags, list) and tags:
            expression = " || ".join(str(tag) for tag in tags)
        else:
            expression = obj.get("subString") or SUB_ALL
        data = cls.build(obj["topic"], expression, kind, sub_version)
        data.sub_string = obj.get("subString") or data.sub_string
        return data


@dataclass
class ClientChannelInfo:
    connection: RemotingConnection
    client_id: str
    language: int
    version: int
    last_update_ms: int = field(default_factory=now_ms)


@dataclass
class ConsumerGroupInfo:
    group_name: str
    consume_type: str = "CONSUME_PASSIVELY"
    message_model: str = CLUSTERING
    consume_from_where: str = "CONSUME_FROM_LAST_OFFSET"
    channels: dict[RemotingConnection, ClientChannelInfo] = field(default_factory=dict)
    subscriptions: dict[str, SubscriptionData] = field(default_factory=dict)

    def client_ids(self) -> list[str]:
        return [info.client_id for info in self.channels.values()]

    def update_channel(self, info: ClientChannelInfo) -> bool:
        """Record a heartbeat; True when the channel is new."""
        old = self.channels.get(info.connection)
        if old is not None and old.client_id == info.client_id:
            old.last_update_ms = info.last_update_ms
            return False
        self.channels[info.connection] = info
        return True

    def update_subscriptions(self, subscriptions: list[SubscriptionData]) -> bool:
        """Adopt the heartbeat's subscriptions; True when topics were added or dropped."""
        changed = False
        topics = set()
        for sub in subscriptions:
            topics.add(sub.topic)
            old = self.subscriptions.get(sub.topic)
            if old is None:
                self.subscriptions[sub.topic] = sub
                changed = True
            elif sub.sub_version > old.sub_version:
                self.subscriptions[sub.topic] = sub
        for topic in [t for t in self.subscriptions if t not in topics]:
            del self.subscriptions[topic]
            changed = True
        return changed


class ConsumerManager:
    def __init__(self, channel_expired_timeout_ms: int = 120_000) -> None:
        self.channel_expired_timeout_ms = channel_expired_timeout_ms
        self.groups: dict[str, ConsumerGroupInfo] = {}
        self.filter_manager = ConsumerFilterManager()  # SQL92 filters of the groups

    def find(self, group: str) -> ConsumerGroupInfo | None:
        return self.groups.get(group)

    def find_subscription(self, group: str, topic: str) -> SubscriptionData | None:
        info = self.groups.get(group)
        return info.subscriptions.get(topic) if info is not None else None

    def register(
        self,
        group: str,
        channel: ClientChannelInfo,
        consume_type: str,
        message_model: str,
        consume_from_where: str,
        subscriptions: list[SubscriptionData],
        notify: bool,
    ) -> bool:
        """Record a consumer heartbeat; True when membership or subscriptions changed."""
        info = self.groups.get(group)
        if info is None:
            info = ConsumerGroupInfo(group, consume_type, message_model, consume_from_where)
            self.groups[group] = info
        info.consume_type = consume_type
        info.message_model = message_model
        info.consume_from_where = consume_from_where
        channel_changed = info.update_channel(channel)
        subscription_changed = info.update_subscriptions(subscriptions)
        self.filter_manager.register(group, subscriptions)
        changed = channel_changed or subscription_changed
        if changed and notify:
            self.notify_ids_changed(info)
        return changed

    def unregister(self, group: str, connection: RemotingConnection, notify: bool) -> None:
        info = self.groups.get(group)
        if info is None or info.channels.pop(connection, None) is None:
            return
        logger.info("unregister consumer of group %s at %s", group, connection.remote_address)
        self._after_removal(info, notify)

    def connection_closed(self, connection: RemotingConnection) -> None:
        for info in list(self.groups.values()):
            if info.channels.pop(connection, None) is not None:
                logger.info(
                    "consumer channel %s of group %s closed",
                    connection.remote_address,
                    info.group_name,
                )
                self._after_removal(info, True)

    def scan_not_active(self) -> None:
        """Drop channels silent for longer than the expiry timeout."""
        deadline = now_ms() - self.channel_expired_timeout_ms
        for info in list(self.groups.values()):
            expired = [c for c, ch in info.channels.items() if ch.last_update_ms < deadline]
            for connection in expired:
                del info.channels[connection]
                logger.warning(
                    "consumer channel %s of group %s expired",
                    connection.remote_address,
                    info.group_name,
                )
                connection.close("client channel expired")
            if expired:
                self._after_removal(info, True)

    def _after_removal(self, info: ConsumerGroupInfo, notify: bool) -> None:
        if not info.channels:
            del self.groups[info.group_name]
            self.filter_manager.unregister(info.group_name)
            logger.info("consumer group %s has no member left; removed", info.group_name)
            return
        if notify:
            self.notify_ids_changed(info)

    @staticmethod
    def notify_ids_changed(info: ConsumerGroupInfo) -> None:
        if info.message_model == BROADCASTING:
            return
        for connection in list(info.channels):
            request = codec.RemotingCommand(
                RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, {"consumerGroup": info.group_name}
            )
            try:
                connection.invoke_oneway(request)
            except RemotingError as exc:
                logger.debug("notify %s failed: %s", connection.remote_address, exc)


class ProducerManager:
    def __init__(self, channel_expired_timeout_ms: int = 120_000) -> None:
        self.channel_expired_timeout_ms = channel_expired_timeout_ms
        self.groups: dict[str, dict[RemotingConnection, ClientChannelInfo]] = {}
        self._next_channel = 0  # round robin over a group's channels

    def register(self, group: str, channel: ClientChannelInfo) -> None:
        channels = self.groups.setdefault(group, {})
        old = channels.get(channel.connection)
        if old is not None:
            old.last_update_ms = channel.last_update_ms
        else:
            channels[channel.connection] = channel

    def available_channel(self, group: str) -> RemotingConnection | None:
        """An open connection of ``group``, taken in turn; None when none is open.

        Upstream ProducerManager#getAvailableChannel (the broker checks
        transactions back through it).
        """
        connections = list(self.groups.get(group, ()))
        for _ in range(len(connections)):
            self._next_channel = (self._next_channel + 1) % len(connections)
            connection = connections[self._next_channel]
            if connection.is_open:
                return connection
        return None

    def unregister(self, group: str, connection: RemotingConnection) -> None:
        channels = self.groups.get(group)
        if channels is not None and channels.pop(connection, None) is not None:
            if not channels:
                del self.groups[group]

    def connection_closed(self, connection: RemotingConnection) -> None:
        for group in list(self.groups):
            self.unregister(group, connection)

    def scan_not_active(self) -> None:
        deadline = now_ms() - self.channel_expired_timeout_ms
        for group, channels in list(self.groups.items()):
            for connection in [c for c, ch in channels.items() if ch.last_update_ms < deadline]:
                logger.warning("producer channel %s of group %s expired", connection, group)
                self.unregister(group, connection)
                connection.close("client channel expired")
