"""ConsumeQueue: per (topic, queueId) index of 20-byte units into the CommitLog.

Unit n (the logical offset) lives at byte n * 20 across the queue's segments.
Units are derived from the CommitLog by the dispatcher and can be rebuilt.
"""

from __future__ import annotations

import logging
from pathlib import Path

from rocketmq._core import storefmt
from rocketmq.store.mapped_file import MappedFile
from rocketmq.store.mapped_file_queue import MappedFileQueue

logger = logging.getLogger("rocketmq.store")

UNIT_SIZE = storefmt.CQ_UNIT_SIZE
# Filler unit written before the first real unit of a queue that starts late.
_FILLER = (0, 0x7FFFFFFF, 0)


class ConsumeQueue:
    def __init__(self, topic: str, queue_id: int, root: Path, units_per_file: int) -> None:
        self.topic = topic
        self.queue_id = queue_id
        self.file_size = units_per_file * UNIT_SIZE
        self.files = MappedFileQueue(root / topic / str(queue_id), self.file_size)
        # One past the last CommitLog byte covered by a unit: dispatch skips
        # records below it, which makes re-dispatch after recovery idempotent.
        self.max_physical_offset = -1
        self.min_logic_offset = 0  # bytes; first retained unit after expiry

    # -- loading and recovery ----------------------------------------------------------

    def load(self) -> None:
        self.files.load()

    def recover(self) -> None:
        """Keep the valid prefix of units, from the third-last segment on (as upstream)."""
        files = self.files.files
        if not files:
            return
        start = max(0, len(files) - 3)
        for mapped in files[:start]:
            mapped.set_positions(self.file_size)
        end_offset = files[start].file_from_offset
        for mapped in files[start:]:
            valid = storefmt.cq_valid_units(mapped.map, 0, self.file_size)
            end_offset = mapped.file_from_offset + valid * UNIT_SIZE
            if valid * UNIT_SIZE < self.file_size:
                break
        self.files.truncate(end_offset)
        self.max_physical_offset = -1
        last = self.files.last_file()
        if last is not None and last.wrote >= UNIT_SIZE:
            offset, size, _tags = storefmt.unpack_cq_unit(last.map, last.wrote - UNIT_SIZE)
            if size != _FILLER[1] or offset != 0:
                self.max_physical_offset = offset + size
        first = self.files.first_file()
        if first is not None and self.min_logic_offset < first.file_from_offset:
            self.min_logic_offset = first.file_from_offset

    # -- offsets ------------------------------------------------------------------------------

    @property
    def max_offset(self) -> int:
        """Next logical offset to be assigned (units)."""
        return self.files.max_offset // UNIT_SIZE

    @property
    def min_offset(self) -> int:
        """First logical offset still present (units)."""
        return max(self.min_logic_offset, self.files.min_offset) // UNIT_SIZE

    # -- writes (dispatch) -------------------------------------------------------------------

    def put(self, commitlog_offset: int, size: int, tags_code: int, queue_offset: int) -> bool:
        """Append the unit of logical offset ``queue_offset``.

        Returns False when it was skipped as already present. Raises OSError
        when a new segment cannot be created.
        """
        if commitlog_offset + size <= self.max_physical_offset:
            return False
        expected = queue_offset * UNIT_SIZE
        files = self.files.files
        mapped = files[-1] if files else None
        if mapped is None or mapped.wrote >= self.file_size:
            mapped = self._writable(expected)
        current = mapped.file_from_offset + mapped.wrote
        if expected < current:
            return False
        if expected > current:
            logger.error(
                "logic queue order maybe wrong: %s-%d expected %d current %d",
                self.topic,
                self.queue_id,
                expected,
                current,
            )
        storefmt.pack_cq_unit(mapped.map, mapped.wrote, commitlog_offset, size, tags_code)
        mapped.wrote += UNIT_SIZE
        self.max_physical_offset = commitlog_offset + size
        return True

    def _writable(self, expected: int) -> MappedFile:
        if self.files.last_file() is None:
            start = expected - expected % self.file_size
            mapped = self.files.create_file(start)
            if expected > start:
                # The queue starts late (after expiry, or a rebuilt queue):
                # pad with filler units so unit n stays at byte n * 20.
                filler = storefmt.pack_cq_units([_FILLER] * ((expected - start) // UNIT_SIZE))
                mapped.map[0 : len(filler)] = filler
                mapped.wrote = len(filler)
            self.min_logic_offset = expected
            return mapped
        return self.files.writable_file()

    # -- reads ----------------------------------------------------------------------------------

    def units_at(self, queue_offset: int, count_max: int) -> tuple[MappedFile, int, int] | None:
        """Where units from ``queue_offset`` are: (segment, byte position, unit count).

        The count stops at the end of that segment and at the written end.
        None when ``queue_offset`` is outside the queue.
        """
        byte_offset = queue_offset * UNIT_SIZE
        if byte_offset < self.min_logic_offset:
            return None
        mapped = self.files.find(byte_offset)
        if mapped is None:
            return None
        position = byte_offset - mapped.file_from_offset
        available = (mapped.wrote - position) // UNIT_SIZE
        if available <= 0:
            return None
        return mapped, position, min(available, count_max)

    def unit(self, queue_offset: int) -> tuple[int, int, int] | None:
        """(commitlog offset, size, tags code) of one unit, or None."""
        found = self.units_at(queue_offset, 1)
        if found is None:
            return None
        mapped, position, _count = found
        return storefmt.unpack_cq_unit(mapped.map, position)

    # -- truncation and expiry -------------------------------------------------------------

    def truncate_dirty(self, commitlog_offset: int) -> None:
        """Drop units pointing at or beyond ``commitlog_offset`` (CommitLog was truncated)."""
        files = self.files.files
        cut = self.files.max_offset
        for mapped in reversed(files):
            position = mapped.wrote - UNIT_SIZE
            while position >= 0:
                offset, _size, _tags = storefmt.unpack_cq_unit(mapped.map, position)
                if offset < commitlog_offset:
                    break
                cut = mapped.file_from_offset + position
                position -= UNIT_SIZE
            if position >= 0:
                break
        self.files.truncate(cut)
        last = self.files.last_file()
        self.max_physical_offset = -1
        if last is not None and last.wrote >= UNIT_SIZE:
            offset, size, _tags = storefmt.unpack_cq_unit(last.map, last.wrote - UNIT_SIZE)
            self.max_physical_offset = offset + size

    def delete_expired(self, commitlog_min_offset: int) -> int:
        """Delete segments whose units all point below ``commitlog_min_offset``.

        Then move the minimum logical offset to the first unit still pointing
        into the CommitLog. Returns the number of segments deleted.
        """
        deleted = 0
        while len(self.files) > 1:
            first = self.files.files[0]
            offset, _size, _tags = storefmt.unpack_cq_unit(first.map, first.wrote - UNIT_SIZE)
            if offset >= commitlog_min_offset:
                break
            self.files.delete_first()
            deleted += 1
        first = self.files.first_file()
        if first is not None:
            position = max(0, self.min_logic_offset - first.file_from_offset)
            while position < first.wrote:
                offset, size, _tags = storefmt.unpack_cq_unit(first.map, position)
                if offset >= commitlog_min_offset and size != _FILLER[1]:
                    break
                position += UNIT_SIZE
            self.min_logic_offset = first.file_from_offset + position
        return deleted

    def flush(self, least_pages: int = 0) -> int:
        return self.files.flush(least_pages)

    def close(self) -> None:
        self.files.close()
