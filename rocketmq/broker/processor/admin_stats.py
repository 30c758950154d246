"""What operators ask a broker (upstream AdminBrokerProcessor, the read side of mqadmin).

GET_TOPIC_STATS_INFO (202), GET_CONSUME_STATS (208), GET_CONSUMER_CONNECTION_LIST
(203), GET_PRODUCER_CONNECTION_LIST (204), QUERY_TOPIC_CONSUME_BY_WHO (300),
GET_BROKER_RUNTIME_INFO (28), GET_BROKER_CONFIG (26) and UPDATE_BROKER_CONFIG (25).

Bodies are the JSON the Java tools parse: TopicStatsTable and ConsumeStats key
their ``offsetTable`` by MessageQueue objects (fastjson's object map keys),
ConsumerConnection / ProducerConnection / GroupList / KVTable are plain
objects, and the broker config travels as java.util.Properties text.

UPDATE_BROKER_CONFIG only changes the keys in ``UPDATABLE_KEYS``: settings the
processors read per request. Anything else (paths above all: CVE-2023-33246)
is refused with NO_PERMISSION.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rocketmq._core import remoting as codec
from rocketmq.broker.config import UPSTREAM_KEYS, broker_config_from_properties
from rocketmq.broker.offsets import TOPIC_GROUP_SEPARATOR
from rocketmq.broker.processor.fields import ext_of, optional_str, required_str
from rocketmq.common import json_body
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.common.properties_file import parse_properties
from rocketmq.errors import BrokerError
from rocketmq.store.config import UPSTREAM_KEYS as STORE_UPSTREAM_KEYS

if TYPE_CHECKING:
    from rocketmq.broker.controller import BrokerController
    from rocketmq.remoting.connection import RemotingConnection

logger = logging.getLogger("rocketmq.broker")

RemotingCommand = codec.RemotingCommand

BROKER_VERSION = 407  # MQVersion.Version.V4_9_7.ordinal(): what the Java tools print
BROKER_VERSION_DESC = "V4_9_7"

# Settings read per request (so a change takes effect at once) and harmless to change.
UPDATABLE_KEYS = frozenset(
    {
        "autoCreateTopicEnable",
        "autoCreateSubscriptionGroup",
        "longPollingEnable",
        "shortPollingTimeMills",
        "slaveReadEnable",
        "transferMsgByHeap",
        "maxTransferCountOnMessageInMemory",
        "maxTransferBytesOnMessageInMemory",
        "rejectTransactionMessage",
        "channelExpiredTimeout",
    }
)


def queue_key(topic: str, broker_name: str, queue_id: int) -> str:
    """A MessageQueue as fastjson writes it when it is a map key (fields by name)."""
    return json.dumps(
        {"brokerName": broker_name, "queueId": queue_id, "topic": topic},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def queue_keyed_object(entries: list[tuple[str, dict]], extra: dict | None = None) -> bytes:
    """``{"offsetTable":{<MessageQueue>:{...},...}, **extra}``: JSON with object keys."""
    table = ",".join(f"{key}:{json_body.dumps(value).decode('utf-8')}" for key, value in entries)
    head = "".join(
        f"{json.dumps(name)}:{json_body.dumps(value).decode('utf-8')},"
        for name, value in sorted((extra or {}).items())
    )
    return ("{" + head + '"offsetTable":{' + table + "}}").encode("utf-8")


def _property_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ";".join(str(item) for item in value)
    return str(value)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("=", "\\=")


class AdminStatsProcessor:
    def __init__(self, broker: BrokerController) -> None:
        self.broker = broker

    def install(self, server) -> None:
        register = server.register_processor
        register(RequestCode.GET_TOPIC_STATS_INFO, self.get_topic_stats_info)
        register(RequestCode.GET_CONSUME_STATS, self.get_consume_stats)
        register(RequestCode.GET_CONSUMER_CONNECTION_LIST, self.get_consumer_connection_list)
        register(RequestCode.GET_PRODUCER_CONNECTION_LIST, self.get_producer_connection_list)
        register(RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, self.query_topic_consume_by_who)
        register(RequestCode.GET_BROKER_RUNTIME_INFO, self.get_broker_runtime_info)
        register(RequestCode.GET_BROKER_CONFIG, self.get_broker_config)
        register(RequestCode.UPDATE_BROKER_CONFIG, self.update_broker_config)

    def _last_store_time(self, topic: str, queue_id: int, next_offset: int) -> int:
        """Store time of the message before ``next_offset`` (0 when there is none)."""
        if next_offset <= 0:
            return 0
        return self.broker.store.get_store_time(topic, queue_id, next_offset - 1) or 0

    # -- topics and groups ----------------------------------------------------------------

    def get_topic_stats_info(self, connection: RemotingConnection, request: RemotingCommand):
        topic = required_str(ext_of(request), "topic")
        config = self.broker.topic_config_manager.select(topic)
        if config is None:
            raise BrokerError(ResponseCode.TOPIC_NOT_EXIST, f"topic[{topic}] not exist")
        store = self.broker.store
        broker_name = self.broker.config.broker_name
        entries = []
        for queue_id in range(config.write_queue_nums):
            max_offset = max(0, store.get_max_offset_in_queue(topic, queue_id))
            min_offset = max(0, store.get_min_offset_in_queue(topic, queue_id))
            stats = {
                "lastUpdateTimestamp": self._last_store_time(topic, queue_id, max_offset),
                "maxOffset": max_offset,
                "minOffset": min_offset,
            }
            entries.append((queue_key(topic, broker_name, queue_id), stats))
        return RemotingCommand(ResponseCode.SUCCESS, body=queue_keyed_object(entries))

    def _topics_of_group(self, group: str) -> list[str]:
        suffix = f"{TOPIC_GROUP_SEPARATOR}{group}"
        table = self.broker.consumer_offset_manager.table
        return sorted(key[: -len(suffix)] for key in table if key.endswith(suffix))

    def get_consume_stats(self, connection: RemotingConnection, request: RemotingCommand):
        ext = ext_of(request)
        group = required_str(ext, "consumerGroup")
        topic = optional_str(ext, "topic")
        broker = self.broker
        topics = [topic] if topic else self._topics_of_group(group)
        members = broker.consumer_manager.find(group)
        subscribed = members.subscriptions if members is not None else {}
        broker_name = broker.config.broker_name
        entries = []
        consume_tps = 0.0
        for name in topics:
            config = broker.topic_config_manager.select(name)
            if config is None:
                continue
            # An online group no longer subscribed to the topic: its old offsets are not shown.
            if subscribed and name not in subscribed:
                continue
            consume_tps += broker.stats.group_get_tps(group, name)
            for queue_id in range(config.read_queue_nums):
                broker_offset = max(0, broker.store.get_max_offset_in_queue(name, queue_id))
                consumer_offset = broker.consumer_offset_manager.query_offset(group, name, queue_id)
                consumer_offset = max(0, consumer_offset)
                wrapper = {
                    "brokerOffset": broker_offset,
                    "consumerOffset": consumer_offset,
                    "lastTimestamp": self._last_store_time(name, queue_id, consumer_offset),
                }
                entries.append((queue_key(name, broker_name, queue_id), wrapper))
        body = queue_keyed_object(entries, {"consumeTps": consume_tps})
        return RemotingCommand(ResponseCode.SUCCESS, body=body)

    def get_consumer_connection_list(
        self, connection: RemotingConnection, request: RemotingCommand
    ):
        group = required_str(ext_of(request), "consumerGroup")
        members = self.broker.consumer_manager.find(group)
        if members is None or not members.channels:
            raise BrokerError(
                ResponseCode.CONSUMER_NOT_ONLINE, f"the consumer group[{group}] not online"
            )
        subscriptions = {}
        for topic, sub in sorted(members.subscriptions.items()):
            subscriptions[topic] = {
                "classFilterMode": False,
                "codeSet": sorted(sub.code_set or ()),
                "expressionType": sub.expression_type,
                "subString": sub.sub_string,
                "subVersion": sub.sub_version,
                "tagsSet": list(sub.tags_set),
                "topic": topic,
            }
        body = {
            "connectionSet": [_connection_json(info) for info in members.channels.values()],
            "consumeFromWhere": members.consume_from_where,
            "consumeType": members.consume_type,
            "messageModel": members.message_model,
            "subscriptionTable": subscriptions,
        }
        return RemotingCommand(ResponseCode.SUCCESS, body=json_body.dumps(body))

    def get_producer_connection_list(
        self, connection: RemotingConnection, request: RemotingCommand
    ):
        group = required_str(ext_of(request), "producerGroup")
        channels = self.broker.producer_manager.groups.get(group)
        if not channels:
            raise BrokerError(ResponseCode.SYSTEM_ERROR, f"the producer group[{group}] not exist")
        body = {"connectionSet": [_connection_json(info) for info in channels.values()]}
        return RemotingCommand(ResponseCode.SUCCESS, body=json_body.dumps(body))

    def query_topic_consume_by_who(self, connection: RemotingConnection, request: RemotingCommand):
        topic = required_str(ext_of(request), "topic")
        groups = {
            group
            for group, info in self.broker.consumer_manager.groups.items()
            if topic in info.subscriptions
        }
        prefix = f"{topic}{TOPIC_GROUP_SEPARATOR}"
        for key in self.broker.consumer_offset_manager.table:
            if key.startswith(prefix):
                groups.add(key[len(prefix) :])
        body = json_body.dumps({"groupList": sorted(groups)})
        return RemotingCommand(ResponseCode.SUCCESS, body=body)

    # -- the broker itself ------------------------------------------------------------------

    def get_broker_runtime_info(self, connection: RemotingConnection, request: RemotingCommand):
        broker = self.broker
        store = broker.store
        store_root = Path(broker.config.store.store_path_root_dir)
        try:
            usage = shutil.disk_usage(store_root)
            disk_ratio = (usage.total - usage.free) / usage.total if usage.total else 0.0
            capacity = f"Total : {usage.total}, Free : {usage.free}."
        except OSError:
            disk_ratio, capacity = 0.0, "Total : 0, Free : 0."
        earliest = 0
        for queue in store.consume_queues():
            stored = store.get_earliest_message_time(queue.topic, queue.queue_id)
            if stored and (earliest == 0 or stored < earliest):
                earliest = stored
        commit_log_max = store.commit_log.max_offset
        table = {
            "brokerVersionDesc": BROKER_VERSION_DESC,
            "brokerVersion": str(BROKER_VERSION),
            **store.stats.runtime_info(),
            **broker.stats.runtime_info(),
            "sendThreadPoolQueueSize": "0",
            "sendThreadPoolQueueCapacity": "10000",
            "pullThreadPoolQueueSize": "0",
            "pullThreadPoolQueueCapacity": "100000",
            "queryThreadPoolQueueSize": "0",
            "queryThreadPoolQueueCapacity": "20000",
            "EndTransactionQueueSize": "0",
            "EndTransactionThreadPoolQueueCapacity": "100000",
            "dispatchBehindBytes": str(max(0, commit_log_max - store.reput.reput_from_offset)),
            "pageCacheLockTimeMills": "0",
            "sendThreadPoolQueueHeadWaitTimeMills": "0",
            "pullThreadPoolQueueHeadWaitTimeMills": "0",
            "queryThreadPoolQueueHeadWaitTimeMills": "0",
            "earliestMessageTimeStamp": str(earliest),
            "startAcceptSendRequestTimeStamp": "0",
            "remainTransientStoreBufferNumbs": "0",
            "remainHowManyDataToFlush": "0 B",
            "commitLogDirCapacity": capacity,
            "commitLogDiskRatio": f"{disk_ratio:.4f}",
            "commitLogMinOffset": str(store.commit_log.min_offset),
            "commitLogMaxOffset": str(commit_log_max),
            "bootTimestamp": str(store.stats.boot_ms),
            "runtime": self._runtime(store.stats.boot_ms),
        }
        return RemotingCommand(ResponseCode.SUCCESS, body=json_body.dumps({"table": table}))

    @staticmethod
    def _runtime(boot_ms: int) -> str:
        seconds = (int(time.time() * 1000) - boot_ms) // 1000
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"[ {days} days, {hours} hours, {minutes} minutes, {seconds} seconds ]"

    def _properties(self) -> dict[str, str]:
        config = self.broker.config
        values = {"listenPort": str(self.broker.port)}
        for key, (name, _parse) in UPSTREAM_KEYS.items():
            values.setdefault(key, _property_text(getattr(config, name)))
        for key, (name, _parse) in STORE_UPSTREAM_KEYS.items():
            values.setdefault(key, _property_text(getattr(config.store, name)))
        return values

    def get_broker_config(self, connection: RemotingConnection, request: RemotingCommand):
        lines = [f"{_escape(k)}={_escape(v)}" for k, v in sorted(self._properties().items())]
        body = ("\n".join(lines) + "\n").encode("utf-8")
        version = self.broker.topic_config_manager.data_version.to_json()
        return RemotingCommand(ResponseCode.SUCCESS, {"version": json.dumps(version)}, body)

    def update_broker_config(self, connection: RemotingConnection, request: RemotingCommand):
        try:
            changes = parse_properties((request.body or b"").decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise BrokerError(ResponseCode.SYSTEM_ERROR, f"bad properties body: {exc}") from None
        refused = sorted(key for key in changes if key not in UPDATABLE_KEYS)
        if refused:
            raise BrokerError(
                ResponseCode.NO_PERMISSION,
                f"Can not update config in black list: {', '.join(refused)}",
            )
        try:
            updated = broker_config_from_properties(changes, self.broker.config)
        except ValueError as exc:
            raise BrokerError(ResponseCode.SYSTEM_ERROR, str(exc)) from None
        # Only the fields asked for move (the store part keeps its running values).
        fields = {UPSTREAM_KEYS[key][0] for key in changes}
        self.broker.update_config(
            dataclasses.replace(
                self.broker.config, **{name: getattr(updated, name) for name in fields}
            )
        )
        logger.info(
            "broker config updated by %s: %s", connection.remote_address, sorted(changes.items())
        )
        return RemotingCommand(ResponseCode.SUCCESS)


def _connection_json(info) -> dict:
    names = codec.LANGUAGE_NAMES
    language = names[info.language] if 0 <= info.language < len(names) else "OTHER"
    return {
        "clientAddr": info.connection.remote_address,
        "clientId": info.client_id,
        "language": language,
        "version": info.version,
    }
