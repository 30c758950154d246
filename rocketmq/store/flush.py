"""Flush services: durability of the CommitLog, ConsumeQueues, index and checkpoint.

fdatasync runs in a worker thread so the event loop keeps serving; the
decision what to flush and the bookkeeping after it stay on the loop.

ASYNC_FLUSH: every ``flush_interval_commit_log_ms`` when at least
``flush_commit_log_least_pages`` pages are dirty, and thoroughly every
``flush_commit_log_thorough_interval_ms``.
SYNC_FLUSH: group commit (GroupCommitService). Each writer registers the
offset it needs; one fdatasync covers every waiter up to the flushed
position. A waiter not covered within ``sync_flush_timeout_ms`` gets False
(FLUSH_DISK_TIMEOUT). The syncs run on a thread of their own that takes the
next plan as soon as a sync ends: the loop plans one sync ahead, so syncs
follow each other without waiting for the loop to come round between them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from queue import SimpleQueue
from typing import TYPE_CHECKING

from rocketmq.store.config import SYNC_FLUSH
from rocketmq.store.mapped_file import MappedFile
from rocketmq.store.offset_waiters import OffsetWaiters

if TYPE_CHECKING:
    from rocketmq.store.message_store import MessageStore

logger = logging.getLogger("rocketmq.store")


def _sync_all(fds: list[int]) -> None:
    for fd in fds:
        os.fdatasync(fd)


async def flush_plan_off_loop(plan: list[tuple[MappedFile, int]]) -> None:
    """Sync the planned segments in a thread, then record the new positions."""
    if not plan:
        return
    try:
        await asyncio.get_running_loop().run_in_executor(
            None, _sync_all, [mapped.fd for mapped, _target in plan]
        )
        for mapped, target in plan:
            mapped.mark_flushed(target)
    finally:
        for mapped, _target in plan:
            mapped.release()


_STOP = None  # tells the group commit thread to end


class GroupCommitThread:
    """Runs planned CommitLog syncs one after another; the loop books the results.

    ``submit`` (loop) queues a plan; the thread syncs its fds and hands the plan
    back through ``call_soon_threadsafe``. ``queued`` is True from a submit until
    the thread takes that plan, so the loop keeps at most one plan waiting.
    """

    def __init__(
        self, on_synced: Callable[[list[tuple[MappedFile, int]], Exception | None], None]
    ) -> None:
        self._on_synced = on_synced  # called on the loop with (plan, error)
        self._plans: SimpleQueue = SimpleQueue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.queued = False

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="GroupCommitService", daemon=True)
        self._thread.start()

    def submit(self, plan: list[tuple[MappedFile, int]]) -> None:
        self.queued = True
        self._plans.put(plan)

    async def stop(self) -> None:
        if self._thread is None:
            return
        self._plans.put(_STOP)
        await asyncio.get_running_loop().run_in_executor(None, self._thread.join)
        self._thread = None

    def _run(self) -> None:
        loop = self._loop
        assert loop is not None
        while True:
            plan = self._plans.get()
            if plan is _STOP:
                return
            self.queued = False
            error = None
            try:
                _sync_all([mapped.fd for mapped, _target in plan])
            except Exception as exc:  # reported on the loop; the thread goes on
                error = exc
            try:
                loop.call_soon_threadsafe(self._on_synced, plan, error)
            except RuntimeError:  # the loop is closed: nobody waits any more
                return


class FlushService:
    def __init__(self, store: MessageStore) -> None:
        self.store = store
        self.config = store.config
        self._tasks: list[asyncio.Task] = []
        self._waiters = OffsetWaiters()  # SYNC_FLUSH writers
        self._group_commit = GroupCommitThread(self._synced)
        self._stopping = False

    @property
    def sync(self) -> bool:
        return self.config.flush_disk_type == SYNC_FLUSH

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self.sync:
            self._group_commit.start()
        else:
            self._tasks.append(loop.create_task(self._commit_log_loop()))
        self._tasks.append(loop.create_task(self._logics_loop()))

    async def stop(self) -> None:
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self._group_commit.stop()
        if self._waiters:  # as GroupCommitService's last doCommit: sync, then answer
            commit_log = self.store.commit_log
            await asyncio.get_running_loop().run_in_executor(None, commit_log.flush)
            self._waiters.answer(commit_log.queue.flushed_offset)
        self._waiters.fail_all()

    # -- SYNC_FLUSH -------------------------------------------------------------------------

    async def wait_flushed(self, offset: int) -> bool:
        """True once the CommitLog is durable up to ``offset``; False on timeout."""
        commit_log = self.store.commit_log
        if commit_log.queue.flushed_offset >= offset:
            return True
        waiter = self._waiters.add(offset)
        if not self._group_commit.queued:
            self._submit()
        try:
            async with asyncio.timeout(self.config.sync_flush_timeout_ms / 1000):
                return await waiter
        except TimeoutError:
            logger.warning("do group commit, wait for flush failed, offset %d", offset)
            self._waiters.discard_done()
            return False

    def _submit(self) -> None:
        if self._stopping:
            return
        plan = self.store.commit_log.queue.flush_plan()
        if plan:
            self._group_commit.submit(plan)

    def _synced(self, plan: list[tuple[MappedFile, int]], error: Exception | None) -> None:
        """On the loop: book a finished sync, wake the writers it covers, plan the next."""
        failed_up_to = -1
        if error is None:
            for mapped, target in plan:
                mapped.mark_flushed(target)
        else:  # the writers this sync was for get FLUSH_DISK_TIMEOUT now, not at their timeout
            logger.error("group commit: fdatasync failed: %s", error)
            failed_up_to = max(mapped.file_from_offset + target for mapped, target in plan)
        for mapped, _target in plan:
            mapped.release()
        self._checkpoint_physic()
        self._waiters.answer(self.store.commit_log.queue.flushed_offset, failed_up_to)
        if self._waiters and not self._group_commit.queued:
            self._submit()

    # -- ASYNC_FLUSH ------------------------------------------------------------------------

    async def _commit_log_loop(self) -> None:
        commit_log = self.store.commit_log
        interval = self.config.flush_interval_commit_log_ms / 1000
        thorough = self.config.flush_commit_log_thorough_interval_ms / 1000
        last_thorough = time.monotonic()
        while True:
            await asyncio.sleep(interval)
            least = self.config.flush_commit_log_least_pages
            now = time.monotonic()
            if now - last_thorough >= thorough:
                least = 0
                last_thorough = now
            await flush_plan_off_loop(commit_log.queue.flush_plan(least))
            self._checkpoint_physic()

    def _checkpoint_physic(self) -> None:
        queue = self.store.commit_log.queue
        flushed = queue.flushed_offset
        mapped = queue.find(max(flushed - 1, 0))
        if mapped is not None and mapped.store_timestamp:
            self.store.checkpoint.physic_msg_timestamp = mapped.store_timestamp

    # -- ConsumeQueues, index, checkpoint ----------------------------------------------------

    async def _logics_loop(self) -> None:
        interval = self.config.flush_interval_consume_queue_ms / 1000
        while True:
            await asyncio.sleep(interval)
            await self.flush_logics(self.config.flush_consume_queue_least_pages)

    async def flush_logics(self, least_pages: int = 0) -> None:
        store = self.store
        logics_timestamp = store.reput.last_store_timestamp
        plan = []
        for queue in store.consume_queues():
            plan.extend(queue.files.flush_plan(least_pages))
        await flush_plan_off_loop(plan)
        if logics_timestamp:
            store.checkpoint.logics_msg_timestamp = logics_timestamp
        if store.index is not None and store.index.files:
            index_timestamp = store.index.end_timestamp
            fds = store.index.flush_fds()
            await asyncio.get_running_loop().run_in_executor(None, _sync_all, fds)
            store.checkpoint.index_msg_timestamp = index_timestamp
        await asyncio.get_running_loop().run_in_executor(None, store.checkpoint.flush)
