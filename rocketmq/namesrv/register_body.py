"""RegisterBrokerBody: the body of REGISTER_BROKER, plain JSON or compressed.

Upstream: remoting/protocol/body/RegisterBrokerBody.java. The compressed form
(header ``compressed=true``) is a zlib stream of

    int32 len, DataVersion JSON
    int32 topicCount, then per topic: int32 len, TopicConfig#encode() text
    int32 len, filterServerList JSON
    (broker version >= V5_0_0) int32 mappingCount, per item: int32 len, JSON

with big-endian lengths. Static-topic mappings are read past and dropped.
"""

from __future__ import annotations

import logging
import struct
import zlib
from dataclasses import dataclass, field

from rocketmq.common import json_body
from rocketmq.common.topic import DataVersion, TopicConfig
from rocketmq.errors import ProtocolError

logger = logging.getLogger("rocketmq.namesrv")

VERSION_V3_0_11 = 37  # first version that sends RegisterBrokerBody
VERSION_V5_0_0 = 413  # compressed body gains the static-topic mapping section

_INT32 = struct.Struct(">i")


@dataclass
class TopicConfigWrapper:
    """TopicConfigSerializeWrapper: a broker's topic table and its version."""

    data_version: DataVersion = field(default_factory=DataVersion)
    topic_config_table: dict[str, TopicConfig] = field(default_factory=dict)

    @classmethod
    def from_json(cls, obj: object) -> TopicConfigWrapper:
        if not isinstance(obj, dict):
            raise ProtocolError("topicConfigSerializeWrapper is not a JSON object")
        version = obj.get("dataVersion")
        table = obj.get("topicConfigTable") or {}
        if not isinstance(table, dict):
            raise ProtocolError("topicConfigTable is not a JSON object")
        topics = {}
        for name, value in table.items():
            config = TopicConfig.from_json(value, name)
            topics[config.topic_name] = config
        return cls(
            data_version=DataVersion() if version is None else DataVersion.from_json(version),
            topic_config_table=topics,
        )

    def to_json(self) -> dict:
        return {
            "dataVersion": self.data_version.to_json(),
            "topicConfigTable": {
                name: config.to_json() for name, config in self.topic_config_table.items()
            },
        }


@dataclass
class RegisterBrokerBody:
    topic_config_wrapper: TopicConfigWrapper = field(default_factory=TopicConfigWrapper)
    filter_server_list: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "filterServerList": list(self.filter_server_list),
            "topicConfigSerializeWrapper": self.topic_config_wrapper.to_json(),
        }

    def encode(self, compress: bool = False) -> bytes:
        """The body as a broker sends it (RegisterBrokerBody#encode(compress))."""
        if not compress:
            return json_body.dumps(self.to_json())
        parts = []
        version = json_body.dumps(self.topic_config_wrapper.data_version.to_json())
        parts += [_INT32.pack(len(version)), version]
        topics = self.topic_config_wrapper.topic_config_table
        parts.append(_INT32.pack(len(topics)))
        for config in topics.values():
            text = config.encode().encode("utf-8")
            parts += [_INT32.pack(len(text)), text]
        filters = json_body.dumps(self.filter_server_list)
        parts += [_INT32.pack(len(filters)), filters, _INT32.pack(0)]  # no mappings
        return zlib.compress(b"".join(parts), 9)


def decode_register_broker_body(
    body: bytes | None,
    *,
    compressed: bool,
    broker_version: int,
    inflated_size_max: int,
) -> RegisterBrokerBody:
    """Decode a REGISTER_BROKER body. Raises ProtocolError when it is malformed.

    No body means an empty topic table with DataVersion 0/0/0 (upstream).
    Brokers older than V3_0_11 send a bare TopicConfigSerializeWrapper.
    """
    if not body:
        return RegisterBrokerBody()
    if broker_version < VERSION_V3_0_11:
        return RegisterBrokerBody(TopicConfigWrapper.from_json(json_body.loads(body)))
    if not compressed and _looks_like_zlib(body):
        # 5.x BrokerOuterAPI#registerBrokerAll compresses the body when
        # compressedRegister=true yet always sends header compressed=false.
        logger.debug("REGISTER_BROKER body is zlib although the header says uncompressed")
        compressed = True
    if compressed:
        return _decode_compressed(body, broker_version, inflated_size_max)
    obj = json_body.loads(body)
    if not isinstance(obj, dict):
        raise ProtocolError("RegisterBrokerBody is not a JSON object")
    wrapper = obj.get("topicConfigSerializeWrapper")
    filters = obj.get("filterServerList") or []
    if not isinstance(filters, list):
        raise ProtocolError("filterServerList is not a JSON array")
    return RegisterBrokerBody(
        topic_config_wrapper=(
            TopicConfigWrapper() if wrapper is None else TopicConfigWrapper.from_json(wrapper)
        ),
        filter_server_list=[str(f) for f in filters],
    )


def _looks_like_zlib(body: bytes) -> bool:
    # RFC 1950: CMF 0x78 (deflate, 32 KiB window) and (CMF*256 + FLG) % 31 == 0.
    # JSON never starts with 0x78 ('x').
    return len(body) >= 2 and body[0] == 0x78 and ((body[0] << 8) | body[1]) % 31 == 0


def _decode_compressed(
    body: bytes, broker_version: int, inflated_size_max: int
) -> RegisterBrokerBody:
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(body, inflated_size_max + 1)
    except zlib.error as exc:
        raise ProtocolError(f"compressed RegisterBrokerBody does not inflate: {exc}") from None
    if len(data) > inflated_size_max:
        raise ProtocolError(f"RegisterBrokerBody inflates past {inflated_size_max} bytes")
    reader = _Reader(data)
    result = RegisterBrokerBody()
    wrapper = result.topic_config_wrapper
    wrapper.data_version = DataVersion.from_json(json_body.loads(reader.chunk()))
    topic_count = reader.int32()
    if topic_count < 0:
        raise ProtocolError(f"negative topic count {topic_count}")
    for _ in range(topic_count):
        config = TopicConfig.decode(reader.chunk().decode("utf-8", errors="replace"))
        if config is not None:
            wrapper.topic_config_table[config.topic_name] = config
    filters = json_body.loads(reader.chunk())
    if isinstance(filters, list):  # upstream logs and carries on otherwise
        result.filter_server_list = [str(f) for f in filters]
    if broker_version >= VERSION_V5_0_0:
        mapping_count = reader.int32()
        for _ in range(max(0, mapping_count)):
            reader.chunk()  # TopicQueueMappingInfo JSON: static topics unsupported
    return result


class _Reader:
    __slots__ = ("_data", "_offset")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._offset = 0

    def int32(self) -> int:
        if self._offset + 4 > len(self._data):
            raise ProtocolError("compressed RegisterBrokerBody is truncated")
        (value,) = _INT32.unpack_from(self._data, self._offset)
        self._offset += 4
        return value

    def chunk(self) -> bytes:
        length = self.int32()
        end = self._offset + length
        if length < 0 or end > len(self._data):
            raise ProtocolError("compressed RegisterBrokerBody is truncated")
        chunk = self._data[self._offset : end]
        self._offset = end
        return chunk
