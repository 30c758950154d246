"""One assigned queue of a push consumer: what was pulled and not yet consumed
(upstream ProcessQueue).

Pulls run ahead of the listener. Each pulled batch stays pending until the
listener is done with it; the offset safe to commit is the first message of
the oldest pending batch, or, with nothing pending, the offset the last pull
ended at. Flow control (``has_room``) stops the pulls while too many
messages, too many bytes or too wide an offset span wait to be consumed.
"""

from __future__ import annotations

import asyncio
from collections import deque

from rocketmq.client.message import MessageExt
from rocketmq.common.message_queue import MessageQueue


class PendingBatch:
    """One listener call's messages (those still to consume after a partial send-back)."""

    __slots__ = ("count", "done", "first_offset", "last_offset", "messages", "size")

    def __init__(self, messages: list[MessageExt]) -> None:
        self.messages = messages
        self.first_offset = messages[0].queue_offset
        self.last_offset = messages[-1].queue_offset
        self.count = len(messages)
        self.size = sum(len(message.body) for message in messages)
        self.done = False


class ProcessQueue:
    def __init__(self, queue: MessageQueue, offset: int) -> None:
        self.queue = queue
        self.next_offset = offset  # of the next pull
        self._after_pulled = offset  # consumed when nothing is pending
        self._pending: deque[PendingBatch] = deque()  # in offset order
        self.cached_messages = 0
        self.cached_bytes = 0
        self.room = asyncio.Event()  # set whenever a pending batch is done
        self.task: asyncio.Task | None = None  # the pull loop
        self.locked_at: float | None = None  # loop time of the last granted lock (orderly)
        self.consuming = False  # a listener call is running (orderly: do not cancel)
        self.dropped = False

    @property
    def consumed_offset(self) -> int:
        """Everything below was consumed: the offset to commit."""
        if self._pending:
            return self._pending[0].first_offset
        return self._after_pulled

    @consumed_offset.setter
    def consumed_offset(self, offset: int) -> None:
        """Set where consumption stands; only while nothing is pending (orderly, moved offsets)."""
        self._after_pulled = offset

    def pulled(self, batches: list[list[MessageExt]], next_begin_offset: int) -> list[PendingBatch]:
        """Record a pull's batches as pending; the queue goes on at ``next_begin_offset``."""
        entries = []
        for batch in batches:
            entry = PendingBatch(batch)
            self._pending.append(entry)
            self.cached_messages += len(batch)
            self.cached_bytes += entry.size
            entries.append(entry)
        self.next_offset = self._after_pulled = next_begin_offset
        return entries

    def consumed(self, entry: PendingBatch) -> None:
        entry.done = True
        self.cached_messages -= entry.count
        self.cached_bytes -= entry.size
        pending = self._pending
        while pending and pending[0].done:
            pending.popleft()
        self.room.set()

    def has_room(self, max_messages: int, max_bytes: int, max_span: int) -> bool:
        if self.cached_messages >= max_messages or self.cached_bytes >= max_bytes:
            return False
        pending = self._pending
        return not pending or pending[-1].last_offset - pending[0].first_offset < max_span
