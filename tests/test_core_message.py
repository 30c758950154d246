"""CommitLog record codec (rocketmq._core.message): round trips, limits, corruption.

Runs on whichever twin the core switch selects (ROCKETMQ_PUREPYTHON).
"""

from __future__ import annotations

import mmap
import random
import struct
import zlib

import pytest

import rocketmq._core as core
from rocketmq.errors import ProtocolError

if core.IMPLEMENTATION == "python":  # the same choice as rocketmq._core's switch
    from rocketmq._core._pure import message, storefmt
else:
    from rocketmq._core import message, storefmt

V4 = (b"\x7f\x00\x00\x01", 54321)
V4_STORE = (b"\xc0\xa8\x01\x0a", 10911)
V6 = (bytes(range(1, 17)), 40000)
V6_STORE = (bytes.fromhex("fe80000000000000000a000b000c000d"), 10911)


def fields(**overrides) -> dict:
    base = {
        "queue_id": 3,
        "flag": 0,
        "queue_offset": 42,
        "physical_offset": 1 << 30,
        "sys_flag": 0,
        "born_timestamp": 1_700_000_000_000,
        "born_host": V4,
        "store_timestamp": 1_700_000_000_005,
        "store_host": V4_STORE,
        "reconsume_times": 0,
        "prepared_transaction_offset": 0,
        "body": b"Hello RocketMQ",
        "topic": b"TopicTest",
        "properties": b"TAGS\x01TagA\x02KEYS\x01k1  k2\x02UNIQ_KEY\x01U1\x02",
    }
    base.update(overrides)
    return base


def record(**overrides) -> bytes:
    return message.encode_record_bytes(**fields(**overrides))


# -- constants and CRC ------------------------------------------------------------


def test_constants_match_java() -> None:
    assert message.MAGIC_V1 == struct.unpack(">i", bytes.fromhex("daa320a7"))[0]
    assert message.MAGIC_V2 == struct.unpack(">i", bytes.fromhex("daa320ab"))[0]
    assert message.BLANK_MAGIC == struct.unpack(">i", bytes.fromhex("cbd43194"))[0]
    assert (message.COMPRESSED, message.MULTI_TAGS) == (1, 2)
    assert message.TRANSACTION_NOT_TYPE == 0
    assert message.TRANSACTION_PREPARED_TYPE == 4
    assert message.TRANSACTION_COMMIT_TYPE == 8
    assert message.TRANSACTION_ROLLBACK_TYPE == message.TRANSACTION_TYPE_MASK == 0xC
    assert (message.BORNHOST_V6, message.STOREHOST_V6) == (0x10, 0x20)
    assert (message.PROPERTY_SEPARATOR, message.NAME_VALUE_SEPARATOR) == ("\x02", "\x01")
    assert message.MAX_PROPERTIES_SIZE == 32767
    assert (message.RECORD_OK, message.RECORD_BLANK) == (0, 1)
    assert (message.RECORD_CORRUPT, message.RECORD_END) == (2, 3)


@pytest.mark.parametrize("size", [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 1000, 4097])
def test_crc32_matches_zlib(size: int) -> None:
    data = random.Random(size).randbytes(size)
    assert message.crc32(data) == zlib.crc32(data)
    assert message.crc32(bytearray(data)) == zlib.crc32(data)
    assert message.crc32(memoryview(data)) == zlib.crc32(data)
    assert message.body_crc(data) == zlib.crc32(data) & 0x7FFFFFFF
    if size > 3:
        assert message.crc32(data, 1, size - 2) == zlib.crc32(data[1 : size - 2])
        assert message.crc32(data, 2) == zlib.crc32(data[2:])


def test_crc32_known_value_and_ranges() -> None:
    assert message.crc32(b"123456789") == 0xCBF43926
    assert message.crc32(b"abc", 3) == 0
    for start, end in ((-1, None), (2, 1), (0, 4)):
        with pytest.raises(ValueError):
            message.crc32(b"abc", start, end)
    with pytest.raises(TypeError):
        message.crc32("text")


def test_crc32_reads_mmap() -> None:
    with mmap.mmap(-1, 4096) as mapped:
        mapped[:5] = b"hello"
        assert message.crc32(mapped, 0, 5) == zlib.crc32(b"hello")
        assert message.body_crc(mapped) == zlib.crc32(b"hello" + bytes(4091)) & 0x7FFFFFFF


# -- sizes and encoding --------------------------------------------------------------


def test_record_size() -> None:
    assert message.record_size(0, 0, 0) == 91
    assert message.record_size(10, 9, 5) == 115
    assert message.record_size(0, 0, 0, True) == 103
    assert message.record_size(0, 0, 0, True, True) == 115
    assert message.record_size(0, 200, 0, topic_v2=True) == 292
    with pytest.raises(ValueError):
        message.record_size(-1, 0, 0)
    with pytest.raises(TypeError):
        message.record_size(1.5, 0, 0)


def test_round_trip_every_field() -> None:
    kwargs = fields(
        queue_id=-5,
        flag=-(1 << 31),
        queue_offset=(1 << 63) - 1,
        physical_offset=-(1 << 63),
        sys_flag=message.TRANSACTION_COMMIT_TYPE | message.COMPRESSED,
        born_timestamp=-1,
        store_timestamp=(1 << 63) - 1,
        reconsume_times=(1 << 31) - 1,
        prepared_transaction_offset=123456789,
        body=bytes(range(256)),
    )
    data = message.encode_record_bytes(**kwargs)
    decoded = message.decode_record(data, 0, check_crc=True)
    for name in (
        "queue_id",
        "flag",
        "queue_offset",
        "physical_offset",
        "sys_flag",
        "born_timestamp",
        "born_host",
        "store_timestamp",
        "store_host",
        "reconsume_times",
        "prepared_transaction_offset",
        "body",
    ):
        assert getattr(decoded, name) == kwargs[name], name
    assert decoded.topic == "TopicTest"
    assert decoded.properties == kwargs["properties"].decode()
    assert decoded.total_size == len(data)
    assert decoded.magic == message.MAGIC_V1
    assert decoded.body_crc == zlib.crc32(bytes(range(256))) & 0x7FFFFFFF
    assert decoded.tags == "TagA"
    assert decoded.keys == ["k1", "k2"]
    assert decoded.uniq_key == "U1"
    assert decoded.properties_dict() == {"TAGS": "TagA", "KEYS": "k1  k2", "UNIQ_KEY": "U1"}
    assert decoded.born_host_str == "127.0.0.1:54321"
    assert decoded.store_host_str == "192.168.1.10:10911"
    assert decoded.msg_id == message.offset_msg_id(V4_STORE, -(1 << 63))
    assert decoded == message.decode_record(data, 0)
    assert "TopicTest" in repr(decoded)
    with pytest.raises(AttributeError):
        decoded.topic = "x"  # type: ignore[misc]


def test_layout_offsets_of_an_ipv4_record() -> None:
    data = record(body=b"xyz", properties=b"")
    (total, magic, crc, queue_id, flag, queue_offset, physical_offset, sys_flag, born) = (
        struct.unpack_from(">iiiiiqqiq", data)
    )
    assert (total, magic, queue_id, flag) == (len(data), message.MAGIC_V1, 3, 0)
    assert crc == zlib.crc32(b"xyz") & 0x7FFFFFFF
    assert (queue_offset, physical_offset, sys_flag) == (42, 1 << 30, 0)
    assert born == 1_700_000_000_000
    assert data[48:56] == V4[0] + struct.pack(">i", V4[1])
    assert struct.unpack_from(">q", data, 56)[0] == 1_700_000_000_005
    assert struct.unpack_from(">i", data, 84)[0] == 3
    assert data[88:91] == b"xyz"
    assert data[91] == 9 and data[92:101] == b"TopicTest"
    assert data[101:103] == b"\x00\x00" and len(data) == 103


@pytest.mark.parametrize(
    ("born", "store", "sys_flag", "width"),
    [
        (V4, V4_STORE, 0, 0),
        (V6, V4_STORE, 0x10, 12),
        (V4, V6_STORE, 0x20, 12),
        (V6, V6_STORE, 0x30, 24),
    ],
)
def test_ipv6_widths(born, store, sys_flag, width) -> None:
    data = record(born_host=born, store_host=store, sys_flag=sys_flag, properties=b"")
    assert len(data) == 91 + 14 + 9 + width
    decoded = message.decode_record(data, 0)
    assert decoded.born_host == born and decoded.store_host == store
    assert decoded.msg_id == message.offset_msg_id(store, 1 << 30)
    assert len(decoded.msg_id) == (56 if store is V6_STORE else 32)


def test_host_width_must_agree_with_sys_flag() -> None:
    with pytest.raises(ValueError):
        record(born_host=V6)
    with pytest.raises(ValueError):
        record(store_host=V6_STORE)
    with pytest.raises(ValueError):
        record(sys_flag=0x10)
    with pytest.raises(ValueError):
        record(born_host=(b"\x01\x02\x03", 1))
    with pytest.raises(ValueError):
        record(born_host=(b"\x01\x02\x03\x04", 70000))
    with pytest.raises(TypeError):
        record(born_host=("1.2.3.4", 1))
    with pytest.raises(ValueError):
        record(born_host=(b"\x01\x02\x03\x04",))


def test_host_strings_like_java() -> None:
    data = record(born_host=V6, store_host=V6_STORE, sys_flag=0x30)
    decoded = message.decode_record(data, 0)
    assert decoded.born_host_str == "[102:304:506:708:90a:b0c:d0e:f10]:40000"
    assert decoded.store_host_str == "[fe80:0:0:0:a:b:c:d]:10911"
    mapped = (bytes(10) + b"\xff\xff" + b"\x0a\x00\x00\x01", 7)
    decoded = message.decode_record(record(born_host=mapped, sys_flag=0x10), 0)
    assert decoded.born_host_str == "10.0.0.1:7"  # Java turns IPv4-mapped into Inet4Address


def test_magic_v2_above_127_topic_bytes() -> None:
    short = message.decode_record(record(topic=b"t" * 127), 0)
    assert short.magic == message.MAGIC_V1 and short.topic == "t" * 127
    data = record(topic=b"t" * 128)
    long = message.decode_record(data, 0)
    assert long.magic == message.MAGIC_V2 and long.topic == "t" * 128
    assert len(data) == message.record_size(14, 128, len(fields()["properties"]), topic_v2=True)
    assert message.decode_record(record(topic=b"t" * 32767), 0).topic == "t" * 32767
    with pytest.raises(ValueError):
        record(topic=b"t" * 32768)


def test_properties_limit() -> None:
    exact = b"k\x01" + b"v" * 32764 + b"\x02"
    assert len(exact) == message.MAX_PROPERTIES_SIZE
    assert message.decode_record(record(properties=exact), 0).properties_dict()["k"] == "v" * 32764
    with pytest.raises(ValueError):
        record(properties=exact + b"x")


def test_integer_ranges() -> None:
    with pytest.raises(OverflowError):
        record(queue_id=1 << 31)
    with pytest.raises(OverflowError):
        record(queue_offset=1 << 63)
    with pytest.raises(OverflowError):
        record(body_crc=1 << 31)
    with pytest.raises(TypeError):
        record(flag=1.0)
    with pytest.raises(TypeError):
        record(body="text")
    with pytest.raises(TypeError):
        record(topic="TopicTest")


def test_explicit_body_crc_is_written_as_given() -> None:
    decoded = message.decode_record(record(body_crc=-7), 0)
    assert decoded.body_crc == -7
    with pytest.raises(ProtocolError):
        message.decode_record(record(body_crc=-7), 0, check_crc=True)


def test_encode_into_buffers() -> None:
    expected = record()
    size = len(expected)
    target = bytearray(size + 10)
    assert message.encode_record(target, 10, **fields()) == size
    assert bytes(target[10:]) == expected
    view = memoryview(bytearray(size))
    message.encode_record(view, 0, **fields())
    assert view.tobytes() == expected
    with mmap.mmap(-1, 4096) as mapped:
        assert message.encode_record(mapped, 100, **fields()) == size
        assert mapped[100 : 100 + size] == expected
        mapped.close()  # no buffer export may outlive the call
    with pytest.raises(TypeError):
        message.encode_record(bytes(size), 0, **fields())
    with pytest.raises(TypeError):
        message.encode_record(memoryview(bytearray(size)).toreadonly(), 0, **fields())
    for position in (-1, 1, size + 1):
        with pytest.raises(ValueError):
            message.encode_record(bytearray(size), position, **fields())


def test_empty_body_topic_and_properties() -> None:
    data = record(body=b"", topic=b"", properties=b"")
    assert len(data) == 91
    decoded = message.decode_record(data, 0, check_crc=True)
    assert (decoded.body, decoded.topic, decoded.properties) == (b"", "", "")
    assert decoded.body_crc == 0
    assert (decoded.tags, decoded.keys, decoded.uniq_key) == (None, [], None)


def test_encode_blank() -> None:
    buffer = bytearray(100)
    message.encode_blank(buffer, 60, 40)
    assert struct.unpack_from(">ii", buffer, 60) == (40, message.BLANK_MAGIC)
    assert message.check_record(buffer, 60, 100) == (message.RECORD_BLANK, 0)
    with pytest.raises(ValueError):
        message.encode_blank(buffer, 60, 41)
    with pytest.raises(ValueError):
        message.encode_blank(buffer, 95, 7)
    with pytest.raises(TypeError):
        message.encode_blank(bytes(100), 0, 100)


# -- check_record / decode_record -----------------------------------------------------------


def test_check_record_statuses() -> None:
    data = record()
    size = len(data)
    assert message.check_record(data, 0, size) == (message.RECORD_OK, size)
    assert message.check_record(data, size, size) == (message.RECORD_END, 0)
    assert message.check_record(bytes(100), 0, 100) == (message.RECORD_END, 0)
    assert message.check_record(bytes(5), 0, 5) == (message.RECORD_END, 0)
    assert message.check_record(b"\x00\x00\x01", 0, 3) == (message.RECORD_CORRUPT, -1)
    bad_magic = data[:4] + b"\x00\x00\x00\x01" + data[8:]
    assert message.check_record(bad_magic, 0, size) == (message.RECORD_CORRUPT, -1)
    # Declared size past the limit: Java's "remaining < totalSize" failure.
    assert message.check_record(data, 0, size - 1) == (message.RECORD_CORRUPT, -1)
    # Zero TOTALSIZE with a valid magic is corrupt, not the end of data.
    zero_total = b"\x00" * 4 + data[4:]
    assert message.check_record(zero_total, 0, size) == (message.RECORD_CORRUPT, -1)
    # Field lengths disagreeing with a plausible TOTALSIZE: size = TOTALSIZE.
    longer = struct.pack(">i", size + 4) + data[4:] + b"\x00" * 4
    assert message.check_record(longer, 0, size + 4) == (message.RECORD_CORRUPT, size + 4)
    with pytest.raises(ValueError):
        message.check_record(data, 0, size + 1)
    with pytest.raises(ValueError):
        message.check_record(data, 5, 4)


def test_check_record_crc() -> None:
    data = bytearray(record(body=b"payload"))
    body_at = 88
    data[body_at] ^= 0x01
    assert message.check_record(data, 0, len(data), True) == (message.RECORD_CORRUPT, -1)
    assert message.check_record(data, 0, len(data), False) == (message.RECORD_OK, len(data))
    # Java checks the CRC only for a non-empty body.
    empty = record(body=b"", body_crc=12345)
    assert message.check_record(empty, 0, len(empty), True) == (message.RECORD_OK, len(empty))


def test_check_record_every_truncation_and_corruption_never_raises() -> None:
    data = record(born_host=V6, sys_flag=0x10, topic=b"T" * 130)
    size = len(data)
    body_end = 88 + 12 + len(b"Hello RocketMQ")
    statuses = set()
    for cut in range(size):
        status, length = message.check_record(data, 0, cut)
        assert status in (message.RECORD_CORRUPT, message.RECORD_END)
        statuses.add(status)
        if cut < body_end:
            # Zeros over the header or body: a length or the CRC disagrees.
            padded = data[:cut] + bytes(size - cut)
            assert message.check_record(padded, 0, size)[0] != message.RECORD_OK
    assert statuses == {message.RECORD_CORRUPT, message.RECORD_END}
    rng = random.Random(7)
    for position in range(size):
        for _ in range(3):
            damaged = bytearray(data)
            damaged[position] ^= 1 << rng.randrange(8)
            status, length = message.check_record(damaged, 0, size, True)
            assert status in (message.RECORD_OK, message.RECORD_CORRUPT, message.RECORD_BLANK)
            if status == message.RECORD_OK:
                # Only fields that are not covered by a length or the CRC.
                assert length == size
                assert message.decode_record(damaged, 0).total_size == size
            elif status == message.RECORD_CORRUPT:
                assert length == -1 or length > 0
                with pytest.raises(ProtocolError):
                    message.decode_record(damaged, 0, check_crc=True)


def test_check_record_on_garbage_never_raises() -> None:
    rng = random.Random(11)
    for _ in range(2000):
        garbage = rng.randbytes(rng.randrange(0, 200))
        if len(garbage) >= 8 and rng.random() < 0.5:
            magic = rng.choice((message.MAGIC_V1, message.MAGIC_V2, message.BLANK_MAGIC))
            total = rng.choice((len(garbage), rng.randrange(-5, 300)))
            garbage = struct.pack(">ii", total, magic) + garbage[8:]
        status, size = message.check_record(garbage, 0, len(garbage), True)
        assert status in (0, 1, 2, 3)
        if status == message.RECORD_OK:
            assert 0 < size <= len(garbage)


def test_decode_record_errors() -> None:
    blank = bytearray(16)
    message.encode_blank(blank, 0, 16)
    for data in (bytes(100), bytes(blank), b"\x01" * 100, record()[:-1]):
        with pytest.raises(ProtocolError):
            message.decode_record(data, 0)
    with pytest.raises(ValueError):
        message.decode_record(record(), -1)
    decoded = message.decode_record(record(), 0, read_body=False)
    assert decoded.body is None and decoded.topic == "TopicTest"


def test_decode_replaces_invalid_utf8() -> None:
    decoded = message.decode_record(record(topic=b"T\xff", properties=b"a\x01\xfe\x02"), 0)
    assert decoded.topic == "T\ufffd"
    assert decoded.properties_dict() == {"a": "\ufffd"}


# -- scan_records ------------------------------------------------------------------------


def segment_of(records: list[bytes], size: int, blank: bool) -> bytearray:
    buffer = bytearray(size)
    position = 0
    for data in records:
        buffer[position : position + len(data)] = data
        position += len(data)
    if blank:
        message.encode_blank(buffer, position, size - position)
    return buffer


def test_scan_records_walks_to_the_blank() -> None:
    records = [
        record(topic=b"A", queue_offset=0, properties=b"TAGS\x01x\x02"),
        record(topic=b"A", queue_offset=1, properties=b""),
        record(topic=b"B" * 200, queue_offset=2, properties=b"KEYS\x01a b\x02UNIQ_KEY\x01u\x02"),
        record(topic=b"A", queue_offset=3, born_host=V6, sys_flag=0x10),
    ]
    buffer = segment_of(records, 2048, blank=True)
    found, status, position, size = message.scan_records(buffer, 0, len(buffer), True)
    assert (status, size) == (message.RECORD_BLANK, 0)
    assert position == sum(len(r) for r in records)
    assert [r.topic for r in found] == ["A", "A", "B" * 200, "A"]
    assert [r.queue_offset for r in found] == [0, 1, 2, 3]
    assert [r.tags_code for r in found] == [storefmt.tags_hash("x"), 0, 0, 2598919]
    assert [r.keys for r in found] == [None, None, "a b", "k1  k2"]
    assert [r.uniq_key for r in found] == [None, None, "u", "U1"]
    assert found[1].properties == "" and found[3].sys_flag == 0x10
    assert found[0].position == 0 and found[1].position == len(records[0])
    assert all(
        r.physical_offset == 1 << 30 and r.store_timestamp == 1_700_000_000_005 for r in found
    )
    assert found[0] == message.scan_records(buffer, 0, len(buffer), False)[0][0]
    with pytest.raises(AttributeError):
        found[0].topic = "x"  # type: ignore[misc]


def test_scan_records_stopping_rules() -> None:
    records = [record(queue_offset=i) for i in range(5)]
    size = len(records[0])
    buffer = segment_of(records, 5 * size + 50, blank=False)
    found, status, position, length = message.scan_records(buffer, 0, len(buffer), False)
    assert (len(found), status, position, length) == (5, message.RECORD_END, 5 * size, 0)
    # max_records: OK status, continue from position.
    found, status, position, length = message.scan_records(buffer, 0, len(buffer), False, 2)
    assert (len(found), status, position, length) == (2, message.RECORD_OK, 2 * size, 0)
    found, status, position, _ = message.scan_records(buffer, position, len(buffer), False, 2)
    assert [r.queue_offset for r in found] == [2, 3]
    # A limit inside a record: that record is corrupt (runs past the limit).
    found, status, position, length = message.scan_records(buffer, 0, 3 * size - 1, False)
    assert (len(found), status, position, length) == (2, message.RECORD_CORRUPT, 2 * size, -1)
    # A limit exactly at a boundary: the end.
    found, status, position, length = message.scan_records(buffer, 0, 3 * size, False)
    assert (len(found), status, position) == (3, message.RECORD_END, 3 * size)
    # A CRC error stops only a CRC-checking scan.
    buffer[2 * size + 90] ^= 0xFF
    found, status, position, length = message.scan_records(buffer, 0, len(buffer), True)
    assert (len(found), status, position, length) == (2, message.RECORD_CORRUPT, 2 * size, -1)
    assert len(message.scan_records(buffer, 0, len(buffer), False)[0]) == 5
    with pytest.raises(ValueError):
        message.scan_records(buffer, 0, len(buffer), False, 0)
    with pytest.raises(ValueError):
        message.scan_records(buffer, 0, len(buffer) + 1, False)


def test_scan_records_on_garbage_never_raises() -> None:
    rng = random.Random(5)
    base = segment_of([record(queue_offset=i) for i in range(4)], 1024, blank=True)
    for _ in range(300):
        damaged = bytearray(base)
        for _ in range(rng.randrange(1, 4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        limit = rng.randrange(len(damaged) + 1)
        found, status, position, _ = message.scan_records(damaged, 0, limit, True)
        assert position <= limit
        assert status in (1, 2, 3)
        assert sum(r.total_size for r in found) == position


# -- properties --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        ("a\x01b", {"a": "b"}),
        ("a\x01b\x02", {"a": "b"}),
        ("a\x01b\x02c\x01d\x02", {"a": "b", "c": "d"}),
        ("a\x01\x02", {}),  # empty value
        ("\x01b\x02", {}),  # empty name
        ("ab\x02", {}),  # no separator
        ("a\x01b\x01c\x02", {"a": "b\x01c"}),  # the first \x01 splits
        ("\x02\x02a\x01b\x02\x02", {"a": "b"}),
        ("a\x01b\x02a\x01c\x02", {"a": "c"}),  # a later duplicate wins
        ("ab\x02c\x01d", {"c": "d"}),  # \x01 only in a later piece
        ("\U0001f600\x01\u00e9\x02", {"\U0001f600": "\u00e9"}),
        ("k\x01 \x02", {"k": " "}),
    ],
)
def test_string_to_properties_java_semantics(text: str, expected: dict) -> None:
    assert message.string_to_properties(text) == expected


def test_properties_to_string() -> None:
    assert message.properties_to_string({}) == ""
    assert message.properties_to_string(None) == ""
    assert message.properties_to_string({"a": "1", "b": None, "c": ""}) == "a\x011\x02c\x01\x02"
    assert message.string_to_properties(None) == {}
    with pytest.raises(TypeError):
        message.properties_to_string({"a": 1})
    with pytest.raises(TypeError):
        message.string_to_properties(b"a\x01b")


# -- message ids and batches -----------------------------------------------------------------


def test_offset_msg_id_round_trip() -> None:
    msg_id = message.offset_msg_id(V4_STORE, 0x1234)
    assert msg_id == "C0A8010A00002A9F0000000000001234"
    assert message.decode_offset_msg_id(msg_id) == (V4_STORE[0], 10911, 0x1234)
    assert message.decode_offset_msg_id(msg_id.lower()) == (V4_STORE[0], 10911, 0x1234)
    msg_id = message.offset_msg_id(V6_STORE, -1)
    assert len(msg_id) == 56 and msg_id.endswith("F" * 16)
    assert message.decode_offset_msg_id(msg_id) == (V6_STORE[0], 10911, -1)
    for bad in ("", "00" * 15, "G" * 32, " " * 32, "0" * 33, "0" * 31 + " "):
        with pytest.raises(ValueError):
            message.decode_offset_msg_id(bad)
    with pytest.raises(TypeError):
        message.decode_offset_msg_id(b"0" * 32)
    with pytest.raises(OverflowError):
        message.offset_msg_id(V4_STORE, 1 << 63)


def test_batch_body_round_trip() -> None:
    items = [(0, b"one", "TAGS\x01a\x02"), (-1, b"", ""), (7, bytes(range(256)), "k\x01\u00e9\x02")]
    body = message.encode_batch_body(items)
    assert message.decode_batch_body(body) == items
    assert message.decode_batch_body(b"") == []
    first = struct.unpack_from(">iiiii", body)
    assert first == (22 + 3 + 7, 0, 0, 0, 3)
    with pytest.raises(ValueError):
        message.encode_batch_body([(0, b"", "x" * 32768)])
    with pytest.raises(OverflowError):
        message.encode_batch_body([(1 << 31, b"", "")])
    with pytest.raises(TypeError):
        message.encode_batch_body([(0, b"", b"bytes")])


def test_batch_body_malformed() -> None:
    body = message.encode_batch_body([(0, b"abc", "k\x01v\x02")])
    for cut in range(1, len(body)):
        with pytest.raises(ProtocolError):
            message.decode_batch_body(body[:cut])
    negative_body = body[:16] + struct.pack(">i", -1) + body[20:]
    with pytest.raises(ProtocolError):
        message.decode_batch_body(negative_body)
    negative_properties = body[:23] + struct.pack(">h", -2) + body[25:]
    with pytest.raises(ProtocolError):
        message.decode_batch_body(negative_properties)
    # TOTALSIZE, MAGIC and BODYCRC are not checked, as in the Java broker.
    lying = struct.pack(">iii", 999, 1, 2) + body[12:]
    assert message.decode_batch_body(lying) == [(0, b"abc", "k\x01v\x02")]
