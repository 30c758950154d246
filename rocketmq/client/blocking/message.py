"""Message, ReceivedMessage and the enums of rocketmq-client-python, over our message model."""

from __future__ import annotations

import enum
from collections import namedtuple

from rocketmq.client.message import Message as CoreMessage
from rocketmq.client.message import MessageExt

SendResult = namedtuple("SendResult", ["status", "msg_id", "offset"])


class SendStatus(enum.IntEnum):
    OK = 0
    FLUSH_DISK_TIMEOUT = 1
    FLUSH_SLAVE_TIMEOUT = 2
    SLAVE_NOT_AVAILABLE = 3


class TransactionStatus(enum.IntEnum):
    COMMIT = 0
    ROLLBACK = 1
    UNKNOWN = 2


class ConsumeStatus(enum.IntEnum):
    CONSUME_SUCCESS = 0
    RECONSUME_LATER = 1


class MessageModel(enum.IntEnum):
    BROADCASTING = 0
    CLUSTERING = 1


class MessageProperty(enum.Enum):
    TRACE_SWITCH = "TRACE_ON"
    MSG_REGION = "MSG_REGION"
    KEYS = "KEYS"
    TAGS = "TAGS"
    WAIT_STORE_MSG_OK = "WAIT"
    DELAY_TIME_LEVEL = "DELAY"
    RETRY_TOPIC = "RETRY_TOPIC"
    REAL_TOPIC = "REAL_TOPIC"
    REAL_QUEUE_ID = "REAL_QID"
    TRANSACTION_PREPARED = "TRAN_MSG"
    PRODUCER_GROUP = "PGROUP"
    MIN_OFFSET = "MIN_OFFSET"
    MAX_OFFSET = "MAX_OFFSET"
    BUYER_ID = "BUYER_ID"
    ORIGIN_MESSAGE_ID = "ORIGIN_MESSAGE_ID"
    TRANSFER_FLAG = "TRANSFER_FLAG"
    CORRECTION_FLAG = "CORRECTION_FLAG"
    MQ2_FLAG = "MQ2_FLAG"
    RECONSUME_TIME = "RECONSUME_TIME"
    UNIQ_CLIENT_MESSAGE_ID_KEYIDX = "UNIQ_KEY"
    MAX_RECONSUME_TIMES = "MAX_RECONSUME_TIMES"
    CONSUME_START_TIMESTAMP = "CONSUME_START_TIME"


def _to_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def _to_str(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


class Message:
    """A message to send: ``Message(topic)``, then the setters."""

    def __init__(self, topic: str | bytes) -> None:
        self._core = CoreMessage(_to_str(topic))

    def set_keys(self, keys: str | bytes) -> None:
        self._core.keys = _to_str(keys)

    def set_tags(self, tags: str | bytes) -> None:
        self._core.tags = _to_str(tags)

    def set_body(self, body: str | bytes) -> None:
        self._core.body = _to_bytes(body)

    def set_property(self, key: str | bytes, value: str | bytes) -> None:
        self._core.put_user_property(_to_str(key), _to_str(value))

    def set_delay_time_level(self, delay_time_level: int) -> None:
        self._core.delay_time_level = int(delay_time_level)


class ReceivedMessage:
    """A consumed message; ``tags``, ``keys``, ``body`` and properties are bytes, as upstream."""

    def __init__(self, message: MessageExt) -> None:
        self._message = message

    @property
    def topic(self) -> str:
        return self._message.topic

    @property
    def tags(self) -> bytes:
        return _to_bytes(self._message.tags or "")

    @property
    def keys(self) -> bytes:
        return _to_bytes(self._message.keys or "")

    @property
    def body(self) -> bytes:
        return self._message.body

    @property
    def id(self) -> str:
        return self._message.msg_id

    @property
    def delay_time_level(self) -> int:
        return int(self._message.properties.get("DELAY", "0") or 0)

    @property
    def queue_id(self) -> int:
        return self._message.queue_id

    @property
    def reconsume_times(self) -> int:
        return self._message.reconsume_times

    @property
    def store_size(self) -> int:
        return self._message.store_size

    @property
    def born_timestamp(self) -> int:
        return self._message.born_timestamp

    @property
    def store_timestamp(self) -> int:
        return self._message.store_timestamp

    @property
    def queue_offset(self) -> int:
        return self._message.queue_offset

    @property
    def commit_log_offset(self) -> int:
        return self._message.commit_log_offset

    @property
    def prepared_transaction_offset(self) -> int:
        return self._message.prepared_transaction_offset

    def get_property(self, prop: str | bytes | MessageProperty) -> bytes:
        """The property's value as bytes (b"" when absent)."""
        name = prop.value if isinstance(prop, MessageProperty) else _to_str(prop)
        return _to_bytes(self._message.properties.get(name, ""))

    def __getitem__(self, key: str | bytes | MessageProperty) -> bytes:
        return self.get_property(key)

    def __str__(self) -> str:
        return self.body.decode("utf-8")

    def __bytes__(self) -> bytes:
        return self.body

    def __repr__(self) -> str:
        return f"<ReceivedMessage topic={self.topic!r} id={self.id!r} body={self.body!r}>"


def received_from_outgoing(message: CoreMessage) -> ReceivedMessage:
    """A message being sent, shown to a callback the way the official client does."""
    properties = message.wire_properties()
    msg_id = properties.get("UNIQ_KEY", "")
    return ReceivedMessage(
        MessageExt(
            topic=message.topic,
            body=message.body,
            properties=properties,
            msg_id=msg_id,
            offset_msg_id="",
            queue_id=0,
            queue_offset=0,
            commit_log_offset=0,
            reconsume_times=0,
            born_timestamp=0,
            store_timestamp=0,
            born_host="",
            store_host="",
            flag=message.flag,
        )
    )
