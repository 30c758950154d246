"""TopicConfigManager: the broker's topic table, persisted to config/topics.json."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

from rocketmq.broker.config import BrokerConfig
from rocketmq.broker.config_file import master_table, read_config_file, write_config_file
from rocketmq.common.topic import (
    PERM_INHERIT,
    PERM_READ,
    PERM_WRITE,
    SCHEDULE_TOPIC,
    DataVersion,
    TopicConfig,
)

logger = logging.getLogger("rocketmq.broker")

AUTO_CREATE_TOPIC_KEY_TOPIC = "TBW102"
SELF_TEST_TOPIC = "SELF_TEST_TOPIC"
BENCHMARK_TOPIC = "BenchmarkTest"
OFFSET_MOVED_EVENT = "OFFSET_MOVED_EVENT"
TRANS_HALF_TOPIC = "RMQ_SYS_TRANS_HALF_TOPIC"
TRANS_OP_HALF_TOPIC = "RMQ_SYS_TRANS_OP_HALF_TOPIC"
TRANS_CHECK_MAX_TIME_TOPIC = "TRANS_CHECK_MAX_TIME_TOPIC"
RETRY_GROUP_TOPIC_PREFIX = "%RETRY%"
DLQ_GROUP_TOPIC_PREFIX = "%DLQ%"
SCHEDULE_DELAY_LEVELS = 18

TOPIC_NAME_LENGTH_MAX = 127
RETRY_TOPIC_NAME_LENGTH_MAX = 255
_TOPIC_NAME = re.compile(r"^[%|a-zA-Z0-9_-]+$")

# Producers may never write these (TopicValidator.NOT_ALLOWED_SEND_TOPIC_SET).
SEND_FORBIDDEN_TOPICS = frozenset(
    {
        SCHEDULE_TOPIC,
        TRANS_HALF_TOPIC,
        TRANS_OP_HALF_TOPIC,
        TRANS_CHECK_MAX_TIME_TOPIC,
        SELF_TEST_TOPIC,
        OFFSET_MOVED_EVENT,
    }
)
_SYSTEM_TOPICS = SEND_FORBIDDEN_TOPICS | {AUTO_CREATE_TOPIC_KEY_TOPIC, BENCHMARK_TOPIC}


def validate_topic_name(topic: str) -> str | None:
    """None when ``topic`` is a legal name, else why not (TopicValidator.validateTopic)."""
    if not topic:
        return "The specified topic is blank."
    limit = (
        RETRY_TOPIC_NAME_LENGTH_MAX
        if topic.startswith((RETRY_GROUP_TOPIC_PREFIX, DLQ_GROUP_TOPIC_PREFIX))
        else TOPIC_NAME_LENGTH_MAX
    )
    if len(topic) > limit:
        return f"The specified topic is longer than topic max length {limit}."
    if not _TOPIC_NAME.match(topic):
        return "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"
    return None


def is_system_topic(topic: str) -> bool:
    return topic in _SYSTEM_TOPICS or topic.startswith(("rmq_sys_", "RMQ_SYS_"))


class TopicConfigManager:
    """Topic name -> TopicConfig. Every change bumps ``data_version``, is
    persisted, and calls ``on_change`` (the controller re-registers with the
    NameServers)."""

    def __init__(self, config: BrokerConfig) -> None:
        self.config = config
        self.path: Path = config.config_dir / "topics.json"
        self.table: dict[str, TopicConfig] = {}
        self.data_version = DataVersion()
        self.on_change: Callable[[], None] | None = None
        self._init_system_topics()

    def _init_system_topics(self) -> None:
        config = self.config
        rw = PERM_READ | PERM_WRITE

        def put(name: str, queues: int, perm: int = rw) -> None:
            self.table[name] = TopicConfig(name, queues, queues, perm)

        put(SELF_TEST_TOPIC, 1)
        if config.auto_create_topic_enable:
            put(AUTO_CREATE_TOPIC_KEY_TOPIC, config.default_topic_queue_nums, PERM_INHERIT | rw)
        put(BENCHMARK_TOPIC, 1024)
        cluster_perm = PERM_INHERIT | (rw if config.cluster_topic_enable else 0)
        put(config.broker_cluster_name, 16, cluster_perm)
        broker_perm = PERM_INHERIT | (rw if config.broker_topic_enable else 0)
        put(config.broker_name, 1, broker_perm)
        put(OFFSET_MOVED_EVENT, 1)
        put(SCHEDULE_TOPIC, SCHEDULE_DELAY_LEVELS)
        put(f"{config.broker_cluster_name}_REPLY_TOPIC", 1)
        put(TRANS_HALF_TOPIC, 1)
        put(TRANS_OP_HALF_TOPIC, 1)

    # -- persistence --------------------------------------------------------------------

    def load(self) -> None:
        """Merge topics.json (or its .bak) over the system topics. Raises ValueError."""
        document = read_config_file(self.path)
        if document is None:
            return
        if not isinstance(document, dict):
            raise ValueError(f"{self.path}: not a JSON object")
        table = document.get("topicConfigTable") or {}
        for name, value in dict(table).items():
            topic = TopicConfig.from_json(value, name)
            self.table[topic.topic_name] = topic
        self.data_version = DataVersion.load(document.get("dataVersion"))

    def persist(self) -> None:
        try:
            write_config_file(self.path, self.wrapper_json())
        except OSError:
            logger.exception("persist %s failed", self.path)

    def wrapper_json(self) -> dict:
        """TopicConfigSerializeWrapper (also the topics.json layout)."""
        return {
            "dataVersion": self.data_version.to_json(),
            "topicConfigTable": {name: t.to_json() for name, t in self.table.items()},
        }

    def replace_from_master(self, wrapper: dict) -> bool:
        """A slave takes its master's table when the dataVersion differs (SlaveSynchronize).

        Returns whether it did. Raises ValueError on a malformed wrapper (nothing changes).
        """
        adopted = master_table(
            wrapper,
            "topicConfigTable",
            self.data_version,
            TopicConfig.from_json,
            lambda c: c.topic_name,
        )
        if adopted is None:
            return False
        self.data_version, self.table = adopted
        self.persist()
        return True

    def _changed(self) -> None:
        self.data_version = self.data_version.next()
        self.persist()
        if self.on_change is not None:
            self.on_change()

    # -- queries and updates ------------------------------------------------------------------

    def select(self, topic: str) -> TopicConfig | None:
        return self.table.get(topic)

    def update(self, topic: TopicConfig) -> None:
        old = self.table.get(topic.topic_name)
        self.table[topic.topic_name] = topic
        logger.info("%s topic config %s", "update" if old else "create new", topic)
        self._changed()

    def delete(self, topic: str) -> bool:
        removed = self.table.pop(topic, None)
        if removed is None:
            return False
        logger.info("delete topic config %s", topic)
        self._changed()
        return True

    def create_in_send(
        self, topic: str, default_topic: str, queue_nums: int, topic_sys_flag: int = 0
    ) -> TopicConfig | None:
        """Create ``topic`` from the template ``default_topic`` (createTopicInSendMessageMethod).

        None when the template is missing or lacks INHERIT permission.
        """
        existing = self.table.get(topic)
        if existing is not None:
            return existing
        template = self.table.get(default_topic)
        if template is None:
            logger.warning("create topic %s: default topic %s not exist", topic, default_topic)
            return None
        if (
            default_topic == AUTO_CREATE_TOPIC_KEY_TOPIC
            and not self.config.auto_create_topic_enable
        ):
            return None
        if not template.perm & PERM_INHERIT:
            logger.warning(
                "create topic %s: default topic %s has no inherit permission", topic, default_topic
            )
            return None
        queues = max(1, min(queue_nums, template.write_queue_nums))
        created = TopicConfig(
            topic,
            queues,
            queues,
            template.perm & ~PERM_INHERIT,
            template.topic_filter_type,
            topic_sys_flag,
        )
        self.update(created)
        return created

    def create_in_send_back(self, topic: str, queue_nums: int = 1) -> TopicConfig:
        """Retry and DLQ topics: always creatable (createTopicInSendMessageBackMethod)."""
        existing = self.table.get(topic)
        if existing is not None:
            return existing
        created = TopicConfig(topic, queue_nums, queue_nums, PERM_READ | PERM_WRITE)
        self.update(created)
        return created
