"""MappedFileQueue: the ordered segments of one log (CommitLog or one ConsumeQueue).

Offsets are global: the byte at offset ``o`` lives in the segment named
``o - o % file_size`` at position ``o % file_size``.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from rocketmq.store.mapped_file import MappedFile, offset_to_file_name

logger = logging.getLogger("rocketmq.store")


class MappedFileQueue:
    def __init__(self, directory: Path, file_size: int, *, warm: bool = False) -> None:
        self.directory = Path(directory)
        self.file_size = file_size
        self.warm = warm  # fault new segments in ahead of writes (warmMapedFileEnable)
        self.files: list[MappedFile] = []

    # -- loading and creation ----------------------------------------------------------

    def load(self) -> None:
        """Map every existing segment, in offset order.

        Raises ValueError when a segment has the wrong size or a name that is
        not its offset (upstream refuses to start in both cases).
        """
        if not self.directory.is_dir():
            return
        names = sorted(p.name for p in self.directory.iterdir() if p.name.isdigit())
        for name in names:
            if len(name) != 20:
                raise ValueError(f"{self.directory / name}: segment name is not 20 digits")
            mapped = MappedFile(self.directory / name, self.file_size, create=False)
            if mapped.file_from_offset % self.file_size:
                mapped.close()
                raise ValueError(f"{mapped.path}: offset not a multiple of {self.file_size}")
            # Until recovery says otherwise every loaded segment counts as full.
            mapped.set_positions(self.file_size)
            self.files.append(mapped)

    def create_file(self, start_offset: int) -> MappedFile:
        """Append a new segment starting at ``start_offset``. Raises OSError (ENOSPC)."""
        if self.files:
            expected = self.files[-1].file_from_offset + self.file_size
            if start_offset != expected:
                raise ValueError(f"next segment must start at {expected}, not {start_offset}")
        self.directory.mkdir(parents=True, exist_ok=True)
        mapped = MappedFile(
            self.directory / offset_to_file_name(start_offset), self.file_size, create=True
        )
        if self.warm:
            mapped.warm_up()
        self.files.append(mapped)
        return mapped

    def last_file(self) -> MappedFile | None:
        return self.files[-1] if self.files else None

    def first_file(self) -> MappedFile | None:
        return self.files[0] if self.files else None

    def writable_file(self, start_offset: int = 0) -> MappedFile:
        """The last segment if it has room, else a new one (the first at ``start_offset``)."""
        last = self.last_file()
        if last is not None and not last.is_full:
            return last
        if last is None:
            return self.create_file(start_offset - start_offset % self.file_size)
        return self.create_file(last.file_from_offset + self.file_size)

    # -- lookups -------------------------------------------------------------------------

    @property
    def min_offset(self) -> int:
        return self.files[0].file_from_offset if self.files else 0

    @property
    def max_offset(self) -> int:
        """Next offset to be written."""
        last = self.last_file()
        return last.file_from_offset + last.wrote if last is not None else 0

    @property
    def flushed_offset(self) -> int:
        for mapped in reversed(self.files):
            if mapped.flushed:
                return mapped.file_from_offset + mapped.flushed
        return self.min_offset

    def find(self, offset: int) -> MappedFile | None:
        """The segment holding ``offset``, or None when it is outside the queue."""
        if not self.files:
            return None
        first = self.files[0].file_from_offset
        index = (offset - first) // self.file_size
        if offset < first or index >= len(self.files):
            return None
        mapped = self.files[index]
        if mapped.file_from_offset <= offset < mapped.file_from_offset + self.file_size:
            return mapped
        return None

    # -- flushing -----------------------------------------------------------------------------

    def flush(self, least_pages: int = 0) -> int:
        """Flush every segment with unflushed bytes (blocking); returns the flushed offset."""
        for mapped in self.files:
            if mapped.flushed < mapped.wrote:
                mapped.flush(least_pages)
        return self.flushed_offset

    def flush_plan(self, least_pages: int = 0) -> list[tuple[MappedFile, int]]:
        """Segments due for a flush with their targets, each held until released.

        The flush service syncs their fds off the event loop, then calls
        ``mark_flushed`` and ``release`` back on it.
        """
        plan = []
        for mapped in self.files:
            if mapped.flushed < mapped.wrote:
                target = mapped.flush_due(least_pages)
                if target is not None and mapped.hold():
                    plan.append((mapped, target))
        return plan

    # -- truncation and deletion -------------------------------------------------------------

    def truncate(self, offset: int) -> None:
        """Drop everything at or after ``offset`` (recovery of a torn or dirty tail)."""
        keep = []
        for mapped in self.files:
            end = mapped.file_from_offset + self.file_size
            if end <= offset:
                keep.append(mapped)
            elif mapped.file_from_offset <= offset:
                position = offset - mapped.file_from_offset
                mapped.zero_from(position)
                mapped.set_positions(position)
                keep.append(mapped)
            else:
                mapped.destroy()
        self.files = keep

    def delete_first(self) -> MappedFile | None:
        """Remove the oldest segment (expiry); the caller decides when."""
        if not self.files:
            return None
        mapped = self.files.pop(0)
        mapped.destroy()
        return mapped

    def delete_expired_by_time(
        self, reserved_ms: float, max_count: int, now_ms: float | None = None
    ) -> int:
        """Delete up to ``max_count`` full segments last modified over ``reserved_ms`` ago.

        The newest segment is never deleted. Returns how many were deleted.
        """
        now_ms = time.time() * 1000 if now_ms is None else now_ms
        deleted = 0
        while deleted < max_count and len(self.files) > 1:
            mapped = self.files[0]
            modified_ms = mapped.path.stat().st_mtime * 1000
            if now_ms - modified_ms < reserved_ms:
                break
            self.delete_first()
            deleted += 1
        return deleted

    def close(self) -> None:
        for mapped in self.files:
            mapped.close()
        self.files = []

    def __len__(self) -> int:
        return len(self.files)
