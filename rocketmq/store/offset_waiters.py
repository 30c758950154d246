"""Writers waiting for a position to reach their offset: the flushed end of the
CommitLog (SYNC_FLUSH) or what a slave acknowledged (SYNC_MASTER)."""

from __future__ import annotations

import asyncio


class OffsetWaiters:
    def __init__(self) -> None:
        self._waiting: list[tuple[int, asyncio.Future[bool]]] = []

    def __bool__(self) -> bool:
        return bool(self._waiting)

    def add(self, offset: int) -> asyncio.Future[bool]:
        """A future answered True once the position reaches ``offset``, or False."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append((offset, waiter))
        return waiter

    def answer(self, reached: int, failed_up_to: int = -1) -> None:
        """True to the waiters ``reached`` covers, False to the others up to ``failed_up_to``;
        forget those already done (timed out)."""
        pending = []
        for offset, waiter in self._waiting:
            if waiter.done():
                continue
            if offset <= reached:
                waiter.set_result(True)
            elif offset <= failed_up_to:
                waiter.set_result(False)
            else:
                pending.append((offset, waiter))
        self._waiting = pending

    def discard_done(self) -> None:
        """Forget the waiters that gave up (timed out) while nothing was answered."""
        self._waiting = [item for item in self._waiting if not item[1].done()]

    def fail_all(self) -> None:
        for _offset, waiter in self._waiting:
            if not waiter.done():
                waiter.set_result(False)
        self._waiting = []
