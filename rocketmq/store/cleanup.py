"""CleanupService: segment expiry and the disk guard (CleanCommitLogService upstream).

Every ``clean_resource_interval_ms``:
- disk usage of the store's partition above ``disk_space_warning_level_ratio``
  marks the store disk-full: puts get SERVICE_NOT_AVAILABLE until usage drops;
- CommitLog segments older than ``fileReservedTime`` are deleted at the
  ``deleteWhen`` hours, or at any hour once usage passes
  ``diskMaxUsedSpaceRatio``; past ``diskSpaceCleanForciblyRatio`` the oldest
  segments go regardless of age (never the one being written);
- ConsumeQueue and index files pointing only below the new CommitLog minimum
  follow, and queue minimum offsets move forward.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rocketmq.store.message_store import MessageStore

logger = logging.getLogger("rocketmq.store")


def disk_usage_ratio(path: os.PathLike | str) -> float:
    """Used fraction of the partition holding ``path`` (as File.getFreeSpace counts)."""
    stats = os.statvfs(path)
    total = stats.f_blocks * stats.f_frsize
    if total == 0:
        return 0.0
    free = stats.f_bfree * stats.f_frsize
    return (total - free) / total


def delete_hours(delete_when: str) -> set[int]:
    """deleteWhen "04;16" -> {4, 16}; malformed entries are ignored."""
    hours = set()
    for part in delete_when.split(";"):
        part = part.strip()
        if part.isdigit():
            hours.add(int(part))
    return hours


class CleanupService:
    def __init__(self, store: MessageStore) -> None:
        self.store = store
        self.config = store.config
        self._task: asyncio.Task | None = None
        self.manual_delete_requests = 0  # TRIGGER_DELETE_FILES

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _loop(self) -> None:
        interval = self.config.clean_resource_interval_ms / 1000
        while True:
            await asyncio.sleep(interval)
            try:
                self.run_once()
            except OSError:
                logger.exception("clean expired files failed")

    def run_once(self, now: float | None = None) -> int:
        """One pass; returns the number of CommitLog segments deleted."""
        now = time.time() if now is None else now
        store = self.store
        ratio = disk_usage_ratio(store.root)
        warning = self.config.disk_space_warning_level_ratio_percent / 100
        if ratio > warning:
            if not store.disk_full:
                logger.error("disk usage %.1f%% over %.0f%%: refusing writes", ratio * 100,
                             warning * 100)  # fmt: skip
            store.disk_full = True
        elif store.disk_full:
            logger.info("disk usage %.1f%%: writes allowed again", ratio * 100)
            store.disk_full = False

        space_full = ratio > self.config.disk_max_used_space_ratio_percent / 100
        forcibly = ratio > self.config.disk_space_clean_forcibly_ratio_percent / 100
        time_up = time.localtime(now).tm_hour in delete_hours(self.config.delete_when)
        manual = self.manual_delete_requests > 0
        if not (time_up or space_full or manual):
            return 0
        if manual:
            self.manual_delete_requests -= 1
        reserved_ms = 0 if forcibly else self.config.file_reserved_time_hours * 3600 * 1000
        deleted = store.commit_log.queue.delete_expired_by_time(
            reserved_ms, self.config.delete_file_batch_max, now * 1000
        )
        if deleted:
            logger.info(
                "deleted %d expired commitlog files (time up %s, space full %s, forcibly %s)",
                deleted,
                time_up,
                space_full,
                forcibly,
            )
            self.clean_logics()
        return deleted

    def clean_logics(self) -> None:
        """Drop ConsumeQueue and index files that point only below the CommitLog minimum."""
        store = self.store
        minimum = store.commit_log.min_offset
        for queue in store.consume_queues():
            queue.delete_expired(minimum)
        if store.index is not None:
            store.index.delete_expired(minimum)
