"""SubscriptionGroupManager: consumer group settings, persisted to config/subscriptionGroup.json."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rocketmq.broker.config import BrokerConfig
from rocketmq.broker.config_file import master_table, read_config_file, write_config_file
from rocketmq.common.topic import DataVersion

logger = logging.getLogger("rocketmq.broker")

# Groups the broker itself uses (MixAll / upstream SubscriptionGroupManager#init).
SYSTEM_GROUPS = (
    "TOOLS_CONSUMER",
    "FILTERSRV_CONSUMER",
    "SELF_TEST_C_GROUP",
    "CID_ONS-HTTP-PROXY",
    "CID_ONSAPI_PULL",
    "CID_ONSAPI_PERMISSION",
    "CID_ONSAPI_OWNER",
    "CID_RMQ_SYS_TRANS",
)


@dataclass
class SubscriptionGroupConfig:
    group_name: str
    consume_enable: bool = True
    consume_from_min_enable: bool = True
    consume_broadcast_enable: bool = True
    consume_message_orderly: bool = False
    retry_queue_nums: int = 1
    retry_max_times: int = 16
    broker_id: int = 0
    which_broker_when_consume_slowly: int = 1
    notify_consumer_ids_changed_enable: bool = True
    group_sys_flag: int = 0
    consume_timeout_minute: int = 15
    attributes: dict[str, str] = field(default_factory=dict)

    _KEYS = (
        ("groupName", "group_name", str),
        ("consumeEnable", "consume_enable", bool),
        ("consumeFromMinEnable", "consume_from_min_enable", bool),
        ("consumeBroadcastEnable", "consume_broadcast_enable", bool),
        ("consumeMessageOrderly", "consume_message_orderly", bool),
        ("retryQueueNums", "retry_queue_nums", int),
        ("retryMaxTimes", "retry_max_times", int),
        ("brokerId", "broker_id", int),
        ("whichBrokerWhenConsumeSlowly", "which_broker_when_consume_slowly", int),
        ("notifyConsumerIdsChangedEnable", "notify_consumer_ids_changed_enable", bool),
        ("groupSysFlag", "group_sys_flag", int),
        ("consumeTimeoutMinute", "consume_timeout_minute", int),
    )

    def to_json(self) -> dict:
        document: dict[str, Any] = {key: getattr(self, name) for key, name, _ in self._KEYS}
        document["attributes"] = dict(self.attributes)
        return document

    @classmethod
    def from_json(cls, obj: Any, name: str | None = None) -> SubscriptionGroupConfig:
        """Raises ValueError on a malformed entry; unknown keys are ignored."""
        if not isinstance(obj, dict):
            raise ValueError(f"subscription group {name!r} is not an object")
        group = obj.get("groupName") or name
        if not isinstance(group, str) or not group:
            raise ValueError("subscription group without groupName")
        config = cls(group)
        for key, attr, kind in cls._KEYS[1:]:
            if key in obj and obj[key] is not None:
                value = obj[key]
                if kind is bool and isinstance(value, str):
                    value = value.lower() == "true"
                setattr(config, attr, kind(value))
        config.attributes = {str(k): str(v) for k, v in dict(obj.get("attributes") or {}).items()}
        return config


class SubscriptionGroupManager:
    def __init__(self, config: BrokerConfig) -> None:
        self.config = config
        self.path: Path = config.config_dir / "subscriptionGroup.json"
        self.table: dict[str, SubscriptionGroupConfig] = {
            name: SubscriptionGroupConfig(name) for name in SYSTEM_GROUPS
        }
        self.data_version = DataVersion()

    def load(self) -> None:
        """Raises ValueError when the file and its .bak are both unreadable."""
        document = read_config_file(self.path)
        if document is None:
            return
        if not isinstance(document, dict):
            raise ValueError(f"{self.path}: not a JSON object")
        for name, value in dict(document.get("subscriptionGroupTable") or {}).items():
            group = SubscriptionGroupConfig.from_json(value, name)
            self.table[group.group_name] = group
        self.data_version = DataVersion.load(document.get("dataVersion"))

    def wrapper_json(self) -> dict:
        return {
            "dataVersion": self.data_version.to_json(),
            "forbiddenTable": {},
            "subscriptionGroupTable": {name: g.to_json() for name, g in self.table.items()},
        }

    def replace_from_master(self, wrapper: dict) -> bool:
        """A slave takes its master's groups when the dataVersion differs (SlaveSynchronize).

        Returns whether it did. Raises ValueError on a malformed wrapper (nothing changes).
        """
        adopted = master_table(
            wrapper,
            "subscriptionGroupTable",
            self.data_version,
            SubscriptionGroupConfig.from_json,
            lambda c: c.group_name,
        )
        if adopted is None:
            return False
        self.data_version, self.table = adopted
        self.persist()
        return True

    def persist(self) -> None:
        try:
            write_config_file(self.path, self.wrapper_json())
        except OSError:
            logger.exception("persist %s failed", self.path)

    def find(self, group: str) -> SubscriptionGroupConfig | None:
        """The group's config; created with defaults when ``autoCreateSubscriptionGroup``."""
        found = self.table.get(group)
        if found is None and self.config.auto_create_subscription_group:
            found = SubscriptionGroupConfig(group)
            self.update(found)
        return found

    def update(self, group: SubscriptionGroupConfig) -> None:
        old = self.table.get(group.group_name)
        self.table[group.group_name] = group
        logger.info("%s subscription group %s", "update" if old else "create new", group.group_name)
        self.data_version = self.data_version.next()
        self.persist()

    def delete(self, group: str) -> bool:
        if self.table.pop(group, None) is None:
            return False
        logger.info("delete subscription group %s", group)
        self.data_version = self.data_version.next()
        self.persist()
        return True
