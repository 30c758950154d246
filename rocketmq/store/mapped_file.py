"""MappedFile: one preallocated, memory-mapped segment of a CommitLog or ConsumeQueue.

Blocks are reserved with posix_fallocate when the file is created, so a full
disk shows up as OSError(ENOSPC) at creation (the caller refuses the write)
instead of SIGBUS on a later store into the mapping.

Three watermarks, as upstream: ``wrote`` (bytes appended to the mapping),
``committed`` (equal to wrote: we have no transient store pool) and
``flushed`` (bytes known durable). Readers take views through ``hold``/
``release`` so a deleted segment stays mapped until its last reader is done.
"""

from __future__ import annotations

import errno
import logging
import mmap
import os
from pathlib import Path

logger = logging.getLogger("rocketmq.store")

PAGE_SIZE = mmap.PAGESIZE
FILE_NAME_DIGITS = 20
_ZERO_CHUNK_SIZE = 1024 * 1024
_ZERO_CHUNK = bytes(_ZERO_CHUNK_SIZE)


def offset_to_file_name(offset: int) -> str:
    """UtilAll.offset2FileName: the offset zero-padded to 20 digits."""
    return f"{offset:0{FILE_NAME_DIGITS}d}"


class MappedFile:
    __slots__ = (
        "_closed",
        "_destroy_pending",
        "_fd",
        "_references",
        "file_from_offset",
        "file_size",
        "flushed",
        "map",
        "path",
        "store_timestamp",
        "wrote",
    )

    def __init__(self, path: Path, file_size: int, *, create: bool) -> None:
        """Open (or with ``create`` make and preallocate) ``path`` of ``file_size`` bytes.

        Raises OSError (ENOSPC when the disk is full) and ValueError when an
        existing file's size differs from ``file_size``.
        """
        self.path = Path(path)
        self.file_size = file_size
        self.file_from_offset = int(self.path.name)
        flags = os.O_RDWR | (os.O_CREAT | os.O_EXCL if create else 0)
        fd = os.open(self.path, flags, 0o644)
        try:
            if create:
                try:
                    os.posix_fallocate(fd, 0, file_size)
                except OSError:
                    os.close(fd)
                    fd = -1
                    self.path.unlink(missing_ok=True)
                    raise
            else:
                actual = os.fstat(fd).st_size
                if actual != file_size:
                    raise ValueError(
                        f"{self.path} length {actual} not matched message store config value,"
                        f" please check it manually (expected {file_size})"
                    )
            self.map = mmap.mmap(fd, file_size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        except BaseException:
            if fd >= 0:
                os.close(fd)
            raise
        self._fd = fd
        self.wrote = 0
        self.flushed = 0
        self.store_timestamp = 0  # store time of the last record appended
        self._references = 0
        self._destroy_pending = False
        self._closed = False

    # -- positions ----------------------------------------------------------------------

    @property
    def fd(self) -> int:
        """The file descriptor, for sendfile."""
        return self._fd

    @property
    def free_space(self) -> int:
        return self.file_size - self.wrote

    @property
    def is_full(self) -> bool:
        return self.wrote >= self.file_size

    @property
    def committed(self) -> int:
        return self.wrote

    def set_positions(self, position: int) -> None:
        """After recovery: everything up to ``position`` is written and flushed."""
        if not 0 <= position <= self.file_size:
            raise ValueError(f"position {position} outside {self.path.name}")
        self.wrote = position
        self.flushed = position

    # -- durability -----------------------------------------------------------------------

    def dirty_pages(self) -> int:
        return self.wrote // PAGE_SIZE - self.flushed // PAGE_SIZE

    def flush_due(self, least_pages: int = 0) -> int | None:
        """The position a flush should cover now, or None when none is due."""
        target = self.wrote
        if target <= self.flushed or self._closed:
            return None
        if least_pages > 0 and not self.is_full and self.dirty_pages() < least_pages:
            return None
        return target

    def mark_flushed(self, position: int) -> None:
        if position > self.flushed:
            self.flushed = position

    def flush(self, least_pages: int = 0) -> int:
        """Make written bytes durable now (blocking) when a flush is due.

        Returns the flushed position. fdatasync covers pages dirtied through
        the shared mapping (one page cache on Linux).
        """
        target = self.flush_due(least_pages)
        if target is not None:
            os.fdatasync(self._fd)
            self.mark_flushed(target)
        return self.flushed

    def warm_up(self) -> None:
        """Fault the mapping in ahead of writes (warmMapedFileEnable)."""
        self.map.madvise(mmap.MADV_WILLNEED)

    def zero_from(self, position: int) -> None:
        """Zero every non-zero byte from ``position`` to the end of the file.

        Recovery calls this past a torn tail so stale bytes can never pass for
        records after later appends. Never-written (fallocated) extents read
        back as zeros without disk I/O, so the scan is cheap where it matters.
        """
        cursor = position
        end = self.file_size
        while cursor < end:
            stop = min(end, cursor + _ZERO_CHUNK_SIZE)
            if self.map[cursor:stop] != _ZERO_CHUNK[: stop - cursor]:
                self.map[cursor:stop] = _ZERO_CHUNK[: stop - cursor]
            cursor = stop

    # -- readers ------------------------------------------------------------------------------

    def hold(self) -> bool:
        """Take a reference; False when the file is being destroyed."""
        if self._destroy_pending or self._closed:
            return False
        self._references += 1
        return True

    def release(self) -> None:
        self._references -= 1
        if self._references == 0 and self._destroy_pending:
            self._close()

    def view(self, position: int, size: int) -> memoryview:
        """A zero-copy view of ``size`` bytes at ``position`` (caller holds a reference)."""
        return memoryview(self.map)[position : position + size]

    # -- lifecycle ------------------------------------------------------------------------

    def destroy(self) -> None:
        """Delete the file; the mapping closes when the last reader releases it."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        self._destroy_pending = True
        if self._references <= 0:
            self._close()
        logger.info("delete mapped file %s", self.path)

    def close(self) -> None:
        self.flush()
        self._close()

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.map.close()
        except BufferError:
            # A view is still exported; the mapping goes when the view is collected.
            logger.debug("mapping of %s still exported at close", self.path.name)
        os.close(self._fd)

    def __repr__(self) -> str:
        return f"<MappedFile {self.path.name} wrote={self.wrote} flushed={self.flushed}>"


def is_disk_full(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)
