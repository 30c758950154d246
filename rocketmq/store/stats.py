"""Store throughput counters and their per-second samples (upstream StoreStatsService).

The store bumps plain integer counters on every put and get; ``sample()``,
called once a second, snapshots them so that rates over the last 10, 60 and
600 seconds can be read without timing each call. Rates are strings of three
numbers ("put/s over 10s 60s 600s"), as the broker's runtime info carries them.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable

logger = logging.getLogger("rocketmq.store")

TPS_WINDOWS_S = (10, 60, 600)
SAMPLES_KEPT = TPS_WINDOWS_S[-1] + 1  # the widest window needs its start sample too
PRINT_INTERVAL_S = 60  # printTPSInterval: one "[STORETPS]" log line a minute

# Fields of a sample after its timestamp.
_PUT, _FOUND, _MISS, _TRANSFERRED = range(1, 5)


class StoreStats:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.boot_ms = int(time.time() * 1000)
        self.put_message_times_total = 0  # messages stored (a batch counts each message)
        self.put_message_size_total = 0  # bytes stored
        self.put_message_failed_times = 0
        self.get_message_times_found = 0  # reads that found something
        self.get_message_times_miss = 0  # reads that found nothing
        self.get_message_transferred_msg_count = 0  # messages handed out by found reads
        self._samples: deque[tuple[float, int, int, int, int]] = deque(maxlen=SAMPLES_KEPT)
        self._last_print = clock()
        self.sample()

    def on_put(self, message_count: int, size: int) -> None:
        self.put_message_times_total += message_count
        self.put_message_size_total += size

    def on_put_failed(self) -> None:
        self.put_message_failed_times += 1

    def on_get(self, message_count: int) -> None:
        if message_count:
            self.get_message_times_found += 1
            self.get_message_transferred_msg_count += message_count
        else:
            self.get_message_times_miss += 1

    def sample(self) -> None:
        now = self._clock()
        self._samples.append(
            (
                now,
                self.put_message_times_total,
                self.get_message_times_found,
                self.get_message_times_miss,
                self.get_message_transferred_msg_count,
            )
        )
        if now - self._last_print >= PRINT_INTERVAL_S:
            self._last_print = now
            logger.info(
                "[STORETPS] put_tps %s get_found_tps %s get_miss_tps %s get_transferred_tps %s",
                *(self._rate(field, PRINT_INTERVAL_S) for field in range(1, 5)),
            )

    def _rate(self, field: int, window_s: int) -> float:
        """Per second over the last ``window_s`` samples (fewer while young)."""
        samples = self._samples
        last = samples[-1]
        first = samples[max(0, len(samples) - 1 - window_s)]
        elapsed = last[0] - first[0]
        if elapsed <= 0:
            return 0.0
        return round((last[field] - first[field]) / elapsed, 2)

    def _rates(self, *fields: int) -> str:
        return " ".join(
            str(sum(self._rate(field, window) for field in fields)) for window in TPS_WINDOWS_S
        )

    def runtime_info(self) -> dict[str, str]:
        """The store's part of GET_BROKER_RUNTIME_INFO (StoreStatsService#getRuntimeInfo)."""
        total = self.put_message_times_total
        transferred = self._rates(_TRANSFERRED)
        return {
            "putMessageTimesTotal": str(total),
            "putMessageSizeTotal": str(self.put_message_size_total),
            "putMessageFailedTimes": str(self.put_message_failed_times),
            "putMessageAverageSize": str(self.put_message_size_total / max(1, total)),
            "putTps": self._rates(_PUT),
            "getFoundTps": self._rates(_FOUND),
            "getMissTps": self._rates(_MISS),
            "getTotalTps": self._rates(_FOUND, _MISS),
            # 4.x tools read the misspelt key, 5.x the corrected one.
            "getTransferedTps": transferred,
            "getTransferredTps": transferred,
        }
