"""Type stub of rocketmq._core.storefmt (and its pure twin); see storefmt.pyx."""

from collections.abc import Iterable
from typing import Final

from _typeshed import ReadableBuffer, WriteableBuffer

CQ_UNIT_SIZE: Final[int]
CQ_FILLER_SIZE: Final[int]
CQ_EXT_ADDRESS_MAX: Final[int]
CQ_SCAN_DONE: Final[int]
CQ_SCAN_INVALID: Final[int]
CQ_SCAN_FULL: Final[int]
INDEX_HEADER_SIZE: Final[int]
HASH_SLOT_SIZE: Final[int]
INDEX_ENTRY_SIZE: Final[int]
DEFAULT_SLOT_NUM: Final[int]
DEFAULT_INDEX_NUM: Final[int]
CHECKPOINT_SIZE: Final[int]

def java_string_hash(text: str) -> int: ...
def tags_hash(tags: str | None) -> int: ...
def index_key_hash(key: str) -> int: ...
def pack_cq_unit(
    buffer: WriteableBuffer, position: int, commitlog_offset: int, size: int, tags_code: int
) -> None: ...
def unpack_cq_unit(buffer: ReadableBuffer, position: int) -> tuple[int, int, int]: ...
def pack_cq_units(units: Iterable[tuple[int, int, int]]) -> bytes: ...
def cq_valid_units(buffer: ReadableBuffer, position: int, limit: int) -> int: ...
def scan_cq(
    buffer: ReadableBuffer,
    position: int,
    count: int,
    code_set: Iterable[int] | None = None,
    max_messages: int = 32,
    max_bytes: int = 262144,
) -> tuple[list[tuple[int, int, int]], int, int]: ...
def index_file_size(slot_num: int, index_num: int) -> int: ...

class IndexHeader:
    begin_timestamp: int
    end_timestamp: int
    begin_phy_offset: int
    end_phy_offset: int
    hash_slot_count: int
    index_count: int
    def __init__(
        self,
        begin_timestamp: int = 0,
        end_timestamp: int = 0,
        begin_phy_offset: int = 0,
        end_phy_offset: int = 0,
        hash_slot_count: int = 0,
        index_count: int = 0,
    ) -> None: ...
    def pack(self) -> bytes: ...
    def pack_into(self, buffer: WriteableBuffer, position: int = 0) -> None: ...
    @staticmethod
    def unpack(buffer: ReadableBuffer, position: int = 0) -> IndexHeader: ...
    def is_time_matched(self, begin_ms: int, end_ms: int) -> bool: ...
    def is_write_full(self, index_num: int) -> bool: ...
    def __eq__(self, other: object) -> bool: ...

def index_put(
    buffer: WriteableBuffer,
    slot_num: int,
    index_num: int,
    key: str | int,
    commitlog_offset: int,
    store_timestamp: int,
) -> bool: ...
def index_lookup(
    buffer: ReadableBuffer,
    slot_num: int,
    index_num: int,
    key_hash: int | str,
    begin_ms: int,
    end_ms: int,
    max_num: int,
) -> list[int]: ...
def pack_checkpoint(
    physic_ts: int,
    logics_ts: int,
    index_ts: int,
    master_flushed_offset: int,
    confirm_phy_offset: int,
) -> bytes: ...
def unpack_checkpoint(buffer: ReadableBuffer) -> tuple[int, int, int, int, int]: ...
