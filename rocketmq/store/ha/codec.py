"""The classic HA wire format (shared/spec/store.md §12), both directions big-endian.

Slave -> master: an 8-byte frame, int64 = the slave's CommitLog max offset
(HAService$HAClient#reportSlaveMaxOffset). Master -> slave: a 12-byte header,
int64 physical offset of the first byte + int32 body size, then that many
raw CommitLog bytes (HAConnection$WriteSocketService: ``headerSize`` 12); a
size of 0 is a heartbeat that only restates the offset.
"""

from __future__ import annotations

import struct

_REPORT = struct.Struct(">q")
_HEADER = struct.Struct(">qi")

REPORT_SIZE = _REPORT.size  # 8
HEADER_SIZE = _HEADER.size  # 12
HEADER_OFFSET_AT = 0  # int64 physical offset
HEADER_BODY_SIZE_AT = 8  # int32 body size


def pack_report(max_offset: int) -> bytes:
    return _REPORT.pack(max_offset)


def unpack_report(frame: bytes) -> int:
    return _REPORT.unpack(frame)[0]


def pack_header(physical_offset: int, body_size: int) -> bytes:
    return _HEADER.pack(physical_offset, body_size)


def unpack_header(frame: bytes) -> tuple[int, int]:
    """(physical offset, body size)."""
    return _HEADER.unpack(frame)
