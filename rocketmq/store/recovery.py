"""CommitLog recovery: find the end of the valid records and cut everything after it.

Normal (clean exit): walk from the third-last segment. Abnormal (abort file
present): walk back to the newest segment whose first record is valid and
was stored before the checkpoint's safe time, and walk (and re-dispatch)
from there. The walk checks magic, sizes and, with ``check_crc``, body CRCs;
the first record that fails ends the log and the tail is zeroed, so a
half-written record is never exposed.

The body CRC does not cover the properties, so a record torn inside its
properties would pass the size checks. Every stored property string ends
with the \x02 separator (Java writes one after each pair; CommitLog.append
enforces it), so recovery also requires that trailing byte.
"""

from __future__ import annotations

import logging

from rocketmq._core import message as msgfmt
from rocketmq.store.mapped_file import MappedFile
from rocketmq.store.mapped_file_queue import MappedFileQueue

logger = logging.getLogger("rocketmq.store")


def _first_record_time(mapped: MappedFile) -> int:
    status, _size = msgfmt.check_record(mapped.map, 0, mapped.file_size, True)
    if status != msgfmt.RECORD_OK:
        return 0
    return msgfmt.decode_record(mapped.map, 0, read_body=False).store_timestamp


def _walk_start(files: list[MappedFile], normal: bool, min_timestamp: int) -> int:
    if normal:
        return max(0, len(files) - 3)
    for index in range(len(files) - 1, -1, -1):
        stored = _first_record_time(files[index])
        if stored and stored <= min_timestamp:
            return index
    return 0


def _first_torn(records: list) -> object | None:
    for record in records:
        properties = record.properties
        if properties and properties[-1] != "\x02":
            return record
    return None


def recover_commit_log(
    queue: MappedFileQueue, *, check_crc: bool, normal: bool, min_timestamp: int
) -> tuple[int, int]:
    """Validate the log tail and truncate after the last good record.

    Returns ``(end_offset, walk_start_offset)``.
    """
    files = queue.files
    if not files:
        return 0, 0
    start_index = _walk_start(files, normal, min_timestamp)
    walk_start = files[start_index].file_from_offset
    end_offset = walk_start
    for mapped in files[start_index:]:
        position = 0
        status = msgfmt.RECORD_OK
        while True:
            records, status, stop, _size = msgfmt.scan_records(
                mapped.map, position, mapped.file_size, check_crc
            )
            torn = _first_torn(records) if check_crc else None
            if torn is not None:
                position = torn.position
                status = msgfmt.RECORD_CORRUPT
                break
            position = stop
            if status != msgfmt.RECORD_OK:
                break
        end_offset = mapped.file_from_offset + position
        if status == msgfmt.RECORD_BLANK:
            end_offset = mapped.file_from_offset + mapped.file_size
            continue
        if status == msgfmt.RECORD_CORRUPT:
            logger.warning(
                "recover commitlog: corrupt record at offset %d, truncating the tail", end_offset
            )
        break
    logger.info(
        "recover commitlog (%s): walked from %d, end offset %d",
        "normal" if normal else "abnormal",
        walk_start,
        end_offset,
    )
    queue.truncate(end_offset)
    return end_offset, walk_start
