"""RebalanceLockManager: which member of a consumer group may consume a queue in order.

Upstream B/client/rebalance/RebalanceLockManager. Orderly consumers lock the
queues the allocation gave them (LOCK_BATCH_MQ, again every 20 s) and pull only
from queues they hold. A lock is granted when the queue is free, already held
by the same client (the timestamp is refreshed), or its holder has not
refreshed it for longer than ``lock_max_live_time_ms`` (upstream: system
property ``rocketmq.broker.rebalance.lockMaxLiveTime``, 60 s). UNLOCK_BATCH_MQ
frees only the queues the asking client holds. Locks are not freed when a
connection closes; a vanished client's locks expire.

Times come from a monotonic clock: a wall clock step must not free or pin a lock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rocketmq.common.message_queue import MessageQueue

logger = logging.getLogger("rocketmq.broker")

# Lock entries held at once, all groups. When full, expired entries are dropped;
# if that frees nothing, new locks are refused (refreshes still succeed).
LOCK_ENTRIES_MAX = 1_000_000


def monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000


@dataclass
class LockEntry:
    client_id: str
    last_update_ms: int


class RebalanceLockManager:
    """Per group, per MessageQueue: the client holding it and when it last locked it.

    ``clock`` returns milliseconds (monotonic by default; tests may pass their own).
    """

    def __init__(self, lock_max_live_time_ms: int, clock: Callable[[], int] = monotonic_ms) -> None:
        assert lock_max_live_time_ms > 0, lock_max_live_time_ms
        self.lock_max_live_time_ms = lock_max_live_time_ms
        self._clock = clock
        self._table: dict[str, dict[MessageQueue, LockEntry]] = {}
        self._entries = 0

    def _expired(self, entry: LockEntry, now_ms: int) -> bool:
        return now_ms - entry.last_update_ms > self.lock_max_live_time_ms

    def try_lock_batch(
        self, group: str, queues: Iterable[MessageQueue], client_id: str
    ) -> set[MessageQueue]:
        """Lock what can be locked for ``client_id``; return the queues it now holds."""
        now_ms = self._clock()
        table = self._table.setdefault(group, {})
        granted: set[MessageQueue] = set()
        for queue in queues:
            entry = table.get(queue)
            if entry is None:
                if not self._make_room(now_ms):
                    continue
                table[queue] = LockEntry(client_id, now_ms)
                self._entries += 1
                logger.info("lock %s of group %s granted to %s", queue, group, client_id)
            elif entry.client_id == client_id:
                entry.last_update_ms = now_ms
            elif self._expired(entry, now_ms):
                logger.warning(
                    "lock %s of group %s expired for %s, granted to %s",
                    queue,
                    group,
                    entry.client_id,
                    client_id,
                )
                entry.client_id = client_id
                entry.last_update_ms = now_ms
            else:
                continue
            granted.add(queue)
        # _make_room may have dropped this group's table while it was empty.
        if table:
            self._table[group] = table
        else:
            self._table.pop(group, None)
        return granted

    def unlock_batch(self, group: str, queues: Iterable[MessageQueue], client_id: str) -> None:
        """Free the given queues that ``client_id`` holds; others' locks stay."""
        table = self._table.get(group)
        if table is None:
            return
        for queue in queues:
            entry = table.get(queue)
            if entry is not None and entry.client_id == client_id:
                del table[queue]
                self._entries -= 1
                logger.info("lock %s of group %s released by %s", queue, group, client_id)
        if not table:
            del self._table[group]

    def is_locked(self, group: str, queue: MessageQueue, client_id: str) -> bool:
        """True when ``client_id`` holds an unexpired lock on ``queue`` (no refresh)."""
        entry = self._table.get(group, {}).get(queue)
        return (
            entry is not None
            and entry.client_id == client_id
            and not self._expired(entry, self._clock())
        )

    def holders(self, group: str) -> dict[MessageQueue, str]:
        """Queue -> client id of every unexpired lock of ``group``."""
        now_ms = self._clock()
        return {
            queue: entry.client_id
            for queue, entry in self._table.get(group, {}).items()
            if not self._expired(entry, now_ms)
        }

    def _make_room(self, now_ms: int) -> bool:
        if self._entries < LOCK_ENTRIES_MAX:
            return True
        for group, table in list(self._table.items()):
            for queue, entry in list(table.items()):
                if self._expired(entry, now_ms):
                    del table[queue]
                    self._entries -= 1
            if not table:
                del self._table[group]
        if self._entries < LOCK_ENTRIES_MAX:
            return True
        logger.warning("lock table is full (%d entries): new locks refused", self._entries)
        return False
