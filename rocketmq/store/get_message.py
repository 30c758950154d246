"""Which stored messages a pull gets (DefaultMessageStore#getMessage upstream).

A selection walks the ConsumeQueue units from the asked offset, filters by
tag hash in Cython and, for SQL92 subscriptions, by each candidate's
properties read from its CommitLog record. It returns held segment ranges,
never copies: the broker sends them with sendfile or a view, then releases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rocketmq._core import message as msgfmt
from rocketmq._core import storefmt
from rocketmq.store.commit_log import CommitLog
from rocketmq.store.consume_queue import ConsumeQueue
from rocketmq.store.mapped_file import MappedFile
from rocketmq.store.status import GetMessageStatus

# Units examined per pull when a filter skips messages (maxFilterMessageSize / 20).
FILTER_SCAN_UNITS_MAX = 16000 // storefmt.CQ_UNIT_SIZE

# A pull's property filter (SQL92): a message's properties -> deliver it?
MessageFilter = Callable[[dict[str, str]], bool]
_SCAN_BYTES_UNLIMITED = 2**62


@dataclass
class GetMessageResult:
    """A pull's outcome. ``segments`` are (segment, position, size) of whole records.

    Each segment is held (kept mapped) until ``release()``; the broker sends
    the bytes with sendfile or a view, then releases.
    """

    status: GetMessageStatus
    next_begin_offset: int = 0
    min_offset: int = 0
    max_offset: int = 0
    segments: list[tuple[MappedFile, int, int]] = field(default_factory=list)
    message_queue_offsets: list[int] = field(default_factory=list)

    @property
    def message_count(self) -> int:
        return len(self.segments)

    @property
    def total_size(self) -> int:
        return sum(size for _mapped, _position, size in self.segments)

    def views(self) -> list[memoryview]:
        return [mapped.view(position, size) for mapped, position, size in self.segments]

    def release(self) -> None:
        for mapped, _position, _size in self.segments:
            mapped.release()
        self.segments = []


# maxTransferBytesOnMessageInMemory: a pull answers at most this many bytes.
MAX_TRANSFER_BYTES = 256 * 1024


def select_messages(
    queue: ConsumeQueue | None,
    commit_log: CommitLog,
    offset: int,
    max_msg_nums: int,
    code_set: set[int] | None = None,
    max_bytes: int = MAX_TRANSFER_BYTES,
    message_filter: MessageFilter | None = None,
) -> GetMessageResult:
    """Select up to ``max_msg_nums`` records of ``queue`` from logical ``offset`` on.

    ``code_set`` holds tag hash codes to accept (None: every message).
    ``message_filter`` (SQL92 subscriptions) then decides on each
    candidate's properties, read from its record; a refused message is
    skipped like a tag mismatch (ExpressionMessageFilter#isMatchedByCommitLog).
    """
    if queue is None:
        return GetMessageResult(GetMessageStatus.NO_MATCHED_LOGIC_QUEUE)
    min_offset, max_offset = queue.min_offset, queue.max_offset
    result = GetMessageResult(
        GetMessageStatus.NO_MESSAGE_IN_QUEUE, min_offset=min_offset, max_offset=max_offset
    )
    if max_offset == 0:
        return result
    if offset < min_offset:
        result.status = GetMessageStatus.OFFSET_TOO_SMALL
        result.next_begin_offset = min_offset
        return result
    if offset == max_offset:
        result.status = GetMessageStatus.OFFSET_OVERFLOW_ONE
        result.next_begin_offset = offset
        return result
    if offset > max_offset:
        result.status = GetMessageStatus.OFFSET_OVERFLOW_BADLY
        result.next_begin_offset = min_offset if min_offset == 0 else max_offset
        return result

    window = max(FILTER_SCAN_UNITS_MAX, max_msg_nums)
    found = queue.units_at(offset, window)
    if found is None:
        result.status = GetMessageStatus.OFFSET_FOUND_NULL
        result.next_begin_offset = offset
        return result
    mapped_cq, position, count = found
    if message_filter is not None:
        _select_by_properties(
            result,
            commit_log,
            offset,
            (mapped_cq, position, count),
            code_set,
            max(1, max_msg_nums),
            max_bytes,
            message_filter,
        )
        return result
    units, scanned, _stop = storefmt.scan_cq(
        mapped_cq.map,
        position,
        count,
        code_set,
        max_messages=max(1, max_msg_nums),
        max_bytes=max_bytes,
    )
    result.next_begin_offset = offset + scanned
    removing = False
    for commitlog_offset, size, index in units:
        mapped = commit_log.queue.find(commitlog_offset)
        if mapped is None or not mapped.hold():
            removing = True
            continue
        result.segments.append((mapped, commitlog_offset - mapped.file_from_offset, size))
        result.message_queue_offsets.append(offset + index)
    if result.segments:
        result.status = GetMessageStatus.FOUND
    elif removing:
        result.status = GetMessageStatus.MESSAGE_WAS_REMOVING
    else:
        result.status = GetMessageStatus.NO_MATCHED_MESSAGE
    return result


def _select_by_properties(
    result: GetMessageResult,
    commit_log: CommitLog,
    offset: int,
    window: tuple[MappedFile, int, int],
    code_set: set[int] | None,
    max_messages: int,
    max_bytes: int,
    message_filter: MessageFilter,
) -> None:
    """The unit loop when each candidate's properties decide.

    As upstream, the batch limits count delivered messages only (checked
    before a unit is read), and when nothing is delivered the status is
    that of the last unit skipped: NO_MATCHED_MESSAGE or MESSAGE_WAS_REMOVING.
    """
    mapped_cq, position, count = window
    units, scanned, _stop = storefmt.scan_cq(
        mapped_cq.map,
        position,
        count,
        code_set,
        max_messages=count,
        max_bytes=_SCAN_BYTES_UNLIMITED,
    )
    status = GetMessageStatus.NO_MATCHED_MESSAGE
    total_bytes = 0
    for commitlog_offset, size, index in units:
        if result.segments and (
            len(result.segments) >= max_messages or total_bytes + size > max_bytes
        ):
            scanned = index  # this unit is not consumed
            break
        mapped = commit_log.queue.find(commitlog_offset)
        if mapped is None or not mapped.hold():
            status = GetMessageStatus.MESSAGE_WAS_REMOVING
            continue
        record_position = commitlog_offset - mapped.file_from_offset
        properties = record_properties(mapped, record_position)
        if properties is None or not message_filter(properties):
            mapped.release()
            status = GetMessageStatus.NO_MATCHED_MESSAGE
            continue
        result.segments.append((mapped, record_position, size))
        result.message_queue_offsets.append(offset + index)
        total_bytes += size
    result.next_begin_offset = offset + scanned
    result.status = GetMessageStatus.FOUND if result.segments else status


def record_properties(mapped: MappedFile, position: int) -> dict[str, str] | None:
    """The properties of the record at ``position``; None when it is not a valid record."""
    try:
        record = msgfmt.decode_record(mapped.map, position, read_body=False)
    except ValueError:  # ProtocolError: not a valid record (upstream: no match)
        return None
    return record.properties_dict()
