"""Message counts the operators' tools read (upstream BrokerStats and the
parts of BrokerStatsManager they show).

Puts and gets of user topics add up to the day totals that ``clusterList -m``
prints (system topics do not count, as upstream); the counts snapshotted at
each local midnight give "yesterday" and "today". Messages pulled per
(topic, group) give a group's consume TPS over the last minute, sampled every
10 seconds like upstream's StatsItem minute series.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import deque
from collections.abc import Callable

from rocketmq.broker.topic_config import is_system_topic

logger = logging.getLogger("rocketmq.broker")

MINUTE_SAMPLE_INTERVAL_S = 10.0
_MINUTE_SAMPLES_KEPT = 7  # six intervals: one minute


def _next_midnight(now: float) -> float:
    tomorrow = datetime.date.fromtimestamp(now) + datetime.timedelta(days=1)
    return datetime.datetime.combine(tomorrow, datetime.time()).timestamp()


def stats_key(topic: str, group: str) -> str:
    return f"{topic}@{group}"


class BrokerStats:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._wall_clock = wall_clock
        self.msg_put_total = 0  # messages put to user topics since boot
        self.msg_get_total = 0  # messages pulled from user topics since boot
        self.msg_put_total_today_morning = 0
        self.msg_put_total_yesterday_morning = 0
        self.msg_get_total_today_morning = 0
        self.msg_get_total_yesterday_morning = 0
        self.group_get_nums: dict[str, int] = {}  # stats_key -> messages pulled
        self._minute: deque[tuple[float, dict[str, int]]] = deque(maxlen=_MINUTE_SAMPLES_KEPT)
        self._minute.append((clock(), {}))
        self._next_morning = _next_midnight(wall_clock())

    def on_put(self, topic: str, message_count: int) -> None:
        if not is_system_topic(topic):
            self.msg_put_total += message_count

    def on_get(self, group: str, topic: str, message_count: int) -> None:
        key = stats_key(topic, group)
        self.group_get_nums[key] = self.group_get_nums.get(key, 0) + message_count
        if not is_system_topic(topic):
            self.msg_get_total += message_count

    def sample(self) -> None:
        """Called about once a second: the minute series and the midnight roll."""
        now = self._clock()
        if now - self._minute[-1][0] >= MINUTE_SAMPLE_INTERVAL_S:
            self._minute.append((now, dict(self.group_get_nums)))
        if self._wall_clock() >= self._next_morning:
            self._next_morning = _next_midnight(self._wall_clock())
            self.record_morning()

    def record_morning(self) -> None:
        self.msg_put_total_yesterday_morning = self.msg_put_total_today_morning
        self.msg_get_total_yesterday_morning = self.msg_get_total_today_morning
        self.msg_put_total_today_morning = self.msg_put_total
        self.msg_get_total_today_morning = self.msg_get_total
        logger.info(
            "yesterday put message total: %d",
            self.msg_put_total_today_morning - self.msg_put_total_yesterday_morning,
        )
        logger.info(
            "yesterday get message total: %d",
            self.msg_get_total_today_morning - self.msg_get_total_yesterday_morning,
        )

    def group_get_tps(self, group: str, topic: str) -> float:
        """Messages per second the group pulled from the topic over the last minute."""
        key = stats_key(topic, group)
        first_time, first = self._minute[0]
        last_time, last = self._minute[-1]
        if last_time <= first_time:
            return 0.0
        return (last.get(key, 0) - first.get(key, 0)) / (last_time - first_time)

    def runtime_info(self) -> dict[str, str]:
        return {
            "msgPutTotalYesterdayMorning": str(self.msg_put_total_yesterday_morning),
            "msgPutTotalTodayMorning": str(self.msg_put_total_today_morning),
            "msgPutTotalTodayNow": str(self.msg_put_total),
            "msgGetTotalYesterdayMorning": str(self.msg_get_total_yesterday_morning),
            "msgGetTotalTodayMorning": str(self.msg_get_total_today_morning),
            "msgGetTotalTodayNow": str(self.msg_get_total),
        }
