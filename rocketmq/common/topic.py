"""Topic metadata shared by the broker and the NameServer (fastjson field names).

Upstream: common/TopicConfig, common/constant/PermName, remoting/protocol/DataVersion.
``from_json`` is lenient like fastjson (missing fields keep their defaults,
unknown ones are ignored); a field of the wrong type raises ProtocolError.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

from rocketmq.common import json_body
from rocketmq.errors import ProtocolError

# PermName
PERM_PRIORITY = 0x8
PERM_READ = 0x4
PERM_WRITE = 0x2
PERM_INHERIT = 0x1

MASTER_ID = 0  # MixAll.MASTER_ID

# Delayed messages wait here, queue id = delay level - 1 (TopicValidator).
SCHEDULE_TOPIC = "SCHEDULE_TOPIC_XXXX"


@dataclass(frozen=True)
class DataVersion:
    """Version of a broker's topic table; equal only if all three fields are."""

    state_version: int = 0
    timestamp: int = 0  # ms
    counter: int = 0

    @classmethod
    def from_json(cls, obj: Any) -> DataVersion:
        obj = json_body.as_object(obj, "DataVersion")
        return cls(
            state_version=json_body.get_int(obj, "stateVersion", 0),
            timestamp=json_body.get_int(obj, "timestamp", 0),
            counter=json_body.get_int(obj, "counter", 0),
        )

    @classmethod
    def load(cls, obj: Any) -> DataVersion:
        """A persisted version, or a fresh one (now) when the file had none."""
        if isinstance(obj, dict):
            return cls.from_json(obj)
        return cls(timestamp=int(time.time() * 1000))

    def next(self) -> DataVersion:
        """The version after a change: counter + 1, timestamp now."""
        return dataclasses.replace(
            self, counter=self.counter + 1, timestamp=int(time.time() * 1000)
        )

    def to_json(self) -> dict:
        return {
            "counter": self.counter,
            "stateVersion": self.state_version,
            "timestamp": self.timestamp,
        }


@dataclass
class TopicConfig:
    topic_name: str
    read_queue_nums: int = 16
    write_queue_nums: int = 16
    perm: int = PERM_READ | PERM_WRITE
    topic_filter_type: str = "SINGLE_TAG"
    topic_sys_flag: int = 0
    order: bool = False
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def readable(self) -> bool:
        return bool(self.perm & PERM_READ)

    @property
    def writable(self) -> bool:
        return bool(self.perm & PERM_WRITE)

    @classmethod
    def from_json(cls, obj: Any, name: str | None = None) -> TopicConfig:
        obj = json_body.as_object(obj, "TopicConfig")
        topic_name = json_body.get_str(obj, "topicName") or name
        if not topic_name:
            raise ProtocolError("TopicConfig without topicName")
        attributes = obj.get("attributes") or {}
        return cls(
            topic_name=topic_name,
            read_queue_nums=json_body.get_int(obj, "readQueueNums", 16),
            write_queue_nums=json_body.get_int(obj, "writeQueueNums", 16),
            perm=json_body.get_int(obj, "perm", PERM_READ | PERM_WRITE),
            topic_filter_type=json_body.get_str(obj, "topicFilterType") or "SINGLE_TAG",
            topic_sys_flag=json_body.get_int(obj, "topicSysFlag", 0),
            order=json_body.get_bool(obj, "order", False),
            attributes={
                str(k): str(v) for k, v in json_body.as_object(attributes, "attributes").items()
            },
        )

    def to_json(self) -> dict:
        return {
            "attributes": dict(self.attributes),
            "order": self.order,
            "perm": self.perm,
            "readQueueNums": self.read_queue_nums,
            "topicFilterType": self.topic_filter_type,
            "topicName": self.topic_name,
            "topicSysFlag": self.topic_sys_flag,
            "writeQueueNums": self.write_queue_nums,
        }

    def encode(self) -> str:
        """TopicConfig#encode: ``name readQ writeQ perm filterType attributesJSON``.

        The compressed REGISTER_BROKER body carries topics in this form; it has
        no topicSysFlag or order, so those are lost on the way.
        """
        attributes = json_body.dumps(self.attributes).decode("utf-8")
        return (
            f"{self.topic_name} {self.read_queue_nums} {self.write_queue_nums} "
            f"{self.perm} {self.topic_filter_type} {attributes}"
        )

    @classmethod
    def decode(cls, text: str) -> TopicConfig | None:
        """TopicConfig#decode; None when there are fewer than five fields."""
        # Java's String#split drops trailing empty strings.
        parts = text.split(" ")
        while parts and not parts[-1]:
            parts.pop()
        if len(parts) < 5:
            return None
        try:
            config = cls(
                topic_name=parts[0],
                read_queue_nums=int(parts[1]),
                write_queue_nums=int(parts[2]),
                perm=int(parts[3]),
                topic_filter_type=parts[4],
            )
        except ValueError:
            raise ProtocolError(f"malformed TopicConfig: {text[:200]!r}") from None
        if len(parts) >= 6:
            # Like upstream: attributes with spaces in them fail silently.
            try:
                attributes = json_body.loads(parts[5])
            except ProtocolError:
                attributes = None
            if isinstance(attributes, dict):
                config.attributes = {str(k): str(v) for k, v in attributes.items()}
        return config
