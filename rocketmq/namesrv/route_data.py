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

NAMESPACE_ORDER_TOPIC_CONFIG = "ORDER_TOPIC_CONFIG"  # NamesrvUtil


@dataclass
class QueueData:
    broker_name: str
    read_queue_nums: int
    write_queue_nums: int
    perm: int
    topic_sys_flag: int = 0

    @classmethod
    def from_json(cls, obj: Any) -> QueueData:
        obj = json_body.as_object(obj, "QueueData")
        broker_name = json_body.get_str(obj, "brokerName")
        if not broker_name:
            raise ProtocolError("QueueData without brokerName")
        return cls(
            broker_name=broker_name,
            read_queue_nums=json_body.get_int(obj, "readQueueNums", 0),
            write_queue_nums=json_body.get_int(obj, "writeQueueNums", 0),
            perm=json_body.get_int(obj, "perm", 0),
            topic_sys_flag=json_body.get_int(obj, "topicSysFlag", 0),
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
        obj = json_body.as_object(obj, "BrokerData")
        addrs = json_body.as_object(obj.get("brokerAddrs") or {}, "brokerAddrs")
        try:
            broker_addrs = {int(k): str(v) for k, v in addrs.items()}
        except ValueError:
            raise ProtocolError(f"brokerAddrs has a non-numeric id: {addrs!r}") from None
        return cls(
            cluster=json_body.get_str(obj, "cluster") or "",
            broker_name=json_body.get_str(obj, "brokerName") or "",
            broker_addrs=broker_addrs,
            zone_name=json_body.get_str(obj, "zoneName"),
            enable_acting_master=json_body.get_bool(obj, "enableActingMaster", False),
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
        obj = json_body.as_object(obj, "TopicRouteData")
        queue_datas = obj.get("queueDatas") or []
        broker_datas = obj.get("brokerDatas") or []
        if not isinstance(queue_datas, list) or not isinstance(broker_datas, list):
            raise ProtocolError("queueDatas and brokerDatas must be JSON arrays")
        filters = json_body.as_object(obj.get("filterServerTable") or {}, "filterServerTable")
        return cls(
            queue_datas=[QueueData.from_json(q) for q in queue_datas],
            broker_datas=[BrokerData.from_json(b) for b in broker_datas],
            filter_server_table={str(k): list(v or []) for k, v in filters.items()},
            order_topic_conf=json_body.get_str(obj, "orderTopicConf"),
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
