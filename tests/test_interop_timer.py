"""Timer messages (TIMER_DELIVER_MS, RocketMQ 5): delivered at their time, also across a
restart, judged by the official Java clients."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from rocketmq._testbase.cluster import LocalCluster
from rocketmq.broker.timer import TIMER_TOPIC
from tests.interop import harness
from tests.interop.java_clients import consume_push, produce
from tests.interop.messages import assert_same_messages, unique

pytestmark = pytest.mark.interop

CLIENTS = ["client4", "client5"]
PRECISION_MS = 1000  # timerPrecisionMs: delivery times are rounded down to it
CLOCK_SLACK_MS = 200
# The driver stamps TIMER_DELIVER_MS = now + this just before each send; rounded down
# to the second it leaves >= 3 s for the send to arrive before it is due (else the
# broker stores it at once, unparked), even for a cold JVM's first send.
DELAY_MS = 4000


@pytest.fixture(scope="module", params=CLIENTS)
def client(request: pytest.FixtureRequest) -> str:
    harness.ensure_built(request.param)
    return request.param


def without_queue_position(sent: list[dict]) -> list[dict]:
    """A parked send reports its place in the timer queue, not in the real queue."""
    return [{k: v for k, v in item.items() if k not in ("queueId", "queueOffset")} for item in sent]


@pytest.mark.timeout_s(120)
async def test_timer_messages_arrive_at_their_time(client: str, tmp_path: Path) -> None:
    async with LocalCluster(tmp_path) as cluster:
        namesrv = cluster.namesrv_addr
        topic = unique("cy_timer")
        started_ms = time.time() * 1000
        sent = await produce(client, namesrv, topic, "--count", "5", "--modes", "sync",
                             "--deliver-after-ms", str(DELAY_MS))  # fmt: skip
        assert cluster.broker.store.get_max_offset_in_queue(TIMER_TOPIC, 0) == 5
        received = await consume_push(client, namesrv, topic, 5, "--group", unique("cy_tg"))
        assert_same_messages(without_queue_position(sent), received)
        for got in received:
            due = int(got["props"]["TIMER_OUT_MS"])
            assert due >= started_ms + DELAY_MS - PRECISION_MS - CLOCK_SLACK_MS
            assert due <= got["bornTimestamp"] + DELAY_MS + CLOCK_SLACK_MS
            assert got["storeTimestamp"] >= due
            assert got["props"]["REAL_TOPIC"] == topic
            assert "TIMER_DELIVER_MS" not in got["props"]


@pytest.mark.timeout_s(120)
async def test_a_timer_past_the_max_delay_is_refused(client: str, tmp_path: Path) -> None:
    async with LocalCluster(tmp_path, store_overrides={"timer_max_delay_sec": 60}) as cluster:
        rc, out, _err = await harness.run_java(
            "client4.ProducerDriver",
            "--namesrv", cluster.namesrv_addr, "--topic", unique("cy_timer_far"),
            "--count", "1", "--modes", "sync", "--deliver-after-ms", "120000",
            module=client,
        )  # fmt: skip
        assert rc != 0
        assert "CODE: 13" in out and "max delay 60s" in out, out
    async with LocalCluster(tmp_path / "off", store_overrides={"timer_wheel_enable": False}) as c2:
        rc, out, _err = await harness.run_java(
            "client4.ProducerDriver",
            "--namesrv", c2.namesrv_addr, "--topic", unique("cy_timer_off"),
            "--count", "1", "--modes", "sync", "--deliver-after-ms", "5000",
            module=client,
        )  # fmt: skip
        # SYSTEM_ERROR is one of the codes the client retries; the last try's
        # exception no longer carries the remark.
        assert rc != 0 and "still failed" in out, out
        assert c2.broker.store.get_max_offset_in_queue(TIMER_TOPIC, 0) == 0


@pytest.mark.timeout_s(120)
async def test_pending_timers_survive_a_restart(tmp_path: Path) -> None:
    """Delivered before the restart: not again. Still pending: delivered once, on time."""
    client = "client5"
    harness.ensure_built(client)
    async with LocalCluster(tmp_path) as cluster:
        namesrv = cluster.namesrv_addr
        topic = unique("cy_timer_restart")
        early = await produce(client, namesrv, topic, "--count", "4", "--modes", "sync",
                              "--deliver-after-ms", str(DELAY_MS), "--run", "early")  # fmt: skip
        assert cluster.broker.store.get_max_offset_in_queue(TIMER_TOPIC, 0) == 4
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while cluster.broker.timer.delivered < 4:
            assert loop.time() < deadline, "early timers not delivered"
            await asyncio.sleep(0.05)
        # Due well after the restart even on a loaded machine (a JVM start, a broker restart).
        late = await produce(client, namesrv, topic, "--count", "4", "--modes", "sync",
                             "--deliver-after-ms", "12000", "--run", "late")  # fmt: skip
        await cluster.restart_broker()
        timer = cluster.broker.timer
        assert len(timer.heap) == 4  # the late ones, reloaded from the checkpoint
        received = await consume_push(client, namesrv, topic, 8, "--group", unique("cy_trg"))
        assert_same_messages(without_queue_position(early + late), received)
        assert timer.delivered == 4
