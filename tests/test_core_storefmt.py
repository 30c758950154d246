"""ConsumeQueue units, tag/key hashes, IndexFile and checkpoint (rocketmq._core.storefmt).

Runs on whichever twin the core switch selects (ROCKETMQ_PUREPYTHON).
"""

from __future__ import annotations

import mmap
import struct

import pytest

import rocketmq._core as core
from rocketmq.errors import ProtocolError

if core.IMPLEMENTATION == "python":  # the same choice as rocketmq._core's switch
    from rocketmq._core._pure import storefmt
else:
    from rocketmq._core import storefmt

INT_MIN = -(1 << 31)

# -- hashes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("a", 97),
        ("hello", 99162322),
        ("TagA", 2598919),
        ("polygenelubricants", INT_MIN),
        ("\U0001f600", 1772899),  # the surrogate pair D83D DE00
        ("\ud800", 0xD800),
        ("\u00e9", 0xE9),
        ("\uffff", 0xFFFF),
    ],
)
def test_java_string_hash(text: str, expected: int) -> None:
    assert storefmt.java_string_hash(text) == expected


def test_java_string_hash_wraps_like_int32() -> None:
    text = "x" * 1000
    value = 0
    for char in text:
        value = (31 * value + ord(char)) & 0xFFFFFFFF
    assert storefmt.java_string_hash(text) == value - (1 << 32 if value >= 1 << 31 else 0)
    # Each kind of str storage (1, 2 and 4 bytes per character).
    assert storefmt.java_string_hash("\u00ff" * 3) == (0xFF * 961 + 0xFF * 31 + 0xFF)
    assert storefmt.java_string_hash("\u0100a") == 0x100 * 31 + 97
    with pytest.raises(TypeError):
        storefmt.java_string_hash(b"bytes")
    with pytest.raises(TypeError):
        storefmt.java_string_hash(None)


def test_tags_hash_and_index_key_hash() -> None:
    assert storefmt.tags_hash(None) == 0
    assert storefmt.tags_hash("") == 0
    assert storefmt.tags_hash("TagA") == 2598919
    assert storefmt.tags_hash("TopicTest#key1") == -1655984460
    assert storefmt.index_key_hash("TopicTest#key1") == 1655984460
    assert storefmt.index_key_hash("polygenelubricants") == 0
    assert storefmt.index_key_hash("") == 0
    with pytest.raises(TypeError):
        storefmt.tags_hash(5)


# -- ConsumeQueue ---------------------------------------------------------------------


def test_cq_unit_pack_unpack() -> None:
    assert storefmt.CQ_UNIT_SIZE == 20
    buffer = bytearray(45)
    storefmt.pack_cq_unit(buffer, 25, 1 << 40, 300, -5)
    assert bytes(buffer[25:45]) == struct.pack(">qiq", 1 << 40, 300, -5)
    assert storefmt.unpack_cq_unit(buffer, 25) == (1 << 40, 300, -5)
    assert storefmt.unpack_cq_unit(bytes(buffer), 25) == (1 << 40, 300, -5)
    packed = storefmt.pack_cq_units([(0, 1, 2), (3, 4, -(1 << 63))])
    assert packed == struct.pack(">qiqqiq", 0, 1, 2, 3, 4, -(1 << 63))
    assert storefmt.pack_cq_units([]) == b""
    for position in (-1, 26):
        with pytest.raises(ValueError):
            storefmt.pack_cq_unit(buffer, position, 0, 1, 0)
        with pytest.raises(ValueError):
            storefmt.unpack_cq_unit(buffer, position)
    with pytest.raises(TypeError):
        storefmt.pack_cq_unit(bytes(20), 0, 0, 1, 0)
    with pytest.raises(OverflowError):
        storefmt.pack_cq_unit(buffer, 0, 0, 1 << 31, 0)
    with pytest.raises(TypeError):
        storefmt.pack_cq_unit(buffer, 0, 0.0, 1, 0)
    with pytest.raises(OverflowError):
        storefmt.pack_cq_units([(1 << 63, 1, 0)])


def test_cq_unit_on_mmap() -> None:
    with mmap.mmap(-1, 40) as mapped:
        storefmt.pack_cq_unit(mapped, 20, 7, 8, 9)
        assert storefmt.unpack_cq_unit(mapped, 20) == (7, 8, 9)
        assert storefmt.cq_valid_units(mapped, 0, 40) == 0
        assert storefmt.cq_valid_units(mapped, 20, 40) == 1
        mapped.close()


def test_cq_valid_units_recovery_rule() -> None:
    filler = (0, storefmt.CQ_FILLER_SIZE, 0)
    units = storefmt.pack_cq_units([filler, filler, (0, 10, 0), (10, 20, 5), (0, 0, 0), (30, 5, 0)])
    assert storefmt.cq_valid_units(units, 0, len(units)) == 4
    assert storefmt.cq_valid_units(units, 20, len(units)) == 3
    assert storefmt.cq_valid_units(units, 100, len(units)) == 1
    assert storefmt.cq_valid_units(units, 0, 79) == 3  # a partial unit is not counted
    negative = storefmt.pack_cq_units([(5, 1, 0), (-1, 10, 0)])
    assert storefmt.cq_valid_units(negative, 0, len(negative)) == 1
    zero_size = storefmt.pack_cq_units([(5, 0, 0)])
    assert storefmt.cq_valid_units(zero_size, 0, 20) == 0
    with pytest.raises(ValueError):
        storefmt.cq_valid_units(units, 0, len(units) + 1)
    with pytest.raises(ValueError):
        storefmt.cq_valid_units(units, 30, 20)


def cq(*units: tuple[int, int, str | int | None]) -> bytes:
    packed = []
    for offset, size, tag in units:
        code = tag if isinstance(tag, int) else storefmt.tags_hash(tag)
        packed.append((offset, size, code))
    return storefmt.pack_cq_units(packed)


def test_scan_cq_filters_by_tag_code() -> None:
    data = cq((0, 100, "A"), (100, 100, "B"), (200, 100, None), (300, 100, "A"), (400, 100, "C"))
    codes = {storefmt.tags_hash("A"), storefmt.tags_hash("C")}
    units, scanned, stop = storefmt.scan_cq(data, 0, 5, codes)
    assert units == [(0, 100, 0), (300, 100, 3), (400, 100, 4)]
    assert (scanned, stop) == (5, storefmt.CQ_SCAN_DONE)
    units, scanned, stop = storefmt.scan_cq(data, 0, 5)
    assert [unit[2] for unit in units] == [0, 1, 2, 3, 4]
    assert storefmt.scan_cq(data, 0, 5, set())[0] == []
    assert storefmt.scan_cq(data, 20, 2, list(codes)) == ([], 2, storefmt.CQ_SCAN_DONE)
    assert storefmt.scan_cq(data, 0, 0, codes) == ([], 0, storefmt.CQ_SCAN_DONE)


def test_scan_cq_compares_the_low_32_bits() -> None:
    # A tagsCode is compared as (int) tagsCode; delivery timestamps of the
    # schedule topic and >32-bit values wrap, ext addresses always match.
    data = cq((0, 10, (1 << 32) + 5), (10, 10, storefmt.CQ_EXT_ADDRESS_MAX), (20, 10, -7))
    units, _, _ = storefmt.scan_cq(data, 0, 3, {5})
    assert [unit[2] for unit in units] == [0, 1]
    units, _, _ = storefmt.scan_cq(data, 0, 3, {-7, 1 << 40})
    assert [unit[2] for unit in units] == [1, 2]
    many = set(range(1000, 1040)) | {5}
    assert [unit[2] for unit in storefmt.scan_cq(data, 0, 3, many)[0]] == [0, 1]
    with pytest.raises(TypeError):
        storefmt.scan_cq(data, 0, 3, {1.5})


def test_scan_cq_limits() -> None:
    data = cq(*[(i * 100, 100, "A" if i % 2 == 0 else "B") for i in range(10)])
    code_a = {storefmt.tags_hash("A")}
    units, scanned, stop = storefmt.scan_cq(data, 0, 10, code_a, max_messages=2)
    assert units == [(0, 100, 0), (200, 100, 2)]
    # The unit after the batch is full is not consumed, even if it would not match.
    assert (scanned, stop) == (3, storefmt.CQ_SCAN_FULL)
    units, scanned, stop = storefmt.scan_cq(data, 0, 10, None, max_bytes=250)
    assert [u[2] for u in units] == [0, 1] and (scanned, stop) == (2, storefmt.CQ_SCAN_FULL)
    units, scanned, stop = storefmt.scan_cq(data, 0, 10, None, max_bytes=300)
    assert len(units) == 3 and (scanned, stop) == (3, storefmt.CQ_SCAN_FULL)
    # The first selected unit is always taken, whatever its size.
    units, scanned, stop = storefmt.scan_cq(data, 0, 10, None, max_bytes=1)
    assert units == [(0, 100, 0)] and (scanned, stop) == (1, storefmt.CQ_SCAN_FULL)
    units, scanned, stop = storefmt.scan_cq(data, 0, 10, None, max_messages=10)
    assert len(units) == 10 and (scanned, stop) == (10, storefmt.CQ_SCAN_DONE)
    for bad in ({"max_messages": 0}, {"max_bytes": 0}):
        with pytest.raises(ValueError):
            storefmt.scan_cq(data, 0, 10, None, **bad)
    with pytest.raises(ValueError):
        storefmt.scan_cq(data, 0, 11)
    with pytest.raises(ValueError):
        storefmt.scan_cq(data, 20, 10)
    with pytest.raises(ValueError):
        storefmt.scan_cq(data, -20, 1)


def test_scan_cq_stops_at_invalid_units_and_skips_fillers() -> None:
    filler = (0, storefmt.CQ_FILLER_SIZE, 0)
    data = cq(filler, (0, 10, "A"), (10, 0, "A"), (20, 10, "A"))
    units, scanned, stop = storefmt.scan_cq(data, 0, 4)
    assert units == [(0, 10, 1)] and (scanned, stop) == (2, storefmt.CQ_SCAN_INVALID)
    data = cq((0, 10, "A"), (-1, 10, "A"))
    assert storefmt.scan_cq(data, 0, 2) == ([(0, 10, 0)], 1, storefmt.CQ_SCAN_INVALID)
    assert storefmt.scan_cq(bytes(40), 0, 2) == ([], 0, storefmt.CQ_SCAN_INVALID)


# -- IndexFile ---------------------------------------------------------------------------


SLOTS, ENTRIES = 16, 32
BASE = 1_700_000_000_000


def index_buffer() -> bytearray:
    return bytearray(storefmt.index_file_size(SLOTS, ENTRIES))


def test_index_constants_and_size() -> None:
    assert storefmt.INDEX_HEADER_SIZE == 40
    assert storefmt.HASH_SLOT_SIZE == 4
    assert storefmt.INDEX_ENTRY_SIZE == 20
    assert (storefmt.DEFAULT_SLOT_NUM, storefmt.DEFAULT_INDEX_NUM) == (5_000_000, 20_000_000)
    assert storefmt.index_file_size(5_000_000, 20_000_000) == 420_000_040
    assert storefmt.index_file_size(SLOTS, ENTRIES) == 40 + 64 + 640
    with pytest.raises(ValueError):
        storefmt.index_file_size(0, 1)


def test_index_header() -> None:
    header = storefmt.IndexHeader(1, 2, 3, 4, 5, 6)
    data = header.pack()
    assert data == struct.pack(">qqqqii", 1, 2, 3, 4, 5, 6)
    assert storefmt.IndexHeader.unpack(data) == header
    buffer = bytearray(50)
    header.pack_into(buffer, 10)
    assert storefmt.IndexHeader.unpack(buffer, 10) == header
    assert storefmt.IndexHeader() == storefmt.IndexHeader(0, 0, 0, 0, 0, 0)
    assert "index_count=6" in repr(header)
    header.index_count = 9
    assert header.index_count == 9
    with pytest.raises(ValueError):
        header.pack_into(buffer, 11)
    with pytest.raises(ValueError):
        storefmt.IndexHeader.unpack(data[:39])
    span = storefmt.IndexHeader(100, 200)
    assert span.is_time_matched(50, 250) and span.is_time_matched(150, 300)
    assert span.is_time_matched(0, 100) and not span.is_time_matched(201, 300)
    assert not span.is_time_matched(0, 99)
    assert storefmt.IndexHeader(index_count=0).is_write_full(1)
    assert not storefmt.IndexHeader(index_count=3).is_write_full(4)
    assert storefmt.IndexHeader(index_count=4).is_write_full(4)
    with pytest.raises(OverflowError):
        storefmt.IndexHeader(hash_slot_count=1 << 31)


def test_index_put_and_lookup() -> None:
    buffer = index_buffer()
    keys = [f"Topic#k{i % 5}" for i in range(20)]
    for i, key in enumerate(keys):
        assert storefmt.index_put(buffer, SLOTS, ENTRIES, key, 1000 + i, BASE + i * 1500)
    header = storefmt.IndexHeader.unpack(buffer)
    assert header.index_count == 21
    assert (header.begin_timestamp, header.begin_phy_offset) == (BASE, 1000)
    assert (header.end_timestamp, header.end_phy_offset) == (BASE + 19 * 1500, 1019)
    used_slots = {storefmt.index_key_hash(key) % SLOTS for key in set(keys)}
    assert header.hash_slot_count == len(used_slots)
    k2 = storefmt.index_key_hash("Topic#k2")
    everything = storefmt.index_lookup(buffer, SLOTS, ENTRIES, k2, 0, 1 << 62, 64)
    assert everything == [1017, 1012, 1007, 1002]  # newest first
    assert storefmt.index_lookup(buffer, SLOTS, ENTRIES, "Topic#k2", 0, 1 << 62, 2) == [1017, 1012]
    # Entry times are whole seconds: 1002 at +3s, 1007 at +10s (10.5 truncated), 1012 at +18s.
    window = storefmt.index_lookup(buffer, SLOTS, ENTRIES, k2, BASE + 10_000, BASE + 18_000, 64)
    assert window == [1012, 1007]
    assert storefmt.index_lookup(buffer, SLOTS, ENTRIES, "Topic#none", 0, 1 << 62, 64) == []
    assert storefmt.index_lookup(buffer, SLOTS, ENTRIES, k2, 0, 1 << 62, 0) == []
    entry = 40 + SLOTS * 4 + 1 * 20
    assert struct.unpack_from(">iqii", buffer, entry) == (
        storefmt.index_key_hash("Topic#k0"),
        1000,
        0,
        0,
    )


def test_index_put_time_rules() -> None:
    buffer = index_buffer()
    storefmt.IndexHeader(BASE, BASE).pack_into(buffer)
    # Time before the begin clamps to 0; the first put then moves begin.
    assert storefmt.index_put(buffer, SLOTS, ENTRIES, "a", 1, BASE - 5_000)
    entry = 40 + SLOTS * 4 + 20
    assert struct.unpack_from(">i", buffer, entry + 12)[0] == 0
    assert storefmt.IndexHeader.unpack(buffer).begin_timestamp == BASE - 5_000
    assert storefmt.index_put(buffer, SLOTS, ENTRIES, "a", 2, BASE - 5_000 + 2_999)
    assert struct.unpack_from(">i", buffer, entry + 20 + 12)[0] == 2
    far = BASE - 5_000 + (1 << 31) * 1000 + 5_000
    assert storefmt.index_put(buffer, SLOTS, ENTRIES, "a", 3, far)
    assert struct.unpack_from(">i", buffer, entry + 40 + 12)[0] == (1 << 31) - 1
    # A zero begin timestamp gives time 0 (a fresh header before the first put).
    fresh = index_buffer()
    assert storefmt.index_put(fresh, SLOTS, ENTRIES, "a", 1, BASE)
    assert struct.unpack_from(">i", fresh, entry + 12)[0] == 0


def test_index_put_full_and_sizes() -> None:
    buffer = index_buffer()
    results = [storefmt.index_put(buffer, SLOTS, ENTRIES, f"k{i}", i, BASE) for i in range(40)]
    assert results == [True] * (ENTRIES - 1) + [False] * (40 - ENTRIES + 1)
    assert storefmt.IndexHeader.unpack(buffer).index_count == ENTRIES
    assert storefmt.IndexHeader.unpack(buffer).is_write_full(ENTRIES)
    with pytest.raises(ValueError):
        storefmt.index_put(bytearray(100), SLOTS, ENTRIES, "k", 0, BASE)
    with pytest.raises(ValueError):
        storefmt.index_lookup(bytearray(100), SLOTS, ENTRIES, 1, 0, 1, 1)
    with pytest.raises(ValueError):
        storefmt.index_put(index_buffer(), 0, ENTRIES, "k", 0, BASE)
    with pytest.raises(ValueError):
        storefmt.index_put(index_buffer(), SLOTS, ENTRIES, -1, 0, BASE)
    with pytest.raises(TypeError):
        storefmt.index_put(bytes(index_buffer()), SLOTS, ENTRIES, "k", 0, BASE)


def test_index_put_by_hash_equals_put_by_key() -> None:
    by_key, by_hash = index_buffer(), index_buffer()
    for i in range(10):
        key = f"T#{i}"
        storefmt.index_put(by_key, SLOTS, ENTRIES, key, i, BASE + i)
        storefmt.index_put(by_hash, SLOTS, ENTRIES, storefmt.index_key_hash(key), i, BASE + i)
    assert by_key == by_hash


def test_index_lookup_survives_a_corrupted_chain() -> None:
    buffer = index_buffer()
    storefmt.index_put(buffer, SLOTS, ENTRIES, "k", 10, BASE)
    storefmt.index_put(buffer, SLOTS, ENTRIES, "k", 20, BASE)
    key_hash = storefmt.index_key_hash("k")
    entries_at = 40 + SLOTS * 4
    # Make entry 1 link back to entry 2: a two-entry cycle.
    struct.pack_into(">i", buffer, entries_at + 20 + 16, 2)
    found = storefmt.index_lookup(buffer, SLOTS, ENTRIES, key_hash, 0, 1 << 62, 100)
    assert found[:2] == [20, 10] and len(found) <= 3
    # Garbage everywhere must not raise or read out of bounds.
    junk = bytearray(b"\x7f" * len(buffer))
    storefmt.index_lookup(junk, SLOTS, ENTRIES, key_hash, 0, 1 << 62, 100)
    junk = bytearray(b"\x00\x00\x00\x1f" * (len(buffer) // 4))
    storefmt.index_lookup(junk, SLOTS, ENTRIES, key_hash, 0, 1 << 62, 100)


# -- checkpoint ---------------------------------------------------------------------------


def test_checkpoint() -> None:
    values = (1_700_000_000_123, 1_700_000_000_100, 0, 1 << 30, -1)
    data = storefmt.pack_checkpoint(*values)
    assert len(data) == storefmt.CHECKPOINT_SIZE == 4096
    assert data[:40] == struct.pack(">qqqqq", *values) and not any(data[40:])
    assert storefmt.unpack_checkpoint(data) == values
    assert storefmt.unpack_checkpoint(data[:40]) == values
    legacy = struct.pack(">qqq", 1, 2, 3) + bytes(4096 - 24)  # 4.x stops after index time
    assert storefmt.unpack_checkpoint(legacy) == (1, 2, 3, 0, 0)
    with pytest.raises(ProtocolError):
        storefmt.unpack_checkpoint(data[:39])
    with pytest.raises(OverflowError):
        storefmt.pack_checkpoint(1 << 63, 0, 0, 0, 0)
