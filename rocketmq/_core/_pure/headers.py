"""Typed custom headers of the hottest requests, pure-Python twin of headers.pyx.

Same names, signatures, defaults and errors as the Cython module; it is the
oracle of the differential tests and the fallback under ROCKETMQ_PUREPYTHON=1.
Java's FastCodesHeader gives only these four headers hand-written codecs;
every other header stays a plain extFields dict. Field types:
shared/spec/remoting.md §7.
"""

from __future__ import annotations

import re

from rocketmq.errors import HeaderError

_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_JAVA_INTEGER = re.compile(r"[+-]?[0-9]+")


def _require(ext: dict, key: str) -> str:
    value = ext.get(key)
    if value is None:
        raise HeaderError(f"the custom field <{key}> is null")
    return value


def parse_java_int(text: str, key: str = "value") -> int:
    """Integer.parseInt: optional sign and ASCII digits, int32 range."""
    return _parse_java_integer(text, key, _INT32_MIN, _INT32_MAX)


def parse_java_long(text: str, key: str = "value") -> int:
    """Long.parseLong: optional sign and ASCII digits, int64 range."""
    return _parse_java_integer(text, key, _INT64_MIN, _INT64_MAX)


def _parse_java_integer(text: str, key: str, low: int, high: int) -> int:
    if not _JAVA_INTEGER.fullmatch(text):
        raise HeaderError(f"the custom field <{key}> is not a number: {text!r}")
    number = text
    if len(text) > 19:
        # Rare: leading zeros, which Java ignores, or a number out of any Java
        # range. Past sys.get_int_max_str_digits() int() would raise ValueError.
        digits = text.lstrip("+-").lstrip("0")
        if len(digits) > 19:
            raise HeaderError(f"the custom field <{key}> is out of range: {text!r}")
        number = ("-" if text[0] == "-" else "") + (digits or "0")
    value = int(number)
    if not low <= value <= high:
        raise HeaderError(f"the custom field <{key}> is out of range: {text!r}")
    return value


def parse_java_bool(text: str) -> bool:
    """Boolean.parseBoolean: "true" in any case, everything else false."""
    return text.lower() == "true"


def _opt_int(ext: dict, key: str) -> int | None:
    value = ext.get(key)
    return None if value is None else parse_java_int(value, key)


def _opt_long(ext: dict, key: str) -> int | None:
    value = ext.get(key)
    return None if value is None else parse_java_long(value, key)


def _opt_bool(ext: dict, key: str) -> bool | None:
    value = ext.get(key)
    return None if value is None else parse_java_bool(value)


def _bool_str(value: bool) -> str:
    return "true" if value else "false"


# (python attribute, V1 name, V2 letter, kind); kind: s str, i int, l long, b bool.
# Required fields are @CFNotNull in SendMessageRequestHeader.java.
_SEND_FIELDS = (
    ("producer_group", "producerGroup", "a", "s", True),
    ("topic", "topic", "b", "s", True),
    ("default_topic", "defaultTopic", "c", "s", True),
    ("default_topic_queue_nums", "defaultTopicQueueNums", "d", "i", True),
    ("queue_id", "queueId", "e", "i", True),
    ("sys_flag", "sysFlag", "f", "i", True),
    ("born_timestamp", "bornTimestamp", "g", "l", True),
    ("flag", "flag", "h", "i", True),
    ("properties", "properties", "i", "s", False),
    ("reconsume_times", "reconsumeTimes", "j", "i", False),
    ("unit_mode", "unitMode", "k", "b", False),
    ("max_reconsume_times", "maxReconsumeTimes", "l", "i", False),
    ("batch", "batch", "m", "b", False),
    ("broker_name", "brokerName", "n", "s", False),
)


class SendMessageRequestHeader:
    """SEND_MESSAGE (V1 names) / SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE (letters)."""

    __slots__ = tuple(field[0] for field in _SEND_FIELDS)

    def __init__(
        self,
        producer_group: str = "",
        topic: str = "",
        default_topic: str = "TBW102",
        default_topic_queue_nums: int = 4,
        queue_id: int = 0,
        sys_flag: int = 0,
        born_timestamp: int = 0,
        flag: int = 0,
        properties: str | None = None,
        reconsume_times: int | None = None,
        unit_mode: bool | None = None,
        max_reconsume_times: int | None = None,
        batch: bool | None = None,
        broker_name: str | None = None,
    ) -> None:
        self.producer_group = producer_group
        self.topic = topic
        self.default_topic = default_topic
        self.default_topic_queue_nums = default_topic_queue_nums
        self.queue_id = queue_id
        self.sys_flag = sys_flag
        self.born_timestamp = born_timestamp
        self.flag = flag
        self.properties = properties
        self.reconsume_times = reconsume_times
        self.unit_mode = unit_mode
        self.max_reconsume_times = max_reconsume_times
        self.batch = batch
        self.broker_name = broker_name

    @classmethod
    def from_ext_fields(cls, ext: dict, v2: bool) -> SendMessageRequestHeader:
        """Raises HeaderError naming the field that is missing or malformed."""
        self = cls.__new__(cls)
        index = 2 if v2 else 1
        for field in _SEND_FIELDS:
            key = field[index]
            kind = field[3]
            if field[4]:
                text = _require(ext, key)
            else:
                text = ext.get(key)
                if text is None:
                    setattr(self, field[0], None)
                    continue
            if kind == "s":
                value = text
            elif kind == "i":
                value = parse_java_int(text, key)
            elif kind == "l":
                value = parse_java_long(text, key)
            else:
                value = parse_java_bool(text)
            setattr(self, field[0], value)
        return self

    def to_ext_fields(self, v2: bool) -> dict:
        index = 2 if v2 else 1
        ext = {}
        for field in _SEND_FIELDS:
            value = getattr(self, field[0])
            if value is None:
                continue
            ext[field[index]] = _bool_str(value) if field[3] == "b" else str(value)
        return ext

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"SendMessageRequestHeader({fields})"


class SendMessageResponseHeader:
    """msgId (offsetMsgId, comma-joined for a batch), queueId, queueOffset, transactionId."""

    __slots__ = ("batch_uniq_id", "msg_id", "queue_id", "queue_offset", "transaction_id")

    def __init__(
        self,
        msg_id: str = "",
        queue_id: int = 0,
        queue_offset: int = 0,
        transaction_id: str | None = None,
        batch_uniq_id: str | None = None,
    ) -> None:
        self.msg_id = msg_id
        self.queue_id = queue_id
        self.queue_offset = queue_offset
        self.transaction_id = transaction_id
        self.batch_uniq_id = batch_uniq_id

    @classmethod
    def from_ext_fields(cls, ext: dict) -> SendMessageResponseHeader:
        return cls(
            _require(ext, "msgId"),
            parse_java_int(_require(ext, "queueId"), "queueId"),
            parse_java_long(_require(ext, "queueOffset"), "queueOffset"),
            ext.get("transactionId"),
            ext.get("batchUniqId"),
        )

    def to_ext_fields(self) -> dict:
        ext = {
            "msgId": self.msg_id,
            "queueId": str(self.queue_id),
            "queueOffset": str(self.queue_offset),
        }
        if self.transaction_id is not None:
            ext["transactionId"] = self.transaction_id
        if self.batch_uniq_id is not None:
            ext["batchUniqId"] = self.batch_uniq_id
        return ext

    def __repr__(self) -> str:
        return (
            f"SendMessageResponseHeader(msg_id={self.msg_id!r}, queue_id={self.queue_id!r}, "
            f"queue_offset={self.queue_offset!r}, transaction_id={self.transaction_id!r}, "
            f"batch_uniq_id={self.batch_uniq_id!r})"
        )


_PULL_FIELDS = (
    ("consumer_group", "consumerGroup", "s", True),
    ("topic", "topic", "s", True),
    ("queue_id", "queueId", "i", True),
    ("queue_offset", "queueOffset", "l", True),
    ("max_msg_nums", "maxMsgNums", "i", True),
    ("sys_flag", "sysFlag", "i", True),
    ("commit_offset", "commitOffset", "l", True),
    ("suspend_timeout_millis", "suspendTimeoutMillis", "l", True),
    ("subscription", "subscription", "s", False),
    ("sub_version", "subVersion", "l", True),
    ("expression_type", "expressionType", "s", False),
    ("max_msg_bytes", "maxMsgBytes", "i", False),
    ("request_source", "requestSource", "i", False),
    ("proxy_forward_client_id", "proxyFrowardClientId", "s", False),  # sic, wire name
)


class PullMessageRequestHeader:
    """PULL_MESSAGE / LITE_PULL_MESSAGE request header."""

    __slots__ = tuple(field[0] for field in _PULL_FIELDS)

    def __init__(
        self,
        consumer_group: str = "",
        topic: str = "",
        queue_id: int = 0,
        queue_offset: int = 0,
        max_msg_nums: int = 32,
        sys_flag: int = 0,
        commit_offset: int = 0,
        suspend_timeout_millis: int = 0,
        subscription: str | None = None,
        sub_version: int = 0,
        expression_type: str | None = None,
        max_msg_bytes: int | None = None,
        request_source: int | None = None,
        proxy_forward_client_id: str | None = None,
    ) -> None:
        self.consumer_group = consumer_group
        self.topic = topic
        self.queue_id = queue_id
        self.queue_offset = queue_offset
        self.max_msg_nums = max_msg_nums
        self.sys_flag = sys_flag
        self.commit_offset = commit_offset
        self.suspend_timeout_millis = suspend_timeout_millis
        self.subscription = subscription
        self.sub_version = sub_version
        self.expression_type = expression_type
        self.max_msg_bytes = max_msg_bytes
        self.request_source = request_source
        self.proxy_forward_client_id = proxy_forward_client_id

    @classmethod
    def from_ext_fields(cls, ext: dict) -> PullMessageRequestHeader:
        """Raises HeaderError naming the field that is missing or malformed."""
        self = cls.__new__(cls)
        for name, key, kind, required in _PULL_FIELDS:
            if required:
                text = _require(ext, key)
            else:
                text = ext.get(key)
                if text is None:
                    setattr(self, name, None)
                    continue
            if kind == "s":
                value = text
            elif kind == "i":
                value = parse_java_int(text, key)
            else:
                value = parse_java_long(text, key)
            setattr(self, name, value)
        return self

    def to_ext_fields(self) -> dict:
        ext = {}
        for name, key, _kind, _required in _PULL_FIELDS:
            value = getattr(self, name)
            if value is not None:
                ext[key] = str(value)
        return ext

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"PullMessageRequestHeader({fields})"


# (python attribute, wire name, kind, required); kind: i Java Integer, l Java Long.
_PULL_RESPONSE_FIELDS = (
    ("suggest_which_broker_id", "suggestWhichBrokerId", "l", True),
    ("next_begin_offset", "nextBeginOffset", "l", True),
    ("min_offset", "minOffset", "l", True),
    ("max_offset", "maxOffset", "l", True),
    ("offset_delta", "offsetDelta", "l", False),
    ("topic_sys_flag", "topicSysFlag", "i", False),
    ("group_sys_flag", "groupSysFlag", "i", False),
    ("forbidden_type", "forbiddenType", "i", False),
)


class PullMessageResponseHeader:
    """The four offsets are always present: Java unboxes them, ali-ons stringifies them."""

    __slots__ = tuple(field[0] for field in _PULL_RESPONSE_FIELDS)

    def __init__(
        self,
        suggest_which_broker_id: int = 0,
        next_begin_offset: int = 0,
        min_offset: int = 0,
        max_offset: int = 0,
        offset_delta: int | None = None,
        topic_sys_flag: int | None = None,
        group_sys_flag: int | None = None,
        forbidden_type: int | None = None,
    ) -> None:
        self.suggest_which_broker_id = suggest_which_broker_id
        self.next_begin_offset = next_begin_offset
        self.min_offset = min_offset
        self.max_offset = max_offset
        self.offset_delta = offset_delta
        self.topic_sys_flag = topic_sys_flag
        self.group_sys_flag = group_sys_flag
        self.forbidden_type = forbidden_type

    @classmethod
    def from_ext_fields(cls, ext: dict) -> PullMessageResponseHeader:
        """Raises HeaderError naming the field that is missing or malformed."""
        self = cls.__new__(cls)
        for name, key, kind, required in _PULL_RESPONSE_FIELDS:
            text = _require(ext, key) if required else ext.get(key)
            if text is None:
                value = None
            elif kind == "i":
                value = parse_java_int(text, key)
            else:
                value = parse_java_long(text, key)
            setattr(self, name, value)
        return self

    def to_ext_fields(self) -> dict:
        ext = {}
        for name, key, _kind, _required in _PULL_RESPONSE_FIELDS:
            value = getattr(self, name)
            if value is not None:
                ext[key] = str(value)
        return ext

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"PullMessageResponseHeader({fields})"
