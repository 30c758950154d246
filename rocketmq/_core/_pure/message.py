"""CommitLog record codec, pure-Python twin of rocketmq/_core/message.pyx.

Same names, signatures, defaults and errors as the Cython module; it is the
oracle of the differential tests and the fallback under ROCKETMQ_PUREPYTHON=1.
Layout: shared/spec/store.md §2-§6 (verified against apache/rocketmq 5.3.3
MessageExtEncoder, MessageDecoder and CommitLog#checkMessageAndReturnSize).

Record (all integers big-endian; offsets for IPv4 born and store hosts)::

    0 TOTALSIZE i32 | 4 MAGICCODE i32 | 8 BODYCRC i32 | 12 QUEUEID i32 | 16 FLAG i32
    20 QUEUEOFFSET i64 | 28 PHYSICALOFFSET i64 | 36 SYSFLAG i32 | 40 BORNTIMESTAMP i64
    48 BORNHOST 4|16 + port i32 | STORETIMESTAMP i64 | STOREHOST 4|16 + port i32
    RECONSUMETIMES i32 | PREPARED_TRANSACTION_OFFSET i64 | BODYLENGTH i32 | BODY
    TOPICLENGTH u8 (v1) | i16 (v2) | TOPIC | PROPERTIESLENGTH i16 | PROPERTIES
"""

from __future__ import annotations

import operator
import struct
import zlib

from rocketmq._core._pure._args import (
    _INT32_MAX,
    _INT32_MIN,
    _INT64_MAX,
    _INT64_MIN,
    _byte_view,
    _index,
)
from rocketmq._core._pure.storefmt import java_string_hash as _java_string_hash
from rocketmq.errors import ProtocolError

MAGIC_V1 = -626843481  # 0xDAA320A7
MAGIC_V2 = -626843477  # 0xDAA320AB: 2-byte topic length
BLANK_MAGIC = -875286124  # 0xCBD43194: end-of-file filler

COMPRESSED = 0x1
MULTI_TAGS = 0x2
TRANSACTION_NOT_TYPE = 0
TRANSACTION_PREPARED_TYPE = 0x4
TRANSACTION_COMMIT_TYPE = 0x8
TRANSACTION_ROLLBACK_TYPE = 0xC
TRANSACTION_TYPE_MASK = 0xC
BORNHOST_V6 = 0x10
STOREHOST_V6 = 0x20

PROPERTY_SEPARATOR = "\x02"
NAME_VALUE_SEPARATOR = "\x01"
MAX_PROPERTIES_SIZE = 32767
# Java writes the v2 topic length as a signed short.
MAX_TOPIC_SIZE = 32767
# Topics longer than this many UTF-8 bytes are written with MAGIC_V2.
MAX_TOPIC_SIZE_V1 = 127
# int32 TOTALSIZE + int32 BLANK_MAGIC, what a file keeps free for the blank.
BLANK_SIZE = 8

RECORD_OK = 0
RECORD_BLANK = 1
RECORD_CORRUPT = 2
RECORD_END = 3
# Records one scan_records call returns at most unless told otherwise.
SCAN_MAX_RECORDS = 4096

_BORN_TIMESTAMP_END = 48  # the fixed part ends after BORNTIMESTAMP
_MIN_HEADER = 40  # enough to read SYSFLAG

_HEAD = struct.Struct(">iiiiiqqiq")  # TOTALSIZE .. BORNTIMESTAMP (48 bytes)
_I32 = struct.Struct(">i")
_I16 = struct.Struct(">h")
_I64 = struct.Struct(">q")
_I32_I64 = struct.Struct(">iq")
_TWO_I32 = struct.Struct(">ii")
_BATCH_HEAD = struct.Struct(">iiiii")
_PORT_STAMP = struct.Struct(">iq")  # host port then the next int64 field

# Why a record is not readable; the same text in both twins.
_REASONS = {
    "empty": "no record: zero-filled or no bytes before the limit",
    "blank": "end-of-file blank record",
    "truncated": "record header or TOTALSIZE runs past the limit",
    "magic": "bad magic code",
    "length": "field lengths disagree with TOTALSIZE",
    "crc": "body CRC mismatch",
}


def _range_args(view: memoryview, position: object, limit: object) -> tuple[int, int]:
    position = _index(position, "position", _INT64_MIN, _INT64_MAX)
    limit = _index(limit, "limit", _INT64_MIN, _INT64_MAX)
    if not 0 <= position <= limit <= len(view):
        raise ValueError(
            f"need 0 <= position ({position}) <= limit ({limit}) <= buffer size ({len(view)})"
        )
    return position, limit


# -- CRC -----------------------------------------------------------------------


def crc32(data, start=0, end=None) -> int:
    """IEEE CRC32 of ``data[start:end]`` as an unsigned int (= zlib.crc32).

    ``data`` is any contiguous buffer. Raises ValueError unless
    0 <= start <= end <= len(data).
    """
    with _byte_view(data) as view:
        start = _index(start, "start", _INT64_MIN, _INT64_MAX)
        end = len(view) if end is None else _index(end, "end", _INT64_MIN, _INT64_MAX)
        if not 0 <= start <= end <= len(view):
            raise ValueError(f"need 0 <= start ({start}) <= end ({end}) <= size ({len(view)})")
        with view[start:end] as part:
            return zlib.crc32(part)


def body_crc(data) -> int:
    """BODYCRC as Java stores it: CRC32 of the body masked with 0x7FFFFFFF."""
    return crc32(data) & 0x7FFFFFFF


# -- sizes and encoding ----------------------------------------------------------


def record_size(
    body_size, topic_size, properties_size, born_v6=False, store_v6=False, topic_v2=False
) -> int:
    """TOTALSIZE of a record (MessageExtEncoder#calMsgLength); sizes in bytes."""
    sizes = []
    for name, value in (
        ("body_size", body_size),
        ("topic_size", topic_size),
        ("properties_size", properties_size),
    ):
        number = operator.index(value)
        if number < 0:
            raise ValueError(f"{name} must be >= 0, got {number}")
        sizes.append(number)
    return (
        88
        + (12 if born_v6 else 0)
        + (12 if store_v6 else 0)
        + sizes[0]
        + (2 if topic_v2 else 1)
        + sizes[1]
        + 2
        + sizes[2]
    )


def _host(host: object, name: str) -> tuple[bytes, int]:
    ip, port = host
    ip = bytes(_byte_view(ip))
    if len(ip) not in (4, 16):
        raise ValueError(f"{name} address must be 4 (IPv4) or 16 (IPv6) bytes, got {len(ip)}")
    port = operator.index(port)
    if not 0 <= port <= 65535:
        raise ValueError(f"{name} port out of range: {port}")
    return ip, port


def _prepare(fields: dict) -> tuple:
    """Validate encode_record's keywords in the Cython twin's order."""
    ints = (
        ("queue_id", _INT32_MIN, _INT32_MAX),
        ("flag", _INT32_MIN, _INT32_MAX),
        ("queue_offset", _INT64_MIN, _INT64_MAX),
        ("physical_offset", _INT64_MIN, _INT64_MAX),
        ("sys_flag", _INT32_MIN, _INT32_MAX),
        ("born_timestamp", _INT64_MIN, _INT64_MAX),
        ("store_timestamp", _INT64_MIN, _INT64_MAX),
        ("reconsume_times", _INT32_MIN, _INT32_MAX),
        ("prepared_transaction_offset", _INT64_MIN, _INT64_MAX),
    )
    values = {name: _index(fields[name], name, low, high) for name, low, high in ints}
    crc = fields["body_crc"]
    if crc is not None:
        crc = _index(crc, "body_crc", _INT32_MIN, _INT32_MAX)
    return values, crc


def _encode_into(view: memoryview, position: int, values: dict, crc, body, topic, properties):
    """Write one record at ``position`` of a writable byte view; return its size."""
    body = _byte_view(body)
    topic = _byte_view(topic)
    properties = _byte_view(properties)
    born_ip, born_port = _host(values["born_host"], "born_host")
    store_ip, store_port = _host(values["store_host"], "store_host")
    sys_flag = values["sys_flag"]
    born_v6 = len(born_ip) == 16
    store_v6 = len(store_ip) == 16
    if born_v6 != bool(sys_flag & BORNHOST_V6):
        raise ValueError("born_host address width disagrees with sys_flag BORNHOST_V6 (0x10)")
    if store_v6 != bool(sys_flag & STOREHOST_V6):
        raise ValueError("store_host address width disagrees with sys_flag STOREHOST_V6 (0x20)")
    if len(properties) > MAX_PROPERTIES_SIZE:
        raise ValueError(f"properties are {len(properties)} bytes, more than {MAX_PROPERTIES_SIZE}")
    if len(topic) > MAX_TOPIC_SIZE:
        raise ValueError(f"topic is {len(topic)} bytes, more than {MAX_TOPIC_SIZE}")
    topic_v2 = len(topic) > MAX_TOPIC_SIZE_V1
    size = record_size(len(body), len(topic), len(properties), born_v6, store_v6, topic_v2)
    if size > _INT32_MAX:
        raise ValueError(f"record of {size} bytes does not fit TOTALSIZE (int32)")
    if view is None:
        view = memoryview(bytearray(size))
        position = 0
    elif position < 0 or position > len(view) or size > len(view) - position:
        raise ValueError(
            f"record of {size} bytes does not fit the buffer ({len(view)} bytes) "
            f"at position {position}"
        )
    if crc is None:
        crc = zlib.crc32(body) & 0x7FFFFFFF
    _HEAD.pack_into(
        view,
        position,
        size,
        MAGIC_V2 if topic_v2 else MAGIC_V1,
        crc,
        values["queue_id"],
        values["flag"],
        values["queue_offset"],
        values["physical_offset"],
        sys_flag,
        values["born_timestamp"],
    )
    at = position + _BORN_TIMESTAMP_END
    view[at : at + len(born_ip)] = born_ip
    at += len(born_ip)
    _PORT_STAMP.pack_into(view, at, born_port, values["store_timestamp"])
    at += 12
    view[at : at + len(store_ip)] = store_ip
    at += len(store_ip)
    _TWO_I32.pack_into(view, at, store_port, values["reconsume_times"])
    at += 8
    _I64.pack_into(view, at, values["prepared_transaction_offset"])
    at += 8
    _I32.pack_into(view, at, len(body))
    at += 4
    view[at : at + len(body)] = body
    at += len(body)
    if topic_v2:
        _I16.pack_into(view, at, len(topic))
        at += 2
    else:
        view[at] = len(topic)
        at += 1
    view[at : at + len(topic)] = topic
    at += len(topic)
    _I16.pack_into(view, at, len(properties))
    at += 2
    view[at : at + len(properties)] = properties
    return size, view


def encode_record(
    buffer,
    position,
    *,
    queue_id,
    flag,
    queue_offset,
    physical_offset,
    sys_flag,
    born_timestamp,
    born_host,
    store_timestamp,
    store_host,
    reconsume_times,
    prepared_transaction_offset,
    body,
    topic,
    properties,
    body_crc=None,
) -> int:
    """Write one CommitLog record into a writable buffer at ``position``; return its size.

    ``born_host``/``store_host`` are ``(ip_bytes, port)`` with 4- or 16-byte
    addresses that must agree with the sys_flag IPv6 bits. ``topic`` and
    ``properties`` are UTF-8 bytes; topics over 127 bytes get MAGIC_V2.
    ``body_crc`` None computes it. Raises TypeError for a read-only buffer,
    OverflowError for integers outside their Java type, ValueError for a host
    mismatch, properties over 32767 bytes or a record that does not fit.
    """
    position = _index(position, "position", _INT64_MIN, _INT64_MAX)
    fields = {
        "queue_id": queue_id,
        "flag": flag,
        "queue_offset": queue_offset,
        "physical_offset": physical_offset,
        "sys_flag": sys_flag,
        "born_timestamp": born_timestamp,
        "store_timestamp": store_timestamp,
        "reconsume_times": reconsume_times,
        "prepared_transaction_offset": prepared_transaction_offset,
        "body_crc": body_crc,
    }
    values, crc = _prepare(fields)
    values["born_host"] = born_host
    values["store_host"] = store_host
    with _byte_view(buffer) as view:
        if view.readonly:
            raise TypeError("buffer must be writable (bytearray, writable memoryview or mmap)")
        size, _ = _encode_into(view, position, values, crc, body, topic, properties)
        return size


def encode_record_bytes(
    *,
    queue_id,
    flag,
    queue_offset,
    physical_offset,
    sys_flag,
    born_timestamp,
    born_host,
    store_timestamp,
    store_host,
    reconsume_times,
    prepared_transaction_offset,
    body,
    topic,
    properties,
    body_crc=None,
) -> bytes:
    """encode_record into a new bytes object of exactly the record's size."""
    fields = {
        "queue_id": queue_id,
        "flag": flag,
        "queue_offset": queue_offset,
        "physical_offset": physical_offset,
        "sys_flag": sys_flag,
        "born_timestamp": born_timestamp,
        "store_timestamp": store_timestamp,
        "reconsume_times": reconsume_times,
        "prepared_transaction_offset": prepared_transaction_offset,
        "body_crc": body_crc,
    }
    values, crc = _prepare(fields)
    values["born_host"] = born_host
    values["store_host"] = store_host
    _, view = _encode_into(None, 0, values, crc, body, topic, properties)
    return view.tobytes()


def encode_blank(buffer, position, free_space) -> None:
    """Write the end-of-file marker: int32 ``free_space``, int32 BLANK_MAGIC.

    ``free_space`` counts the bytes from ``position`` to the end of the file
    (at least 8, and they must lie inside ``buffer``); only the 8 marker bytes
    are written. Raises ValueError otherwise, TypeError for a read-only buffer.
    """
    position = _index(position, "position", _INT64_MIN, _INT64_MAX)
    free_space = _index(free_space, "free_space", _INT32_MIN, _INT32_MAX)
    with _byte_view(buffer) as view:
        if view.readonly:
            raise TypeError("buffer must be writable (bytearray, writable memoryview or mmap)")
        if free_space < BLANK_SIZE:
            raise ValueError(f"free_space must be >= {BLANK_SIZE}, got {free_space}")
        if position < 0 or position > len(view) or free_space > len(view) - position:
            raise ValueError(
                f"blank of {free_space} bytes at position {position} exceeds the buffer "
                f"({len(view)} bytes)"
            )
        _TWO_I32.pack_into(view, position, free_space, BLANK_MAGIC)


# -- decoding --------------------------------------------------------------------


def _parse(view: memoryview, position: int, limit: int, check_crc: bool) -> tuple:
    """(status, size, reason, layout) of the record at ``position``; never raises.

    ``layout`` (only for RECORD_OK) is (sys_flag, born_size, store_size,
    body_at, body_size, topic_at, topic_size, properties_at, properties_size)
    with positions relative to the record start.
    """
    remaining = limit - position
    if remaining <= 0:
        return RECORD_END, 0, "empty", None
    if remaining < 8:
        if not any(view[position:limit]):
            return RECORD_END, 0, "empty", None
        return RECORD_CORRUPT, -1, "truncated", None
    total, magic = _TWO_I32.unpack_from(view, position)
    if magic == BLANK_MAGIC:
        return RECORD_BLANK, 0, "blank", None
    if total == 0 and magic == 0:
        return RECORD_END, 0, "empty", None
    if magic != MAGIC_V1 and magic != MAGIC_V2:
        return RECORD_CORRUPT, -1, "magic", None
    if total < 0 or total > remaining:
        return RECORD_CORRUPT, -1, "truncated", None
    bad_length = (RECORD_CORRUPT, total if total > 0 else -1, "length", None)
    if total < _MIN_HEADER:
        return bad_length
    sys_flag = _I32.unpack_from(view, position + 36)[0]
    born_size = 20 if sys_flag & BORNHOST_V6 else 8
    store_size = 20 if sys_flag & STOREHOST_V6 else 8
    body_at = 72 + born_size + store_size
    if body_at > total:
        return bad_length
    body_size = _I32.unpack_from(view, position + body_at - 4)[0]
    if body_size < 0 or body_size > total - body_at:
        return bad_length
    at = body_at + body_size
    if magic == MAGIC_V1:
        if at + 1 > total:
            return bad_length
        topic_size = view[position + at]
        at += 1
    else:
        if at + 2 > total:
            return bad_length
        topic_size = _I16.unpack_from(view, position + at)[0]
        at += 2
        if topic_size < 0:
            return bad_length
    if topic_size > total - at:
        return bad_length
    topic_at = at
    at += topic_size
    if at + 2 > total:
        return bad_length
    properties_size = _I16.unpack_from(view, position + at)[0]
    at += 2
    if properties_size < 0 or properties_size != total - at:
        return bad_length
    if check_crc and body_size > 0:
        start = position + body_at
        with view[start : start + body_size] as part:
            crc = zlib.crc32(part) & 0x7FFFFFFF
        if crc != _I32.unpack_from(view, position + 8)[0]:
            return RECORD_CORRUPT, -1, "crc", None
    layout = (
        sys_flag,
        born_size,
        store_size,
        body_at,
        body_size,
        topic_at,
        topic_size,
        at,
        properties_size,
    )
    return RECORD_OK, total, None, layout


def check_record(buffer, position, limit, check_crc=True) -> tuple[int, int]:
    """Check the record at ``position`` without reading past ``limit``; never raises on content.

    Returns ``(status, size)`` (CommitLog#checkMessageAndReturnSize, 5.3.3):

    * ``(RECORD_OK, total_size)``: a v1/v2 record whose field lengths add up
      to TOTALSIZE and (with ``check_crc``) whose body CRC matches. Java checks
      the CRC only for a non-empty body, and so do we.
    * ``(RECORD_BLANK, 0)``: BLANK_MAGIC, the end-of-file marker. Java returns
      size 0 with success and the caller continues at the next file.
    * ``(RECORD_END, 0)``: nothing written here: ``position == limit``, or the
      8 header bytes (or all bytes left when fewer) are zero. Java reports this
      as a failure (magic 0 is illegal) and recovery stops there; we separate
      it from corruption because it is the normal end of the written data.
    * ``(RECORD_CORRUPT, size)``: bad magic, TOTALSIZE negative or past
      ``limit``, header cut short, or CRC mismatch: size -1, like Java's
      ``DispatchRequest(-1, false)``. When magic and TOTALSIZE are plausible
      but the lengths inside disagree with TOTALSIZE, size is TOTALSIZE
      (Java's "[BUG]read total count not equals msg total size" result,
      which ReputMessageService skips and recovery truncates).

    Stricter than Java on garbage: a negative body or properties length is
    corrupt (Java treats it as 0), and a v1 topic length is an unsigned byte
    (Java reads a signed byte and fails on topics of 128-255 bytes, which
    only exist when autoMessageVersionOnTopicLen is off).
    Raises ValueError unless 0 <= position <= limit <= len(buffer).
    """
    with _byte_view(buffer) as view:
        position, limit = _range_args(view, position, limit)
        status, size, _, _ = _parse(view, position, limit, bool(check_crc))
        return status, size


def _format_host(ip: bytes, port: int) -> str:
    # Java's InetAddress.getByAddress turns an IPv4-mapped IPv6 address into
    # an Inet4Address; RemotingHelper.parseSocketAddressAddr then prints
    # InetSocketAddress#toString minus the "host/" prefix (JDK 14+ brackets IPv6).
    if len(ip) == 16 and ip[:12] == b"\x00" * 10 + b"\xff\xff":
        ip = ip[12:]
    if len(ip) == 4:
        return f"{ip[0]}.{ip[1]}.{ip[2]}.{ip[3]}:{port}"
    groups = ":".join(f"{(ip[i] << 8) | ip[i + 1]:x}" for i in range(0, 16, 2))
    return f"[{groups}]:{port}"


def _msg_id(ip: bytes, port: int, offset: int) -> str:
    return (ip + _I32_I64.pack(port, offset)).hex().upper()


class MessageRecord:
    """A decoded CommitLog record (read-only); see decode_record.

    ``born_host``/``store_host`` are ``(ip_bytes, port)``; ``body`` is bytes,
    or None when decoded with ``read_body=False``; ``topic`` and
    ``properties`` (the raw NAME\\x01VALUE\\x02 string) are str.
    """

    __slots__ = (
        "body",
        "body_crc",
        "born_host",
        "born_timestamp",
        "flag",
        "magic",
        "physical_offset",
        "prepared_transaction_offset",
        "properties",
        "queue_id",
        "queue_offset",
        "reconsume_times",
        "store_host",
        "store_timestamp",
        "sys_flag",
        "topic",
        "total_size",
    )

    def __init__(self) -> None:
        for name in self.__slots__:
            object.__setattr__(self, name, 0)
        object.__setattr__(self, "born_host", (b"\x00\x00\x00\x00", 0))
        object.__setattr__(self, "store_host", (b"\x00\x00\x00\x00", 0))
        object.__setattr__(self, "body", None)
        object.__setattr__(self, "topic", "")
        object.__setattr__(self, "properties", "")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"MessageRecord.{name} is read-only")

    def properties_dict(self) -> dict:
        """The properties as Java's string2messageProperties parses them."""
        return string_to_properties(self.properties)

    @property
    def born_host_str(self) -> str:
        """``"ip:port"``; IPv6 as ``"[a:b:c:d:e:f:g:h]:port"`` like Java 17."""
        return _format_host(*self.born_host)

    @property
    def store_host_str(self) -> str:
        return _format_host(*self.store_host)

    @property
    def tags(self) -> str | None:
        return string_to_properties(self.properties).get("TAGS")

    @property
    def keys(self) -> list:
        """KEYS split on spaces, empty pieces dropped (IndexService#buildIndex)."""
        keys = string_to_properties(self.properties).get("KEYS")
        return [] if keys is None else [key for key in keys.split(" ") if key]

    @property
    def uniq_key(self) -> str | None:
        return string_to_properties(self.properties).get("UNIQ_KEY")

    @property
    def msg_id(self) -> str:
        """The offset message id: STOREHOST + PHYSICALOFFSET in hex (MessageDecoder#decode)."""
        return _msg_id(self.store_host[0], self.store_host[1], self.physical_offset)

    def _key(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MessageRecord):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"MessageRecord(topic={self.topic!r}, queue_id={self.queue_id}, "
            f"queue_offset={self.queue_offset}, physical_offset={self.physical_offset}, "
            f"total_size={self.total_size})"
        )


class DispatchRecord:
    """What the ConsumeQueue/IndexFile dispatcher needs of one record (read-only).

    ``position`` is the record's position in the scanned buffer (add the
    file's start offset for a commit-log offset); ``physical_offset`` is the
    PHYSICALOFFSET field. ``tags_code`` is tags_hash(TAGS) (0 without tags):
    for SCHEDULE_TOPIC_XXXX the dispatcher replaces it with the delivery
    time. ``keys`` is the raw KEYS property (space separated, like
    DispatchRequest#getKeys) or None; ``uniq_key`` the UNIQ_KEY property or
    None; ``properties`` the raw property string ("" when there is none).
    """

    __slots__ = (
        "keys",
        "physical_offset",
        "position",
        "prepared_transaction_offset",
        "properties",
        "queue_id",
        "queue_offset",
        "store_timestamp",
        "sys_flag",
        "tags_code",
        "topic",
        "total_size",
        "uniq_key",
    )

    def __init__(self) -> None:
        for name in self.__slots__:
            object.__setattr__(self, name, 0)
        object.__setattr__(self, "keys", None)
        object.__setattr__(self, "uniq_key", None)
        object.__setattr__(self, "topic", "")
        object.__setattr__(self, "properties", "")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"DispatchRecord.{name} is read-only")

    def _key(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DispatchRecord):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"DispatchRecord(position={self.position}, total_size={self.total_size}, "
            f"topic={self.topic!r}, queue_id={self.queue_id}, queue_offset={self.queue_offset})"
        )


def _text(view: memoryview, start: int, size: int) -> str:
    return str(view[start : start + size], "utf-8", "replace")


def _decode(view: memoryview, position: int, layout: tuple, read_body: bool) -> MessageRecord:
    (
        sys_flag,
        born_size,
        store_size,
        body_at,
        body_size,
        topic_at,
        topic_size,
        properties_at,
        properties_size,
    ) = layout
    total, magic, crc, queue_id, flag, queue_offset, physical_offset, _, born_timestamp = (
        _HEAD.unpack_from(view, position)
    )
    at = position + _BORN_TIMESTAMP_END
    born_ip = view[at : at + born_size - 4].tobytes()
    at += born_size - 4
    born_port, store_timestamp = _PORT_STAMP.unpack_from(view, at)
    at += 12
    store_ip = view[at : at + store_size - 4].tobytes()
    at += store_size - 4
    store_port, reconsume_times = _TWO_I32.unpack_from(view, at)
    prepared = _I64.unpack_from(view, at + 8)[0]
    record = MessageRecord.__new__(MessageRecord)
    values = (
        ("total_size", total),
        ("magic", magic),
        ("body_crc", crc),
        ("queue_id", queue_id),
        ("flag", flag),
        ("queue_offset", queue_offset),
        ("physical_offset", physical_offset),
        ("sys_flag", sys_flag),
        ("born_timestamp", born_timestamp),
        ("born_host", (born_ip, born_port)),
        ("store_timestamp", store_timestamp),
        ("store_host", (store_ip, store_port)),
        ("reconsume_times", reconsume_times),
        ("prepared_transaction_offset", prepared),
        (
            "body",
            view[position + body_at : position + body_at + body_size].tobytes()
            if read_body
            else None,
        ),
        ("topic", _text(view, position + topic_at, topic_size)),
        ("properties", _text(view, position + properties_at, properties_size)),
    )
    for name, value in values:
        object.__setattr__(record, name, value)
    return record


def decode_record(buffer, position, read_body=True, check_crc=False) -> MessageRecord:
    """Decode the record at ``position`` (MessageDecoder#decode without decompression).

    Raises ProtocolError when check_record would not say RECORD_OK (blank,
    zero-filled, bad magic, truncated, lengths disagreeing with TOTALSIZE or,
    with ``check_crc``, a body CRC mismatch), ValueError for a position
    outside the buffer.
    """
    with _byte_view(buffer) as view:
        position, limit = _range_args(view, position, len(view))
        status, _, reason, layout = _parse(view, position, limit, bool(check_crc))
        if status != RECORD_OK:
            raise ProtocolError(f"cannot decode record at {position}: {_REASONS[reason]}")
        return _decode(view, position, layout, bool(read_body))


def _dispatch(view: memoryview, position: int, layout: tuple) -> DispatchRecord:
    total, _, _, queue_id, _, queue_offset, physical_offset, sys_flag, _ = _HEAD.unpack_from(
        view, position
    )
    born_size, store_size = layout[1], layout[2]
    store_timestamp = _I64.unpack_from(view, position + 40 + 8 + born_size)[0]
    prepared = _I64.unpack_from(view, position + 60 + born_size + store_size)[0]
    properties = _text(view, position + layout[7], layout[8])
    parsed = string_to_properties(properties)
    tags = parsed.get("TAGS")
    record = DispatchRecord.__new__(DispatchRecord)
    values = (
        ("position", position),
        ("total_size", total),
        ("queue_id", queue_id),
        ("queue_offset", queue_offset),
        ("physical_offset", physical_offset),
        ("sys_flag", sys_flag),
        ("store_timestamp", store_timestamp),
        ("prepared_transaction_offset", prepared),
        ("tags_code", _java_string_hash(tags) if tags else 0),
        ("topic", _text(view, position + layout[5], layout[6])),
        ("keys", parsed.get("KEYS")),
        ("uniq_key", parsed.get("UNIQ_KEY")),
        ("properties", properties),
    )
    for name, value in values:
        object.__setattr__(record, name, value)
    return record


def scan_records(
    buffer, position, limit, check_crc, max_records=SCAN_MAX_RECORDS
) -> tuple[list, int, int, int]:
    """Walk consecutive records from ``position`` for recovery and dispatch.

    Returns ``(records, status, position, size)``: a DispatchRecord for each
    RECORD_OK record in order, then where and why the walk stopped:
    ``status``/``size`` are check_record's result for the record at the
    returned ``position`` (RECORD_END when it reached ``limit`` or zeros,
    RECORD_BLANK at the end-of-file marker, RECORD_CORRUPT), or
    ``(RECORD_OK, 0)`` when ``max_records`` records were returned and the
    walk can continue from ``position``. Never reads past ``limit`` and never
    raises on content; ValueError for bad positions or max_records < 1.
    """
    max_records = _index(max_records, "max_records", _INT64_MIN, _INT64_MAX)
    if max_records < 1:
        raise ValueError(f"max_records must be >= 1, got {max_records}")
    check_crc = bool(check_crc)
    with _byte_view(buffer) as view:
        position, limit = _range_args(view, position, limit)
        records = []
        while len(records) < max_records:
            status, size, _, layout = _parse(view, position, limit, check_crc)
            if status != RECORD_OK:
                return records, status, position, size
            records.append(_dispatch(view, position, layout))
            position += size
        return records, RECORD_OK, position, 0


# -- properties --------------------------------------------------------------------


def properties_to_string(properties) -> str:
    """Java messageProperties2String: NAME \\x01 VALUE \\x02 per pair, None values skipped.

    ``None`` gives "". Raises TypeError for a name or value that is not str
    (Java would print a null name as "null"; ours must be str).
    """
    if properties is None:
        return ""
    parts = []
    for name, value in properties.items():
        if value is None:
            continue
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(f"property names and values must be str, got {name!r}: {value!r}")
        parts.append(f"{name}\x01{value}\x02")
    return "".join(parts)


def string_to_properties(text) -> dict:
    """Java string2messageProperties: split on \\x02, the first \\x01 splits name and value.

    Pieces without a \\x01, with an empty name or an empty value are
    ignored; a later duplicate name wins. ``None`` gives {}.
    """
    result: dict = {}
    if text is None:
        return result
    if not isinstance(text, str):
        raise TypeError(f"properties must be str, got {type(text).__name__}")
    size = len(text)
    index = 0
    while index < size:
        end = text.find("\x02", index)
        if end < 0:
            end = size
        if end - index >= 3:
            separator = text.find("\x01", index, end)
            if index < separator < end - 1:
                result[text[index:separator]] = text[separator + 1 : end]
        index = end + 1
    return result


# -- message ids --------------------------------------------------------------------


def offset_msg_id(store_host, physical_offset) -> str:
    """Uppercase hex of store ip + int32 port + int64 offset (32 chars IPv4, 56 IPv6)."""
    physical_offset = _index(physical_offset, "physical_offset", _INT64_MIN, _INT64_MAX)
    ip, port = _host(store_host, "store_host")
    return _msg_id(ip, port, physical_offset)


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def decode_offset_msg_id(msg_id) -> tuple[bytes, int, int]:
    """``(ip_bytes, port, physical_offset)`` of an offset message id.

    Raises TypeError for a non-str, ValueError unless it is 32 (IPv4) or 56
    (IPv6) hex digits (either case, like Java's UtilAll#string2bytes).
    """
    if not isinstance(msg_id, str):
        raise TypeError(f"msg_id must be str, got {type(msg_id).__name__}")
    if len(msg_id) not in (32, 56):
        raise ValueError(f"offset message id must be 32 or 56 hex digits, got {len(msg_id)}")
    if not _HEX_DIGITS.issuperset(msg_id):
        raise ValueError(f"offset message id is not hex: {msg_id!r}")
    data = bytes.fromhex(msg_id)
    ip_size = len(data) - 12
    port, offset = _I32_I64.unpack_from(data, ip_size)
    return data[:ip_size], port, offset


# -- producer batch body (SEND_BATCH_MESSAGE) -----------------------------------------


def decode_batch_body(body) -> list:
    """Split a batch body into ``[(flag, body, properties), ...]``.

    Per message: int32 TOTALSIZE, int32 MAGICCODE, int32 BODYCRC, int32 FLAG,
    int32 BODYLEN, BODY, int16 PROPERTIESLENGTH, PROPERTIES (UTF-8). Like the
    Java broker (MessageExtEncoder#encode(MessageExtBatch)) TOTALSIZE, MAGIC
    and BODYCRC are not checked; the broker computes its own CRC. Raises
    ProtocolError for a truncated entry or a negative length.
    """
    result = []
    with _byte_view(body) as view:
        size = len(view)
        at = 0
        while at < size:
            if size - at < 22:
                raise ProtocolError(f"batch entry at {at} is truncated ({size - at} bytes left)")
            _, _, _, flag, body_size = _BATCH_HEAD.unpack_from(view, at)
            at += 20
            if body_size < 0 or body_size > size - at - 2:
                raise ProtocolError(f"batch entry body length {body_size} at {at - 4} is invalid")
            message_body = view[at : at + body_size].tobytes()
            at += body_size
            properties_size = _I16.unpack_from(view, at)[0]
            at += 2
            if properties_size < 0 or properties_size > size - at:
                raise ProtocolError(
                    f"batch entry properties length {properties_size} at {at - 2} is invalid"
                )
            result.append((flag, message_body, _text(view, at, properties_size)))
            at += properties_size
    return result


def encode_batch_body(messages) -> bytes:
    """The batch body a Java producer sends (MessageDecoder#encodeMessages).

    ``messages`` is an iterable of ``(flag, body, properties)`` with
    ``properties`` a str (see properties_to_string). MAGICCODE and BODYCRC
    are 0 as Java writes them. Raises ValueError for properties over 32767
    UTF-8 bytes, OverflowError for a flag outside int32.
    """
    parts = []
    for flag, message_body, properties in messages:
        flag = _index(flag, "flag", _INT32_MIN, _INT32_MAX)
        if not isinstance(properties, str):
            raise TypeError(f"properties must be str, got {type(properties).__name__}")
        data = bytes(_byte_view(message_body))
        encoded = properties.encode("utf-8")
        if len(encoded) > MAX_PROPERTIES_SIZE:
            raise ValueError(
                f"properties are {len(encoded)} bytes, more than {MAX_PROPERTIES_SIZE}"
            )
        total = 22 + len(data) + len(encoded)
        parts.append(_BATCH_HEAD.pack(total, 0, 0, flag, len(data)))
        parts.append(data)
        parts.append(_I16.pack(len(encoded)))
        parts.append(encoded)
    return b"".join(parts)
