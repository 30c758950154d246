"""PullRequestHoldService: pulls that found nothing wait here for a message.

A suspended pull waits on a future keyed by (topic, queueId). The store's
dispatcher reports each message it appends to a ConsumeQueue
(``store.reput.listeners``); a waiter whose requested offset is below the new
max offset and whose tag filter accepts the message is woken (for SQL92
subscriptions its ``message_filter`` must accept the message too), and its
pull runs again. A waiter not woken by its deadline runs again too (and then
usually answers PULL_NOT_FOUND with current offsets).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger("rocketmq.broker")

# Does the message at this logical offset wake the waiter? (SQL92 filters)
ArrivalFilter = Callable[[int], bool]


@dataclass(eq=False)
class _Waiter:
    offset: int  # the pull's requested offset
    code_set: frozenset[int] | None
    future: asyncio.Future
    message_filter: ArrivalFilter | None = None


class PullRequestHoldService:
    def __init__(self, held_max: int) -> None:
        self.held_max = held_max
        self._held: dict[tuple[str, int], list[_Waiter]] = {}
        self._count = 0

    @property
    def held_count(self) -> int:
        return self._count

    async def wait(
        self,
        topic: str,
        queue_id: int,
        offset: int,
        code_set: frozenset[int] | None,
        timeout_ms: int,
        message_filter: ArrivalFilter | None = None,
    ) -> bool:
        """Hold until a matching message lands past ``offset`` (True) or ``timeout_ms`` passes.

        ``message_filter`` gets the logical offset of each arrival that passed
        the tag filter. Returns False at once when ``held_max`` pulls are
        already held.
        """
        if self._count >= self.held_max:
            return False
        key = (topic, queue_id)
        future = asyncio.get_running_loop().create_future()
        waiter = _Waiter(offset, code_set, future, message_filter)
        self._held.setdefault(key, []).append(waiter)
        self._count += 1
        try:
            async with asyncio.timeout(max(0, timeout_ms) / 1000.0):
                await waiter.future
            return True
        except TimeoutError:
            return False
        finally:
            self._remove(key, waiter)

    def _remove(self, key: tuple[str, int], waiter: _Waiter) -> None:
        waiters = self._held.get(key)
        if waiters is None:
            return
        try:
            waiters.remove(waiter)
        except ValueError:
            return
        self._count -= 1
        if not waiters:
            del self._held[key]

    def notify_message_arriving(
        self, topic: str, queue_id: int, max_offset: int, tags_code: int, _store_timestamp: int
    ) -> None:
        """The store's arrival listener: wake the waiters this message satisfies."""
        waiters = self._held.get((topic, queue_id))
        if not waiters:
            return
        for waiter in waiters:
            if waiter.future.done() or max_offset <= waiter.offset:
                continue
            if waiter.code_set is not None and tags_code not in waiter.code_set:
                continue
            if waiter.message_filter is not None and not self._accepts(waiter, max_offset - 1):
                continue
            waiter.future.set_result(None)

    @staticmethod
    def _accepts(waiter: _Waiter, queue_offset: int) -> bool:
        # Runs inside the store's dispatch: a failing filter must not stop it.
        # The woken pull then reads the queue and answers what it finds.
        try:
            return waiter.message_filter(queue_offset)
        except Exception:
            logger.exception("arrival filter failed; waking the held pull")
            return True

    def wake_all(self) -> None:
        """Shutdown: every held pull answers now."""
        for waiters in self._held.values():
            for waiter in waiters:
                if not waiter.future.done():
                    waiter.future.set_result(None)
