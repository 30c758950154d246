"""Throughput counters behind GET_BROKER_RUNTIME_INFO and consumeTps, on fake clocks."""

from __future__ import annotations

import datetime

from rocketmq.broker.stats import BrokerStats
from rocketmq.store.stats import StoreStats


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_store_rates_over_three_windows() -> None:
    clock = Clock(100.0)
    stats = StoreStats(clock)
    for _second in range(600):
        clock.now += 1
        stats.on_put(3, 300)
        stats.on_get(2)
        stats.on_get(0)
        stats.sample()
    info = stats.runtime_info()
    assert info["putTps"] == "3.0 3.0 3.0"
    assert info["getFoundTps"] == "1.0 1.0 1.0"
    assert info["getMissTps"] == "1.0 1.0 1.0"
    assert info["getTotalTps"] == "2.0 2.0 2.0"
    assert info["getTransferedTps"] == info["getTransferredTps"] == "2.0 2.0 2.0"
    assert info["putMessageTimesTotal"] == "1800"
    assert info["putMessageSizeTotal"] == "180000"
    assert info["putMessageAverageSize"] == "100.0"

    # A burst in the last 10 s shows in the short window and is diluted in the long ones.
    for _second in range(10):
        clock.now += 1
        stats.on_put(60, 6000)
        stats.sample()
    assert stats.runtime_info()["putTps"] == "60.0 12.5 3.95"


def test_store_rates_while_young_use_what_was_sampled() -> None:
    clock = Clock(0.0)
    stats = StoreStats(clock)
    assert stats.runtime_info()["putTps"] == "0.0 0.0 0.0"
    stats.on_put(1, 10)
    stats.on_put_failed()
    clock.now = 2.0
    stats.sample()
    info = stats.runtime_info()
    assert info["putTps"] == "0.5 0.5 0.5"
    assert info["putMessageFailedTimes"] == "1"


def test_day_totals_skip_system_topics_and_roll_at_midnight() -> None:
    day = datetime.datetime(2026, 12, 1, 23, 59, 58).timestamp()
    wall = Clock(day)
    stats = BrokerStats(Clock(0.0), wall)
    stats.on_put("orders", 5)
    stats.on_put("SCHEDULE_TOPIC_XXXX", 7)
    stats.on_put("RMQ_SYS_TRANS_HALF_TOPIC", 7)
    stats.on_get("g1", "orders", 4)
    stats.on_get("g1", "rmq_sys_anything", 4)
    info = stats.runtime_info()
    assert info["msgPutTotalTodayNow"] == "5" and info["msgGetTotalTodayNow"] == "4"
    assert info["msgPutTotalTodayMorning"] == "0"

    wall.now = day + 3  # past midnight: today's morning is what was counted by then
    stats.sample()
    stats.on_put("orders", 2)
    info = stats.runtime_info()
    assert info["msgPutTotalTodayMorning"] == "5"
    assert info["msgPutTotalYesterdayMorning"] == "0"
    assert info["msgPutTotalTodayNow"] == "7"
    assert info["msgGetTotalTodayMorning"] == "4"
    stats.sample()  # the same day: no second roll
    assert stats.runtime_info()["msgPutTotalTodayMorning"] == "5"


def test_group_consume_tps_over_the_last_minute() -> None:
    clock = Clock(0.0)
    stats = BrokerStats(clock)
    assert stats.group_get_tps("g1", "orders") == 0.0
    for _second in range(120):
        clock.now += 1
        stats.on_get("g1", "orders", 10)
        stats.on_get("g2", "orders", 1)
        stats.sample()
    assert stats.group_get_tps("g1", "orders") == 10.0
    assert stats.group_get_tps("g2", "orders") == 1.0
    assert stats.group_get_tps("g1", "other") == 0.0
    for _second in range(60):  # the group stops: its rate falls to 0 within a minute
        clock.now += 1
        stats.sample()
    assert stats.group_get_tps("g1", "orders") == 0.0
