"""Store layouts besides the record, pure-Python twin of rocketmq/_core/storefmt.pyx.

Same names, signatures, defaults and errors as the Cython module; it is the
oracle of the differential tests and the fallback under ROCKETMQ_PUREPYTHON=1.
Layouts: shared/spec/store.md §7-§9, verified against apache/rocketmq 5.3.3
(ConsumeQueue, DefaultMessageStore#getMessage, index/IndexFile, IndexHeader,
StoreCheckpoint).
"""

from __future__ import annotations

import array
import operator
import struct
import sys

from rocketmq._core._pure._args import (
    _INT32_MAX,
    _INT32_MIN,
    _INT64_MAX,
    _INT64_MIN,
    _byte_view,
    _index,
)
from rocketmq.errors import ProtocolError

_UTF16_NATIVE = "utf-16-le" if sys.byteorder == "little" else "utf-16-be"

# -- Java String.hashCode ---------------------------------------------------------


def java_string_hash(text) -> int:
    """Java ``String.hashCode()``: 31*h + c over UTF-16 code units, as a signed int32.

    Characters above U+FFFF count as their surrogate pair; lone surrogates
    count as themselves, as in Java. Raises TypeError for a non-str.
    """
    if not isinstance(text, str):
        raise TypeError(f"java_string_hash needs a str, got {type(text).__name__}")
    units = array.array("H")
    units.frombytes(text.encode(_UTF16_NATIVE, "surrogatepass"))
    value = 0
    for unit in units:
        value = (31 * value + unit) & 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def tags_hash(tags) -> int:
    """ConsumeQueue tagsCode of a TAGS value: 0 for None or "", else java_string_hash.

    (MessageExtBrokerInner#tagsString2tagsCode; the int hash widened to long.)
    """
    if tags is None or tags == "":
        return 0
    return java_string_hash(tags)


def index_key_hash(key) -> int:
    """IndexFile key hash: abs(key.hashCode()), Integer.MIN_VALUE giving 0."""
    value = java_string_hash(key)
    if value == _INT32_MIN:
        return 0
    return -value if value < 0 else value


# -- ConsumeQueue ---------------------------------------------------------------------

CQ_UNIT_SIZE = 20
# ConsumeQueue#fillPreBlank writes (0, Integer.MAX_VALUE, 0) before the first
# real unit of a queue that starts at a non-zero offset.
CQ_FILLER_SIZE = 0x7FFFFFFF
# tagsCode values at or below this are ConsumeQueueExt addresses, not hashes.
CQ_EXT_ADDRESS_MAX = _INT32_MIN - 1

CQ_SCAN_DONE = 0
CQ_SCAN_INVALID = 1
CQ_SCAN_FULL = 2

_CQ_UNIT = struct.Struct(">qiq")


def pack_cq_unit(buffer, position, commitlog_offset, size, tags_code) -> None:
    """Write one 20-byte unit (int64 offset, int32 size, int64 tagsCode) at ``position``.

    Raises ValueError when it does not fit, TypeError for a read-only buffer,
    OverflowError for values outside their Java types.
    """
    position = _index(position, "position", _INT64_MIN, _INT64_MAX)
    commitlog_offset = _index(commitlog_offset, "commitlog_offset", _INT64_MIN, _INT64_MAX)
    size = _index(size, "size", _INT32_MIN, _INT32_MAX)
    tags_code = _index(tags_code, "tags_code", _INT64_MIN, _INT64_MAX)
    with _byte_view(buffer) as view:
        if view.readonly:
            raise TypeError("buffer must be writable (bytearray, writable memoryview or mmap)")
        if position < 0 or position > len(view) - CQ_UNIT_SIZE:
            raise ValueError(f"unit at position {position} does not fit {len(view)} bytes")
        _CQ_UNIT.pack_into(view, position, commitlog_offset, size, tags_code)


def unpack_cq_unit(buffer, position) -> tuple[int, int, int]:
    """``(commitlog_offset, size, tags_code)`` of the unit at ``position``."""
    position = _index(position, "position", _INT64_MIN, _INT64_MAX)
    with _byte_view(buffer) as view:
        if position < 0 or position > len(view) - CQ_UNIT_SIZE:
            raise ValueError(f"unit at position {position} does not fit {len(view)} bytes")
        return _CQ_UNIT.unpack_from(view, position)


def pack_cq_units(units) -> bytes:
    """Concatenated units from an iterable of ``(commitlog_offset, size, tags_code)``."""
    parts = []
    for commitlog_offset, size, tags_code in units:
        parts.append(
            _CQ_UNIT.pack(
                _index(commitlog_offset, "commitlog_offset", _INT64_MIN, _INT64_MAX),
                _index(size, "size", _INT32_MIN, _INT32_MAX),
                _index(tags_code, "tags_code", _INT64_MIN, _INT64_MAX),
            )
        )
    return b"".join(parts)


def _cq_range(view: memoryview, position: object, count: object) -> tuple[int, int]:
    position = _index(position, "position", _INT64_MIN, _INT64_MAX)
    count = _index(count, "count", _INT64_MIN, _INT64_MAX)
    if position < 0 or count < 0 or position > len(view):
        raise ValueError(f"bad position {position} or count {count}")
    if count > (len(view) - position) // CQ_UNIT_SIZE:
        raise ValueError(
            f"{count} units at position {position} run past the buffer ({len(view)} bytes)"
        )
    return position, count


def cq_valid_units(buffer, position, limit) -> int:
    """How many consecutive valid units start at ``position`` before ``limit``.

    Valid is ConsumeQueue#recover's rule: offset >= 0 and size > 0, so the
    (0, 0x7FFFFFFF, 0) filler units count as valid. A partial unit at the end
    is not counted. Raises ValueError unless 0 <= position <= limit <= len(buffer).
    """
    position = _index(position, "position", _INT64_MIN, _INT64_MAX)
    limit = _index(limit, "limit", _INT64_MIN, _INT64_MAX)
    with _byte_view(buffer) as view:
        if not 0 <= position <= limit <= len(view):
            raise ValueError(
                f"need 0 <= position ({position}) <= limit ({limit}) <= buffer ({len(view)})"
            )
        count = 0
        while limit - position >= CQ_UNIT_SIZE:
            offset, size, _ = _CQ_UNIT.unpack_from(view, position)
            if offset < 0 or size <= 0:
                break
            count += 1
            position += CQ_UNIT_SIZE
        return count


def scan_cq(
    buffer, position, count, code_set=None, max_messages=32, max_bytes=256 * 1024
) -> tuple[list, int, int]:
    """Select the units of a pull from ``count`` units at ``position``.

    The unit loop of DefaultMessageStore#getMessage (5.3.3) for one
    ConsumeQueue window; the caller sizes ``count`` to the scan window
    (min(max offset - offset, max(maxFilterMessageSize, maxMsgNums * 20) / 20))
    and folds the limits: ``max_messages`` = min(maxMsgNums, maxTransferCount
    OnMessageIn{Memory,Disk}), ``max_bytes`` = min(maxTotalMsgSize,
    maxTransferBytesOnMessageIn{Memory,Disk}). For each unit in order:

    1. offset < 0 or size <= 0: stop with CQ_SCAN_INVALID (not consumed);
    2. once something was selected, a unit that would exceed ``max_messages``
       or ``max_bytes`` stops the scan with CQ_SCAN_FULL (not consumed; like
       isTheBatchFull this is decided before the tag filter, and the first
       selected unit is always accepted whatever its size);
    3. the unit is consumed; filler units (0, 0x7FFFFFFF, 0) are skipped;
    4. units whose ``(int) tagsCode`` is not in ``code_set`` are skipped
       (ExpressionMessageFilter#isMatchedByConsumeQueue: None selects all,
       ConsumeQueueExt addresses always match);
    5. the unit is selected.

    Returns ``(units, scanned, stop)``: ``units`` lists ``(commitlog_offset,
    size, index)`` with ``index`` the unit number relative to ``position``,
    ``scanned`` the units consumed (nextBeginOffset = offset + scanned), and
    ``stop`` CQ_SCAN_DONE / CQ_SCAN_INVALID / CQ_SCAN_FULL. The caller still
    checks that each commit-log record exists (MESSAGE_WAS_REMOVING) and
    applies SQL92 filters. Raises ValueError when the window runs past the
    buffer or a limit is < 1.
    """
    max_messages = _index(max_messages, "max_messages", _INT64_MIN, _INT64_MAX)
    max_bytes = _index(max_bytes, "max_bytes", _INT64_MIN, _INT64_MAX)
    if max_messages < 1 or max_bytes < 1:
        raise ValueError(f"max_messages ({max_messages}) and max_bytes ({max_bytes}) must be >= 1")
    codes = None if code_set is None else {operator.index(code) for code in code_set}
    with _byte_view(buffer) as view:
        position, count = _cq_range(view, position, count)
        units: list = []
        total_bytes = 0
        for index in range(count):
            offset, size, tags_code = _CQ_UNIT.unpack_from(view, position + index * CQ_UNIT_SIZE)
            if offset < 0 or size <= 0:
                return units, index, CQ_SCAN_INVALID
            if units and (len(units) >= max_messages or total_bytes + size > max_bytes):
                return units, index, CQ_SCAN_FULL
            if offset == 0 and size == CQ_FILLER_SIZE and tags_code == 0:
                continue
            if codes is not None and tags_code > CQ_EXT_ADDRESS_MAX:
                code = tags_code & 0xFFFFFFFF
                if code & 0x80000000:
                    code -= 1 << 32
                if code not in codes:
                    continue
            units.append((offset, size, index))
            total_bytes += size
        return units, count, CQ_SCAN_DONE


# -- IndexFile -------------------------------------------------------------------------

INDEX_HEADER_SIZE = 40
HASH_SLOT_SIZE = 4
INDEX_ENTRY_SIZE = 20
DEFAULT_SLOT_NUM = 5_000_000
DEFAULT_INDEX_NUM = 20_000_000

_HEADER = struct.Struct(">qqqqii")
_ENTRY = struct.Struct(">iqii")
_I32 = struct.Struct(">i")


def index_file_size(slot_num, index_num) -> int:
    """Bytes of an IndexFile: 40 + slot_num * 4 + index_num * 20."""
    slot_num = operator.index(slot_num)
    index_num = operator.index(index_num)
    if slot_num < 1 or index_num < 1:
        raise ValueError(f"slot_num ({slot_num}) and index_num ({index_num}) must be >= 1")
    return INDEX_HEADER_SIZE + slot_num * HASH_SLOT_SIZE + index_num * INDEX_ENTRY_SIZE


class IndexHeader:
    """The 40-byte IndexFile header (IndexHeader.java).

    A fresh Java file keeps index_count 0 on disk until its first key (its
    in-memory counter starts at 1); readers treat index_count <= 0 as 1.
    """

    __slots__ = (
        "begin_phy_offset",
        "begin_timestamp",
        "end_phy_offset",
        "end_timestamp",
        "hash_slot_count",
        "index_count",
    )

    def __init__(
        self,
        begin_timestamp=0,
        end_timestamp=0,
        begin_phy_offset=0,
        end_phy_offset=0,
        hash_slot_count=0,
        index_count=0,
    ) -> None:
        self.begin_timestamp = _index(begin_timestamp, "begin_timestamp", _INT64_MIN, _INT64_MAX)
        self.end_timestamp = _index(end_timestamp, "end_timestamp", _INT64_MIN, _INT64_MAX)
        self.begin_phy_offset = _index(begin_phy_offset, "begin_phy_offset", _INT64_MIN, _INT64_MAX)
        self.end_phy_offset = _index(end_phy_offset, "end_phy_offset", _INT64_MIN, _INT64_MAX)
        self.hash_slot_count = _index(hash_slot_count, "hash_slot_count", _INT32_MIN, _INT32_MAX)
        self.index_count = _index(index_count, "index_count", _INT32_MIN, _INT32_MAX)

    def _values(self) -> tuple:
        return (
            _index(self.begin_timestamp, "begin_timestamp", _INT64_MIN, _INT64_MAX),
            _index(self.end_timestamp, "end_timestamp", _INT64_MIN, _INT64_MAX),
            _index(self.begin_phy_offset, "begin_phy_offset", _INT64_MIN, _INT64_MAX),
            _index(self.end_phy_offset, "end_phy_offset", _INT64_MIN, _INT64_MAX),
            _index(self.hash_slot_count, "hash_slot_count", _INT32_MIN, _INT32_MAX),
            _index(self.index_count, "index_count", _INT32_MIN, _INT32_MAX),
        )

    def pack(self) -> bytes:
        return _HEADER.pack(*self._values())

    def pack_into(self, buffer, position=0) -> None:
        """Write the header at ``position`` of a writable buffer (ValueError if it does not fit)."""
        position = _index(position, "position", _INT64_MIN, _INT64_MAX)
        values = self._values()
        with _byte_view(buffer) as view:
            if view.readonly:
                raise TypeError("buffer must be writable (bytearray, writable memoryview or mmap)")
            if position < 0 or position > len(view) - INDEX_HEADER_SIZE:
                raise ValueError(f"header at {position} does not fit {len(view)} bytes")
            _HEADER.pack_into(view, position, *values)

    @staticmethod
    def unpack(buffer, position=0) -> IndexHeader:
        position = _index(position, "position", _INT64_MIN, _INT64_MAX)
        with _byte_view(buffer) as view:
            if position < 0 or position > len(view) - INDEX_HEADER_SIZE:
                raise ValueError(f"header at {position} does not fit {len(view)} bytes")
            return IndexHeader(*_HEADER.unpack_from(view, position))

    def is_time_matched(self, begin_ms, end_ms) -> bool:
        """IndexFile#isTimeMatched: does [begin_ms, end_ms] overlap this file's time span."""
        begin_ms = _index(begin_ms, "begin_ms", _INT64_MIN, _INT64_MAX)
        end_ms = _index(end_ms, "end_ms", _INT64_MIN, _INT64_MAX)
        first, last = self.begin_timestamp, self.end_timestamp
        return (
            (begin_ms < first and end_ms > last)
            or first <= begin_ms <= last
            or first <= end_ms <= last
        )

    def is_write_full(self, index_num) -> bool:
        """IndexFile#isWriteFull: index_count (at least 1) >= index_num."""
        return max(self.index_count, 1) >= operator.index(index_num)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IndexHeader):
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"IndexHeader(begin_timestamp={self.begin_timestamp}, "
            f"end_timestamp={self.end_timestamp}, begin_phy_offset={self.begin_phy_offset}, "
            f"end_phy_offset={self.end_phy_offset}, hash_slot_count={self.hash_slot_count}, "
            f"index_count={self.index_count})"
        )


def _index_args(view: memoryview, slot_num: object, index_num: object) -> tuple[int, int]:
    slot_num = _index(slot_num, "slot_num", _INT32_MIN, _INT32_MAX)
    index_num = _index(index_num, "index_num", _INT32_MIN, _INT32_MAX)
    size = index_file_size(slot_num, index_num)
    if len(view) < size:
        raise ValueError(f"index buffer has {len(view)} bytes, the file needs {size}")
    return slot_num, index_num


def _key_hash(key: object) -> int:
    if isinstance(key, str):
        return index_key_hash(key)
    value = _index(key, "key hash", _INT32_MIN, _INT32_MAX)
    if value < 0:
        raise ValueError(f"key hash must be >= 0 (see index_key_hash), got {value}")
    return value


def index_put(buffer, slot_num, index_num, key, commitlog_offset, store_timestamp) -> bool:
    """Add a key to the IndexFile in ``buffer`` exactly as IndexFile#putKey does.

    ``key`` is the key string (hashed with index_key_hash) or its hash. The
    entry goes to index index_count (header, <= 0 read as 1) with the slot's
    previous head as its link; the slot then points at it. The header is
    updated in the buffer: begin offset/timestamp on the first entry,
    hash_slot_count when the slot was empty, index_count, end offset and
    timestamp. The entry's time is whole seconds since the header's begin
    timestamp as it was before this put (0 if that is <= 0), clamped to
    [0, INT32_MAX]. Returns False (and writes nothing) when the file is full.
    Raises ValueError for a buffer smaller than index_file_size.
    """
    commitlog_offset = _index(commitlog_offset, "commitlog_offset", _INT64_MIN, _INT64_MAX)
    store_timestamp = _index(store_timestamp, "store_timestamp", _INT64_MIN, _INT64_MAX)
    with _byte_view(buffer) as view:
        if view.readonly:
            raise TypeError("buffer must be writable (bytearray, writable memoryview or mmap)")
        slot_num, index_num = _index_args(view, slot_num, index_num)
        key_hash = _key_hash(key)
        header = IndexHeader.unpack(view)
        index_count = max(header.index_count, 1)
        if index_count >= index_num:
            return False
        slot_at = INDEX_HEADER_SIZE + (key_hash % slot_num) * HASH_SLOT_SIZE
        slot_value = _I32.unpack_from(view, slot_at)[0]
        if slot_value <= 0 or slot_value > index_count:
            slot_value = 0
        if header.begin_timestamp <= 0:
            time_diff = 0
        else:
            # Java long division truncates toward zero.
            delta = store_timestamp - header.begin_timestamp
            time_diff = abs(delta) // 1000 * (1 if delta >= 0 else -1)
            time_diff = min(max(time_diff, 0), _INT32_MAX)
        entry_at = INDEX_HEADER_SIZE + slot_num * HASH_SLOT_SIZE + index_count * INDEX_ENTRY_SIZE
        _ENTRY.pack_into(view, entry_at, key_hash, commitlog_offset, time_diff, slot_value)
        _I32.pack_into(view, slot_at, index_count)
        if index_count <= 1:
            header.begin_phy_offset = commitlog_offset
            header.begin_timestamp = store_timestamp
        if slot_value == 0:
            header.hash_slot_count = _wrap32(header.hash_slot_count + 1)
        header.index_count = index_count + 1
        header.end_phy_offset = commitlog_offset
        header.end_timestamp = store_timestamp
        _HEADER.pack_into(view, 0, *header._values())
        return True


def _wrap32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def index_lookup(buffer, slot_num, index_num, key_hash, begin_ms, end_ms, max_num) -> list:
    """Commit-log offsets of a key's entries stored in [begin_ms, end_ms].

    IndexFile#selectPhyOffset: ``key_hash`` is index_key_hash(key) (or the
    key string itself). Walks the slot's chain newest first; keeps entries
    with the same hash whose time (begin timestamp + seconds * 1000) lies in
    the window; stops after ``max_num`` results, at a link <= 0, above
    index_count or pointing at itself, at a negative time, or at an entry
    older than begin_ms. Callers must re-check the key in each record
    (hashes collide). A chain is also cut after index_count steps so a
    corrupted file cannot loop forever.
    """
    begin_ms = _index(begin_ms, "begin_ms", _INT64_MIN, _INT64_MAX)
    end_ms = _index(end_ms, "end_ms", _INT64_MIN, _INT64_MAX)
    max_num = _index(max_num, "max_num", _INT64_MIN, _INT64_MAX)
    with _byte_view(buffer) as view:
        slot_num, index_num = _index_args(view, slot_num, index_num)
        key_hash = _key_hash(key_hash)
        header = IndexHeader.unpack(view)
        index_count = max(header.index_count, 1)
        found: list = []
        slot_value = _I32.unpack_from(view, INDEX_HEADER_SIZE + (key_hash % slot_num) * 4)[0]
        if slot_value <= 0 or slot_value > index_count or index_count <= 1:
            return found
        entries_at = INDEX_HEADER_SIZE + slot_num * HASH_SLOT_SIZE
        current = slot_value
        for _ in range(index_count):
            if len(found) >= max_num or current >= index_num:
                break
            hash_read, offset, time_diff, previous = _ENTRY.unpack_from(
                view, entries_at + current * INDEX_ENTRY_SIZE
            )
            if time_diff < 0:
                break
            time_read = header.begin_timestamp + time_diff * 1000
            if hash_read == key_hash and begin_ms <= time_read <= end_ms:
                found.append(offset)
            if previous <= 0 or previous > index_count or previous == current:
                break
            if time_read < begin_ms:
                break
            current = previous
        return found


# -- StoreCheckpoint ---------------------------------------------------------------------

CHECKPOINT_SIZE = 4096
_CHECKPOINT = struct.Struct(">qqqqq")


def pack_checkpoint(
    physic_ts, logics_ts, index_ts, master_flushed_offset, confirm_phy_offset
) -> bytes:
    """The 4 KiB checkpoint file: five int64 at 0, 8, 16, 24, 32, then zeros."""
    values = [
        _index(value, name, _INT64_MIN, _INT64_MAX)
        for name, value in (
            ("physic_ts", physic_ts),
            ("logics_ts", logics_ts),
            ("index_ts", index_ts),
            ("master_flushed_offset", master_flushed_offset),
            ("confirm_phy_offset", confirm_phy_offset),
        )
    ]
    data = bytearray(CHECKPOINT_SIZE)
    _CHECKPOINT.pack_into(data, 0, *values)
    return bytes(data)


def unpack_checkpoint(buffer) -> tuple[int, int, int, int, int]:
    """``(physic_ts, logics_ts, index_ts, master_flushed_offset, confirm_phy_offset)``.

    A 4.x checkpoint has zeros in the last two. Raises ProtocolError for a
    buffer shorter than 40 bytes.
    """
    with _byte_view(buffer) as view:
        if len(view) < _CHECKPOINT.size:
            raise ProtocolError(f"checkpoint needs {_CHECKPOINT.size} bytes, got {len(view)}")
        return _CHECKPOINT.unpack_from(view, 0)
