"""RegisterBrokerBody and TopicConfig wire forms (plain JSON and compressed)."""

from __future__ import annotations

import struct
import zlib

import pytest

from rocketmq.common.topic import DataVersion, TopicConfig
from rocketmq.errors import ProtocolError
from rocketmq.namesrv.register_body import (
    RegisterBrokerBody,
    TopicConfigWrapper,
    decode_register_broker_body,
)
from rocketmq.namesrv.route_data import BrokerData, TopicRouteData

LIMIT = 1024 * 1024

# What a 5.3 broker's fastjson writes (spec §9), topic attributes included.
JAVA_BODY = (
    b'{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":7,'
    b'"stateVersion":2,"timestamp":1700000000123},"mappingDataVersion":{"counter":0,'
    b'"stateVersion":0,"timestamp":1700000000000},"topicConfigTable":{"TopicTest":{'
    b'"attributes":{"+message.type":"FIFO"},"order":true,"perm":6,"readQueueNums":8,'
    b'"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,'
    b'"writeQueueNums":8},"%RETRY%G":{"attributes":{},"order":false,"perm":6,'
    b'"readQueueNums":1,"topicFilterType":"SINGLE_TAG","topicName":"%RETRY%G",'
    b'"topicSysFlag":0,"writeQueueNums":1}},"topicQueueMappingDetailMap":{},'
    b'"topicQueueMappingInfoMap":{}}}'
)


def decode(body: bytes | None, compressed: bool = False, version: int = 479):
    return decode_register_broker_body(
        body, compressed=compressed, broker_version=version, inflated_size_max=LIMIT
    )


def test_java_json_body() -> None:
    result = decode(JAVA_BODY)
    wrapper = result.topic_config_wrapper
    assert wrapper.data_version == DataVersion(state_version=2, timestamp=1700000000123, counter=7)
    assert list(wrapper.topic_config_table) == ["TopicTest", "%RETRY%G"]
    topic = wrapper.topic_config_table["TopicTest"]
    assert topic == TopicConfig(
        "TopicTest",
        read_queue_nums=8,
        write_queue_nums=8,
        perm=6,
        order=True,
        attributes={"+message.type": "FIFO"},
    )
    assert result.filter_server_list == []


def test_missing_body_and_old_brokers() -> None:
    empty = decode(None)
    assert empty.topic_config_wrapper.data_version == DataVersion(0, 0, 0)
    assert empty.topic_config_wrapper.topic_config_table == {}
    # Before V3_0_11 the body is a bare TopicConfigSerializeWrapper.
    wrapper = b'{"dataVersion":{"counter":3,"timestamp":9},"topicConfigTable":{"T":{"perm":4}}}'
    old = decode(wrapper, version=30)
    assert old.topic_config_wrapper.data_version == DataVersion(0, 9, 3)
    assert old.topic_config_wrapper.topic_config_table["T"].perm == 4
    assert old.topic_config_wrapper.topic_config_table["T"].read_queue_nums == 16


def test_encode_decode_round_trip_both_forms() -> None:
    body = RegisterBrokerBody(
        TopicConfigWrapper(
            DataVersion(1, 1700000000000, 5),
            {
                "A": TopicConfig("A", 4, 2, 6, attributes={"k": "v"}),
                "B": TopicConfig("B", 1, 1, 4),
            },
        ),
        ["10.0.0.1:2000"],
    )
    plain = decode(body.encode())
    assert plain == body
    packed = decode(body.encode(compress=True), compressed=True)
    assert packed == body
    # The compressed form is a zlib stream, as java.util.zip.Deflater writes it.
    version = b'{"counter":5,"stateVersion":1,"timestamp":1700000000000}'
    inflated = zlib.decompress(body.encode(compress=True))
    assert inflated[: 4 + len(version)] == struct.pack(">i", len(version)) + version


def test_compressed_topic_lines_lose_sys_flag_and_order() -> None:
    config = TopicConfig("T", 3, 5, 6, topic_sys_flag=1, order=True, attributes={"a": "b"})
    assert config.encode() == 'T 3 5 6 SINGLE_TAG {"a":"b"}'
    assert TopicConfig.decode(config.encode()) == TopicConfig("T", 3, 5, 6, attributes={"a": "b"})
    assert TopicConfig.decode("T 1 1 6 SINGLE_TAG") == TopicConfig("T", 1, 1, 6)
    assert TopicConfig.decode("T 1 1 6 SINGLE_TAG  ") == TopicConfig("T", 1, 1, 6)
    # Attributes with spaces break the split; upstream drops them silently.
    assert TopicConfig.decode('T 1 1 6 SINGLE_TAG {"a":"b c"}').attributes == {}
    assert TopicConfig.decode("T 1 1 6") is None
    with pytest.raises(ProtocolError):
        TopicConfig.decode("T one 1 6 SINGLE_TAG")


def test_compressed_version_gates_the_mapping_section() -> None:
    raw = struct.pack(">i", 2) + b"{}" + struct.pack(">i", 0) + struct.pack(">i", 2) + b"[]"
    # A 4.x broker has no mapping section ...
    assert decode(zlib.compress(raw), compressed=True, version=409).filter_server_list == []
    # ... a 5.x broker has one and it must be there.
    with pytest.raises(ProtocolError, match="truncated"):
        decode(zlib.compress(raw), compressed=True, version=413)
    with_mapping = raw + struct.pack(">i", 1) + struct.pack(">i", 2) + b"{}"
    assert decode(zlib.compress(with_mapping), compressed=True, version=413) == RegisterBrokerBody()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\x78\x9c garbage", "does not inflate"),
        (zlib.compress(struct.pack(">i", 1000) + b"{}"), "truncated"),
        (zlib.compress(struct.pack(">i", -1)), "truncated"),
        (zlib.compress(struct.pack(">i", 2) + b"{}" + struct.pack(">i", -5)), "negative"),
        (zlib.compress(b"\0" * (LIMIT + 10)), "inflates past"),
    ],
)
def test_bad_compressed_bodies(body: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        decode(body, compressed=True)


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'{"topicConfigSerializeWrapper":[]}',
        b'{"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"perm":"x"}}}}',
        b'{"topicConfigSerializeWrapper":{"dataVersion":{"counter":true}}}',
        b'{"filterServerList":"10.0.0.1:2000"}',
    ],
)
def test_bad_json_bodies(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode(body)


def test_route_data_reads_fastjson_and_writes_standard_json() -> None:
    route = TopicRouteData.from_json(
        {
            "brokerDatas": [{"brokerAddrs": {"0": "a:1", "1": "b:1"}, "brokerName": "bn"}],
            "queueDatas": [{"brokerName": "bn", "perm": 6, "readQueueNums": 2}],
            "orderTopicConf": "bn:2",
        }
    )
    assert route.broker_datas == [BrokerData("", "bn", {0: "a:1", 1: "b:1"})]
    assert route.to_json()["brokerDatas"][0]["brokerAddrs"] == {0: "a:1", 1: "b:1"}
    assert route.to_json()["orderTopicConf"] == "bn:2"
    with pytest.raises(ProtocolError):
        BrokerData.from_json({"brokerAddrs": {"x": "a:1"}})
