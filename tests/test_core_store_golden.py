"""The store codecs against golden files written by the Java store (rocketmq-store 5.3.3).

Only reads tests/data/store (see its README.md); regenerating needs Java and
Maven:

    .venv/bin/python -c 'from tests.interop import harness; harness.ensure_built("storefmt")'
    cd tests/interop/java/storefmt
    java -cp 'target/classes:target/lib/*' io.cyrocketmq.interop.storefmt.GoldenStore \\
        ../../../data/store

Runs on whichever twin the core switch selects (ROCKETMQ_PUREPYTHON).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rocketmq._core as core

if core.IMPLEMENTATION == "python":  # the same choice as rocketmq._core's switch
    from rocketmq._core._pure import message, storefmt
else:
    from rocketmq._core import message, storefmt

DATA = Path(__file__).parent / "data" / "store"
MANIFEST = json.loads((DATA / "manifest.json").read_text("ascii"))
RECORDS = MANIFEST["records"]
RECORD_IDS = [record["name"] for record in RECORDS]


def _read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def _host(host: dict) -> tuple[bytes, int]:
    return bytes.fromhex(host["ip"]), host["port"]


def _encode_kwargs(given: dict) -> dict:
    return {
        "queue_id": given["queue_id"],
        "flag": given["flag"],
        "queue_offset": given["queue_offset"],
        "physical_offset": given["physical_offset"],
        "sys_flag": given["sys_flag"],
        "born_timestamp": given["born_timestamp"],
        "born_host": _host(given["born_host"]),
        "store_timestamp": given["store_timestamp"],
        "store_host": _host(given["store_host"]),
        "reconsume_times": given["reconsume_times"],
        "prepared_transaction_offset": given["prepared_transaction_offset"],
        "body": bytes.fromhex(given["body"]),
        "topic": given["topic"].encode("utf-8"),
        "properties": bytes.fromhex(given["properties_utf8"]),
    }


def test_manifest_is_from_the_expected_java_version() -> None:
    assert MANIFEST["rocketmq_version"] == "5.3.3"
    assert len(RECORDS) >= 10
    total = sum(path.stat().st_size for path in DATA.iterdir())
    assert total < 200 * 1024


@pytest.mark.parametrize("record", RECORDS, ids=RECORD_IDS)
def test_encode_record_matches_java_byte_for_byte(record: dict) -> None:
    expected = _read(record["file"])
    kwargs = _encode_kwargs(record["input"])
    assert message.encode_record_bytes(**kwargs) == expected
    buffer = bytearray(len(expected) + 13)
    assert message.encode_record(buffer, 13, **kwargs) == len(expected)
    assert bytes(buffer[13:]) == expected
    given = record["input"]
    assert (
        record["size"]
        == len(expected)
        == message.record_size(
            len(kwargs["body"]),
            len(kwargs["topic"]),
            len(kwargs["properties"]),
            bool(given["sys_flag"] & message.BORNHOST_V6),
            bool(given["sys_flag"] & message.STOREHOST_V6),
            len(kwargs["topic"]) > 127,
        )
    )


@pytest.mark.parametrize("record", RECORDS, ids=RECORD_IDS)
def test_decode_record_reads_what_java_reads(record: dict) -> None:
    data = _read(record["file"])
    java = record["java"]
    decoded = message.decode_record(data, 0, check_crc=True)
    assert decoded.total_size == java["total_size"] == len(data)
    assert decoded.magic == record["magic"]
    assert decoded.body_crc == java["body_crc"]
    assert decoded.queue_id == java["queue_id"]
    assert decoded.flag == java["flag"]
    assert decoded.queue_offset == java["queue_offset"]
    assert decoded.physical_offset == java["physical_offset"]
    assert decoded.sys_flag == java["sys_flag"]
    assert decoded.born_timestamp == java["born_timestamp"]
    assert decoded.born_host == _host(java["born_host"])
    assert decoded.store_timestamp == java["store_timestamp"]
    assert decoded.store_host == _host(java["store_host"])
    assert decoded.reconsume_times == java["reconsume_times"]
    assert decoded.prepared_transaction_offset == java["prepared_transaction_offset"]
    assert decoded.body == bytes.fromhex(java["body"])
    assert decoded.topic == java["topic"]
    assert decoded.properties == record["input"]["properties"]
    assert decoded.properties_dict() == java["properties"]
    assert decoded.msg_id == java["msg_id"]
    assert decoded.born_host_str == java["born_host_str"]
    assert decoded.store_host_str == java["store_host_str"]
    assert decoded.tags == java["properties"].get("TAGS")
    assert decoded.uniq_key == java["properties"].get("UNIQ_KEY")
    expected_keys = java["keys"].split(" ") if java["keys"] else []
    assert decoded.keys == [key for key in expected_keys if key]
    assert message.check_record(data, 0, len(data), True) == (message.RECORD_OK, len(data))
    assert message.offset_msg_id(decoded.store_host, decoded.physical_offset) == java["msg_id"]
    assert message.decode_offset_msg_id(java["msg_id"]) == (
        decoded.store_host[0],
        decoded.store_host[1],
        decoded.physical_offset,
    )


def test_segment_scan_matches_the_java_layout() -> None:
    segment = _read("segment.bin")
    layout = MANIFEST["segment"]
    by_name = {record["name"]: record for record in RECORDS}
    records, status, position, size = message.scan_records(segment, 0, len(segment), True)
    assert [r.position for r in records] == [p["position"] for p in layout["records"]]
    assert [r.total_size for r in records] == [p["size"] for p in layout["records"]]
    assert (status, position, size) == (message.RECORD_BLANK, layout["blank_position"], 0)
    for placed, dispatched in zip(layout["records"], records, strict=True):
        java = by_name[placed["name"]]["java"]
        assert dispatched.physical_offset == layout["file_from_offset"] + placed["position"]
        assert dispatched.physical_offset == java["physical_offset"]
        assert dispatched.queue_id == java["queue_id"]
        assert dispatched.queue_offset == java["queue_offset"]
        assert dispatched.sys_flag == java["sys_flag"]
        assert dispatched.store_timestamp == java["store_timestamp"]
        assert dispatched.prepared_transaction_offset == java["prepared_transaction_offset"]
        assert dispatched.topic == java["topic"]
        assert dispatched.tags_code == java["tags_code"]
        assert dispatched.keys == java["properties"].get("KEYS")
        assert dispatched.uniq_key == java["properties"].get("UNIQ_KEY")
        assert dispatched.properties == by_name[placed["name"]]["input"]["properties"]


def test_segment_is_rebuilt_by_our_encoder() -> None:
    segment = _read("segment.bin")
    layout = MANIFEST["segment"]
    by_name = {record["name"]: record for record in RECORDS}
    rebuilt = bytearray(layout["size"])
    position = 0
    for placed in layout["records"]:
        kwargs = _encode_kwargs(by_name[placed["name"]]["input"])
        position += message.encode_record(rebuilt, position, **kwargs)
    assert position == layout["blank_position"]
    message.encode_blank(rebuilt, position, len(rebuilt) - position)
    assert bytes(rebuilt) == segment
    assert message.check_record(segment, position, len(segment)) == (message.RECORD_BLANK, 0)


@pytest.mark.parametrize("entry", MANIFEST["hashes"], ids=lambda entry: repr(entry["text"][:20]))
def test_string_hashes_match_java(entry: dict) -> None:
    text = entry["text"]
    assert storefmt.java_string_hash(text) == entry["hash"]
    assert storefmt.tags_hash(text) == entry["tags_code"]
    assert storefmt.index_key_hash(text) == entry["index_key_hash"]


@pytest.mark.parametrize("index", MANIFEST["index_files"], ids=lambda index: index["file"])
def test_index_file_puts_replay_byte_for_byte(index: dict) -> None:
    expected = _read(index["file"])
    slot_num, index_num = index["slot_num"], index["index_num"]
    assert storefmt.index_file_size(slot_num, index_num) == len(expected)
    buffer = bytearray(len(expected))
    # IndexFile's constructor writes the previous file's end into begin/end.
    begin_offset = index["end_phy_offset"] if index["end_phy_offset"] > 0 else 0
    begin_time = index["end_timestamp"] if index["end_timestamp"] > 0 else 0
    storefmt.IndexHeader(begin_time, begin_time, begin_offset, begin_offset).pack_into(buffer)
    results = [
        storefmt.index_put(buffer, slot_num, index_num, key, offset, timestamp)
        for key, offset, timestamp, _ in index["puts"]
    ]
    assert results == [ok for *_, ok in index["puts"]]
    assert bytes(buffer) == expected


@pytest.mark.parametrize("index", MANIFEST["index_files"], ids=lambda index: index["file"])
def test_index_file_lookups_match_java(index: dict) -> None:
    data = _read(index["file"])
    for query in index["lookups"]:
        found = storefmt.index_lookup(
            data,
            index["slot_num"],
            index["index_num"],
            storefmt.index_key_hash(query["key"]),
            query["begin"],
            query["end"],
            query["max_num"],
        )
        assert found == query["offsets"], query
    header = storefmt.IndexHeader.unpack(data)
    accepted = [put for put in index["puts"] if put[3]]
    assert header.index_count == len(accepted) + 1
    assert header.end_phy_offset == accepted[-1][1]
    assert header.end_timestamp == accepted[-1][2]
    assert header.begin_phy_offset == accepted[0][1]
    assert header.begin_timestamp == accepted[0][2]


def test_batch_body_matches_java() -> None:
    body = _read("batch.bin")
    expected = [
        (item["flag"], bytes.fromhex(item["body"]), item["properties"])
        for item in MANIFEST["batch"]["messages"]
    ]
    assert message.decode_batch_body(body) == expected
    assert message.encode_batch_body(expected) == body


def test_properties_string_round_trips_java_strings() -> None:
    for record in RECORDS:
        text = record["input"]["properties"]
        parsed = message.string_to_properties(text)
        assert parsed == record["java"]["properties"]
        assert message.properties_to_string(parsed) == text
    for item in MANIFEST["batch"]["messages"]:
        parsed = message.string_to_properties(item["properties"])
        assert message.properties_to_string(parsed) == item["properties"]


def test_checkpoint_matches_java() -> None:
    data = _read("checkpoint.bin")
    values = MANIFEST["checkpoint"]["values"]
    assert message is not None
    assert storefmt.unpack_checkpoint(data) == tuple(values)
    assert storefmt.pack_checkpoint(*values) == data
    assert len(data) == storefmt.CHECKPOINT_SIZE
