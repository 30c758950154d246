"""IndexFile service: hash index from message keys to CommitLog offsets.

Files are named by creation time (yyyyMMddHHmmssSSS) and hold a fixed number
of slots and entries; a full file is followed by a new one whose header
continues from the previous end. Lookups walk the files newest first.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from rocketmq._core import storefmt
from rocketmq.store.mapped_file import MappedFile

logger = logging.getLogger("rocketmq.store")


def _file_name(now_ms: int) -> str:
    seconds, millis = divmod(now_ms, 1000)
    return time.strftime("%Y%m%d%H%M%S", time.localtime(seconds)) + f"{millis:03d}"


class IndexService:
    def __init__(self, directory: Path, slot_count: int, entry_count: int) -> None:
        self.directory = Path(directory)
        self.slot_count = slot_count
        self.entry_count = entry_count
        self.file_size = storefmt.index_file_size(slot_count, entry_count)
        self.files: list[MappedFile] = []
        # Records below this CommitLog offset are indexed already (dispatch skips them).
        self.indexed_below = 0

    def load(self) -> None:
        if not self.directory.is_dir():
            return
        for path in sorted(p for p in self.directory.iterdir() if p.name.isdigit()):
            mapped = _IndexFile(path, self.file_size, create=False)
            self.files.append(mapped)
        if self.files and self.header(self.files[-1]).index_count > 1:
            self.indexed_below = self.end_phy_offset + 1

    def header(self, mapped: MappedFile) -> storefmt.IndexHeader:
        return storefmt.IndexHeader.unpack(mapped.map, 0)

    @property
    def end_phy_offset(self) -> int:
        """CommitLog offset past the last record indexed."""
        return self.header(self.files[-1]).end_phy_offset if self.files else 0

    @property
    def end_timestamp(self) -> int:
        return self.header(self.files[-1]).end_timestamp if self.files else 0

    def _new_file(self) -> MappedFile:
        """Start the next index file; its header continues from the previous one."""
        now_ms = int(time.time() * 1000)
        path = self.directory / _file_name(now_ms)
        while path.exists() or (self.files and path.name <= self.files[-1].path.name):
            now_ms += 1
            path = self.directory / _file_name(now_ms)
        self.directory.mkdir(parents=True, exist_ok=True)
        mapped = _IndexFile(path, self.file_size, create=True)
        if self.files:
            previous = self.header(self.files[-1])
            storefmt.IndexHeader(
                begin_timestamp=previous.end_timestamp,
                end_timestamp=previous.end_timestamp,
                begin_phy_offset=previous.end_phy_offset,
                end_phy_offset=previous.end_phy_offset,
                hash_slot_count=0,
                index_count=1,
            ).pack_into(mapped.map, 0)
        self.files.append(mapped)
        return mapped

    def put(self, key: str, commitlog_offset: int, store_timestamp: int) -> None:
        """Index ``key`` (already prefixed ``topic#``) for one record."""
        self.indexed_below = commitlog_offset + 1
        mapped = self.files[-1] if self.files else self._new_file()
        # index_put refuses (False) once the file is full: then roll over once.
        if not storefmt.index_put(
            mapped.map, self.slot_count, self.entry_count, key, commitlog_offset, store_timestamp
        ):
            mapped = self._new_file()
            storefmt.index_put(
                mapped.map,
                self.slot_count,
                self.entry_count,
                key,
                commitlog_offset,
                store_timestamp,
            )

    def lookup(self, key: str, max_num: int, begin_ms: int, end_ms: int) -> list[int]:
        """CommitLog offsets of records indexed under ``key`` (callers re-check the key)."""
        found: list[int] = []
        key_hash = storefmt.index_key_hash(key)
        for mapped in reversed(self.files):
            header = self.header(mapped)
            if not header.is_time_matched(begin_ms, end_ms):
                if header.end_timestamp < begin_ms:
                    break
                continue
            found.extend(
                storefmt.index_lookup(
                    mapped.map,
                    self.slot_count,
                    self.entry_count,
                    key_hash,
                    begin_ms,
                    end_ms,
                    max_num - len(found),
                )
            )
            if len(found) >= max_num:
                break
        return found

    def flush_fds(self) -> list[int]:
        """File descriptors to fdatasync: entries only go to the newest two files."""
        return [mapped.fd for mapped in self.files[-2:]]

    def delete_expired(self, commitlog_min_offset: int) -> int:
        """Delete files whose every entry points below ``commitlog_min_offset``."""
        deleted = 0
        while len(self.files) > 1:
            if self.header(self.files[0]).end_phy_offset >= commitlog_min_offset:
                break
            self.files.pop(0).destroy()
            deleted += 1
        return deleted

    def truncate(self, commitlog_offset: int) -> None:
        """Drop files that begin at or past ``commitlog_offset`` (dirty after recovery).

        Entries past the offset inside the last file stay; lookups re-check
        every record, as upstream.
        """
        while self.files and self.header(self.files[-1]).begin_phy_offset >= commitlog_offset:
            if len(self.files) == 1 and self.header(self.files[0]).index_count <= 1:
                break
            self.files.pop().destroy()

    def close(self) -> None:
        for mapped in self.files:
            mapped.close()
        self.files = []


class _IndexFile(MappedFile):
    """A MappedFile whose name is a timestamp, not an offset."""

    __slots__ = ()

    def __init__(self, path: Path, file_size: int, *, create: bool) -> None:
        super().__init__(path, file_size, create=create)
        self.wrote = file_size
        self.flushed = 0 if create else file_size
