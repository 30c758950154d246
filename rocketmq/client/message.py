"""The client's message model: what a producer sends and what a send returns.

Upstream: common.message.Message, client.producer.SendResult/SendStatus.
Tags, keys, delay level and timer settings are kept as properties under
RocketMQ's system property names, so a message travels exactly as the Java
client would send it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from rocketmq.common.message_queue import MessageQueue
from rocketmq.errors import ClientError

PROPERTY_TAGS = "TAGS"
PROPERTY_KEYS = "KEYS"
PROPERTY_DELAY = "DELAY"
PROPERTY_WAIT_STORE_MSG_OK = "WAIT"
PROPERTY_UNIQ_KEY = "UNIQ_KEY"
PROPERTY_TIMER_DELIVER_MS = "TIMER_DELIVER_MS"
PROPERTY_TIMER_DELAY_SEC = "TIMER_DELAY_SEC"
PROPERTY_TRANSACTION_PREPARED = "TRAN_MSG"
PROPERTY_PRODUCER_GROUP = "PGROUP"
KEY_SEPARATOR = " "

# Names a user property may not take (a subset of MessageConst.STRING_HASH_SET
# that a producer sets itself).
_SYSTEM_NAMES = frozenset(
    {
        PROPERTY_TAGS,
        PROPERTY_KEYS,
        PROPERTY_DELAY,
        PROPERTY_WAIT_STORE_MSG_OK,
        PROPERTY_UNIQ_KEY,
        PROPERTY_TIMER_DELIVER_MS,
        PROPERTY_TIMER_DELAY_SEC,
        PROPERTY_TRANSACTION_PREPARED,
        PROPERTY_PRODUCER_GROUP,
        "RETRY_TOPIC",
        "REAL_TOPIC",
        "REAL_QID",
        "MIN_OFFSET",
        "MAX_OFFSET",
        "RECONSUME_TIME",
        "MAX_RECONSUME_TIMES",
        "ORIGIN_MESSAGE_ID",
        "CLUSTER",
    }
)


@dataclass
class Message:
    """One message to send. ``body`` is bytes; ``properties`` holds system and user properties."""

    topic: str
    body: bytes = b""
    tags: str | None = None
    keys: str | Iterable[str] | None = None
    flag: int = 0
    properties: dict[str, str] = field(default_factory=dict)

    def put_user_property(self, name: str, value: str) -> None:
        """Raises ClientError for an empty name or value, or a system property's name."""
        if not name or value is None or value == "":
            raise ClientError("The name or value of property can not be null or blank string!")
        if name in _SYSTEM_NAMES:
            raise ClientError(f"The Property<{name}> is used by system, input another please")
        self.properties[name] = str(value)

    def get_property(self, name: str) -> str | None:
        return self.properties.get(name)

    @property
    def delay_time_level(self) -> int:
        return int(self.properties.get(PROPERTY_DELAY, "0") or 0)

    @delay_time_level.setter
    def delay_time_level(self, level: int) -> None:
        self.properties[PROPERTY_DELAY] = str(level)

    def set_deliver_time_ms(self, deliver_at_ms: int) -> None:
        """Deliver at this wall-clock time (RocketMQ 5 timer message)."""
        self.properties[PROPERTY_TIMER_DELIVER_MS] = str(int(deliver_at_ms))

    def wire_properties(self) -> dict[str, str]:
        """All properties as they go on the wire: tags and keys included."""
        out = dict(self.properties)
        if self.tags:
            out[PROPERTY_TAGS] = self.tags
        if self.keys:
            keys = self.keys if isinstance(self.keys, str) else KEY_SEPARATOR.join(self.keys)
            out[PROPERTY_KEYS] = keys
        return out


class SendStatus(enum.Enum):
    SEND_OK = "SEND_OK"
    FLUSH_DISK_TIMEOUT = "FLUSH_DISK_TIMEOUT"
    FLUSH_SLAVE_TIMEOUT = "FLUSH_SLAVE_TIMEOUT"
    SLAVE_NOT_AVAILABLE = "SLAVE_NOT_AVAILABLE"


@dataclass(frozen=True)
class SendResult:
    """Where a message was stored. ``msg_id`` is the client-made unique id (UNIQ_KEY; a batch
    lists each message's, comma-separated); ``offset_msg_id`` encodes store host and
    commit-log offset."""

    status: SendStatus
    msg_id: str
    offset_msg_id: str
    message_queue: MessageQueue
    queue_offset: int
    transaction_id: str | None = None
    region_id: str | None = None
    trace_on: bool = True


PROPERTY_RETRY_TOPIC = "RETRY_TOPIC"


@dataclass
class MessageExt:
    """A message as a consumer receives it (common.message.MessageExt)."""

    topic: str
    body: bytes
    properties: dict[str, str]
    msg_id: str  # UNIQ_KEY when the producer set one, else offset_msg_id
    offset_msg_id: str
    queue_id: int
    queue_offset: int
    commit_log_offset: int
    reconsume_times: int
    born_timestamp: int
    store_timestamp: int
    born_host: str
    store_host: str
    flag: int = 0
    sys_flag: int = 0
    broker_name: str = ""
    store_size: int = 0
    prepared_transaction_offset: int = 0

    @property
    def tags(self) -> str | None:
        return self.properties.get(PROPERTY_TAGS)

    @property
    def keys(self) -> str | None:
        return self.properties.get(PROPERTY_KEYS)

    def get_property(self, name: str) -> str | None:
        return self.properties.get(name)


class ConsumeStatus(enum.Enum):
    CONSUME_SUCCESS = "CONSUME_SUCCESS"
    RECONSUME_LATER = "RECONSUME_LATER"
