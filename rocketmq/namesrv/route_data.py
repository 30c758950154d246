"""Route model of the NameServer and its JSON forms (fastjson field names).

Upstream: remoting/protocol/route/{QueueData,BrokerData,TopicRouteData},
remoting/protocol/DataVersion, common/TopicConfig. ``from_json`` takes what
``json_body.loads`` returns and is lenient like fastjson (missing fields keep
their defaults, unknown fields are ignored); a field of the wrong type raises
ProtocolError. ``to_json`` returns plain dicts for ``json_body.dumps``.
"""

from __future__ import annotations

import dataclasses
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
NAMESPACE_ORDER_TOPIC_CONFIG = "ORDER_TOPIC_CONFIG"  # NamesrvUtil


def _int(obj: dict, key: str, default: int) -> int:
    value = obj.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ProtocolError(f"field {key} is not an integer: {value!r}")
    try:
        return int(value)
    except ValueError:
        raise ProtocolError(f"field {key} is not an integer: {value!r}") from None


def _bool(obj: dict, key: str, default: bool) -> bool:
    value = obj.get(key, default)
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def _str(obj: dict, key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProtocolError(f"field {key} is not a string: {value!r}")
    return value


def _object(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise ProtocolError(f"{what} is not a JSON object")
    return value


@dataclass(frozen=True)
class DataVersion:
    """Version of a broker's topic table; equal only if all three fields are."""

    state_version: int = 0
    timestamp: int = 0  # ms
    counter: int = 0

    @classmethod
    def from_json(cls, obj: Any) -> DataVersion:
        obj = _object(obj, "DataVersion")
        return cls(
            state_version=_int(obj, "stateVersion", 0),
            timestamp=_int(obj, "timestamp", 0),
            counter=_int(obj, "counter", 0),
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

    @classmethod
    def from_json(cls, obj: Any, name: str | None = None) -> TopicConfig:
        obj = _object(obj, "TopicConfig")
        topic_name = _str(obj, "topicName") or name
        if not topic_name:
            raise ProtocolError("TopicConfig without topicName")
        attributes = obj.get("attributes") or {}
        return cls(
            topic_name=topic_name,
            read_queue_nums=_int(obj, "readQueueNums", 16),
            write_queue_nums=_int(obj, "writeQueueNums", 16),
            perm=_int(obj, "perm", PERM_READ | PERM_WRITE),
            topic_filter_type=_str(obj, "topicFilterType") or "SINGLE_TAG",
            topic_sys_flag=_int(obj, "topicSysFlag", 0),
            order=_bool(obj, "order", False),
            attributes={str(k): str(v) for k, v in _object(attributes, "attributes").items()},
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


@dataclass
class QueueData:
    broker_name: str
    read_queue_nums: int
    write_queue_nums: int
    perm: int
    topic_sys_flag: int = 0

    @classmethod
    def from_json(cls, obj: Any) -> QueueData:
        obj = _object(obj, "QueueData")
        broker_name = _str(obj, "brokerName")
        if not broker_name:
            raise ProtocolError("QueueData without brokerName")
        return cls(
            broker_name=broker_name,
            read_queue_nums=_int(obj, "readQueueNums", 0),
            write_queue_nums=_int(obj, "writeQueueNums", 0),
            perm=_int(obj, "perm", 0),
            topic_sys_flag=_int(obj, "topicSysFlag", 0),
        )

    def to_json(self) -> dict:
        return {
            "brokerName": self.broker_name,
            "perm": self.perm,
            "readQueueNums": self.read_queue_nums,
            "topicSysFlag": self.topic_sys_flag,
            "writeQueueNums": self.write_queue_nums,
        }


@dataclass
class BrokerData:
    """One broker group: brokerId (0 = master) -> "ip:port"."""

    cluster: str
    broker_name: str
    broker_addrs: dict[int, str] = field(default_factory=dict)
    zone_name: str | None = None
    enable_acting_master: bool = False

    def copy(self) -> BrokerData:
        return dataclasses.replace(self, broker_addrs=dict(self.broker_addrs))

    @classmethod
    def from_json(cls, obj: Any) -> BrokerData:
        obj = _object(obj, "BrokerData")
        addrs = _object(obj.get("brokerAddrs") or {}, "brokerAddrs")
        try:
            broker_addrs = {int(k): str(v) for k, v in addrs.items()}
        except ValueError:
            raise ProtocolError(f"brokerAddrs has a non-numeric id: {addrs!r}") from None
        return cls(
            cluster=_str(obj, "cluster") or "",
            broker_name=_str(obj, "brokerName") or "",
            broker_addrs=broker_addrs,
            zone_name=_str(obj, "zoneName"),
            enable_acting_master=_bool(obj, "enableActingMaster", False),
        )

    def to_json(self) -> dict:
        # Integer ids become quoted keys: standard JSON, which every client reads
        # (fastjson writes them unquoted unless asked for standard JSON).
        out: dict[str, Any] = {
            "brokerAddrs": dict(sorted(self.broker_addrs.items())),
            "brokerName": self.broker_name,
            "cluster": self.cluster,
            "enableActingMaster": self.enable_acting_master,
        }
        if self.zone_name is not None:
            out["zoneName"] = self.zone_name
        return out


@dataclass
class TopicRouteData:
    queue_datas: list[QueueData] = field(default_factory=list)
    broker_datas: list[BrokerData] = field(default_factory=list)
    filter_server_table: dict[str, list[str]] = field(default_factory=dict)
    order_topic_conf: str | None = None

    @classmethod
    def from_json(cls, obj: Any) -> TopicRouteData:
        obj = _object(obj, "TopicRouteData")
        queue_datas = obj.get("queueDatas") or []
        broker_datas = obj.get("brokerDatas") or []
        if not isinstance(queue_datas, list) or not isinstance(broker_datas, list):
            raise ProtocolError("queueDatas and brokerDatas must be JSON arrays")
        filters = _object(obj.get("filterServerTable") or {}, "filterServerTable")
        return cls(
            queue_datas=[QueueData.from_json(q) for q in queue_datas],
            broker_datas=[BrokerData.from_json(b) for b in broker_datas],
            filter_server_table={str(k): list(v or []) for k, v in filters.items()},
            order_topic_conf=_str(obj, "orderTopicConf"),
        )

    def to_json(self) -> dict:
        out: dict[str, Any] = {
            "brokerDatas": [b.to_json() for b in self.broker_datas],
            "filterServerTable": {k: list(v) for k, v in self.filter_server_table.items()},
            "queueDatas": [q.to_json() for q in self.queue_datas],
        }
        if self.order_topic_conf is not None:
            out["orderTopicConf"] = self.order_topic_conf
        return out
