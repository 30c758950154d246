"""ConsumerOffsetManager: next offset to consume per (topic, group, queue).

Kept as upstream keys it, ``"topic@group" -> {queueId: offset}``, and
persisted to config/consumerOffset.json by the controller every
``flushConsumerOffsetInterval`` (5 s) and at shutdown.
"""

from __future__ import annotations

import logging
from pathlib import Path

from rocketmq.broker.config import BrokerConfig
from rocketmq.broker.config_file import read_config_file, write_config_file
from rocketmq.common.topic import DataVersion

logger = logging.getLogger("rocketmq.broker")

TOPIC_GROUP_SEPARATOR = "@"


class ConsumerOffsetManager:
    def __init__(self, config: BrokerConfig) -> None:
        self.path: Path = config.config_dir / "consumerOffset.json"
        self.table: dict[str, dict[int, int]] = {}
        self.data_version = DataVersion()
        self._dirty = False

    def load(self) -> None:
        """Raises ValueError when the file and its .bak are both unreadable."""
        document = read_config_file(self.path)
        if document is None:
            return
        if not isinstance(document, dict):
            raise ValueError(f"{self.path}: not a JSON object")
        for key, queues in dict(document.get("offsetTable") or {}).items():
            if not isinstance(queues, dict):
                raise ValueError(f"{self.path}: offsets of {key!r} are not an object")
            # fastjson writes Map<Integer, Long> keys bare: {0:12}.
            self.table[key] = {int(queue_id): int(offset) for queue_id, offset in queues.items()}
        self.data_version = DataVersion.load(document.get("dataVersion"))

    def persist(self) -> None:
        """Write the table when it changed since the last write."""
        if not self._dirty:
            return
        self._dirty = False
        document = {
            "dataVersion": self.data_version.to_json(),
            "offsetTable": {
                key: {str(queue_id): offset for queue_id, offset in sorted(queues.items())}
                for key, queues in self.table.items()
            },
        }
        try:
            write_config_file(self.path, document)
        except OSError:
            self._dirty = True
            logger.exception("persist %s failed", self.path)

    def wire_json(self) -> dict:
        """GET_ALL_CONSUMER_OFFSET's body (ConsumerOffsetManager#encode in 4.9.x)."""
        return {
            "offsetTable": {
                key: {str(queue_id): offset for queue_id, offset in sorted(queues.items())}
                for key, queues in self.table.items()
            }
        }

    def merge_from_master(self, document: dict) -> None:
        """A slave puts its master's offsets over its own (putAll upstream) and persists.

        Raises ValueError on a malformed body (nothing changes).
        """
        merged = {}
        for key, queues in dict(document.get("offsetTable") or {}).items():
            if not isinstance(queues, dict):
                raise ValueError(f"offsets of {key!r} are not an object")
            merged[key] = {int(queue_id): int(offset) for queue_id, offset in queues.items()}
        for key, queues in merged.items():
            if self.table.get(key) != queues:
                self.table[key] = queues
                self._dirty = True
        self.persist()

    def commit_offset(self, group: str, topic: str, queue_id: int, offset: int) -> None:
        key = f"{topic}{TOPIC_GROUP_SEPARATOR}{group}"
        queues = self.table.setdefault(key, {})
        if queues.get(queue_id) != offset:
            queues[queue_id] = offset
            self._dirty = True

    def query_offset(self, group: str, topic: str, queue_id: int) -> int:
        """The committed offset, or -1 when none is stored."""
        queues = self.table.get(f"{topic}{TOPIC_GROUP_SEPARATOR}{group}")
        if queues is None:
            return -1
        return queues.get(queue_id, -1)

    def remove_topic(self, topic: str) -> None:
        prefix = f"{topic}{TOPIC_GROUP_SEPARATOR}"
        for key in [k for k in self.table if k.startswith(prefix)]:
            del self.table[key]
            self._dirty = True

    def remove_group(self, group: str) -> None:
        suffix = f"{TOPIC_GROUP_SEPARATOR}{group}"
        for key in [k for k in self.table if k.endswith(suffix)]:
            del self.table[key]
            self._dirty = True
