"""Timer messages (RocketMQ 5): delivery at any time up to ``timerMaxDelaySec`` ahead.

A message with TIMER_DELIVER_MS (absolute, ms), TIMER_DELAY_SEC or
TIMER_DELAY_MS (relative), or the older ``__STARTDELIVERTIME`` (absolute, ms)
is parked in ``rmq_sys_wheel_timer`` queue 0 with TIMER_OUT_MS = its delivery
time rounded down to ``timerPrecisionMs`` and its destination in
REAL_TOPIC/REAL_QID. A delay past the maximum is MESSAGE_ILLEGAL; with
``timerWheelEnable=false`` the send fails with SYSTEM_ERROR, as upstream.

Upstream keeps a timing wheel on disk (timerwheel, timerlog). Here the
CommitLog and the parking queue are the only truth: ``TimerMessageService``
reads the queue into a heap ordered by delivery time and re-puts each message
when due. Its progress (``config/timerCheckpoint.json``) is how far the queue
was read and the offsets still waiting; a restart reloads those, so nothing
due is lost, and a message is put twice only if the broker died between its
put and the next persist. At most ``timer_pending_max`` messages wait at once;
past that, timer sends are refused with SYSTEM_BUSY until some are delivered.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from typing import TYPE_CHECKING

from rocketmq.broker.config_file import read_config_file, write_config_file
from rocketmq.broker.schedule import PROPERTY_REAL_QUEUE_ID, PROPERTY_REAL_TOPIC, message_time_up
from rocketmq.common.codes import ResponseCode
from rocketmq.errors import BrokerError

if TYPE_CHECKING:
    from rocketmq.broker.controller import BrokerController

logger = logging.getLogger("rocketmq.broker")

TIMER_TOPIC = "rmq_sys_wheel_timer"
PROPERTY_TIMER_DELIVER_MS = "TIMER_DELIVER_MS"
PROPERTY_TIMER_DELAY_SEC = "TIMER_DELAY_SEC"
PROPERTY_TIMER_DELAY_MS = "TIMER_DELAY_MS"
PROPERTY_START_DELIVER_TIME = "__STARTDELIVERTIME"
PROPERTY_TIMER_OUT_MS = "TIMER_OUT_MS"
_REQUEST_PROPERTIES = (
    PROPERTY_TIMER_DELIVER_MS,
    PROPERTY_TIMER_DELAY_SEC,
    PROPERTY_TIMER_DELAY_MS,
    PROPERTY_START_DELIVER_TIME,
)

SCAN_INTERVAL_S = 0.1  # how often new parked messages are picked up
DUE_RECHECK_MAX_S = 0.1
ERROR_BACKOFF_S = 1.0


def _now_ms() -> int:
    return int(time.time() * 1000)


def delivery_time_ms(properties: dict[str, str], now_ms: int) -> int | None:
    """When a message with timer properties is due (None: not a timer message).

    Raises BrokerError MESSAGE_ILLEGAL for a value that is not a number.
    """
    for name in _REQUEST_PROPERTIES:
        text = properties.get(name)
        if text is None:
            continue
        try:
            value = int(text)
        except ValueError:
            raise BrokerError(
                ResponseCode.MESSAGE_ILLEGAL, f"timer message illegal, bad {name}: {text!r}"
            ) from None
        if name == PROPERTY_TIMER_DELAY_SEC:
            return now_ms + value * 1000
        if name == PROPERTY_TIMER_DELAY_MS:
            return now_ms + value
        return value
    return None


class TimerMessageService:
    def __init__(self, broker: BrokerController) -> None:
        self.broker = broker
        store_config = broker.config.store
        self.enabled = store_config.timer_wheel_enable
        self.max_delay_ms = store_config.timer_max_delay_sec * 1000
        self.precision_ms = max(1, store_config.timer_precision_ms)
        self.pending_max = broker.config.timer_pending_max
        self.path = broker.config.config_dir / "timerCheckpoint.json"
        self.scanned_below = 0  # parked offsets below this are in the heap or delivered
        self.heap: list[tuple[int, int, int]] = []  # (deliver ms, queue offset, commitlog offset)
        self.delivered = 0
        self._task: asyncio.Task | None = None

    # -- the send side -----------------------------------------------------------------------

    def park_if_timed(
        self, topic: str, queue_id: int, properties: dict[str, str]
    ) -> tuple[str, int]:
        """Where a message is stored: its own queue, or the timer queue if it is due later."""
        if not any(name in properties for name in _REQUEST_PROPERTIES):
            return topic, queue_id  # the common case: no clock read on the send path
        now_ms = _now_ms()
        deliver_ms = delivery_time_ms(properties, now_ms)
        if deliver_ms is None:
            return topic, queue_id
        if not self.enabled:
            raise BrokerError(
                ResponseCode.SYSTEM_ERROR,
                "accurate timer message is not enabled, timerWheelEnable is false",
            )
        if deliver_ms - now_ms > self.max_delay_ms:
            raise BrokerError(
                ResponseCode.MESSAGE_ILLEGAL,
                f"timer message illegal, the delay time should not be bigger than the max "
                f"delay {self.max_delay_ms // 1000}s",
            )
        deliver_ms -= deliver_ms % self.precision_ms
        if deliver_ms <= now_ms:
            return topic, queue_id
        if len(self.heap) >= self.pending_max:
            raise BrokerError(
                ResponseCode.SYSTEM_BUSY,
                f"[TIMER_FLOW_CONTROL] {len(self.heap)} timer messages wait already",
            )
        properties[PROPERTY_TIMER_OUT_MS] = str(deliver_ms)
        properties[PROPERTY_REAL_TOPIC] = topic
        properties[PROPERTY_REAL_QUEUE_ID] = str(queue_id)
        return TIMER_TOPIC, 0

    # -- lifecycle ---------------------------------------------------------------------------

    def load(self) -> None:
        """Read the checkpoint; call once the store is running.

        Raises ValueError when timerCheckpoint.json and its .bak are both unreadable.
        """
        document = read_config_file(self.path)
        if document is not None:
            if not isinstance(document, dict):
                raise ValueError(f"{self.path}: not a JSON object")
            self.scanned_below = int(document.get("scannedBelow", 0))
            queue = self.broker.store.find_consume_queue(TIMER_TOPIC, 0)
            for offset in document.get("pending", []):
                self._push(queue, int(offset))
        self.scan()  # what was parked after the last persist

    def persist(self) -> None:
        pending = sorted(offset for _deliver, offset, _commitlog in self.heap)
        document = {"scannedBelow": self.scanned_below, "pending": pending}
        try:
            write_config_file(self.path, document)
        except OSError:
            logger.exception("persist %s failed", self.path)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def shutdown(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self.persist()

    async def _run(self) -> None:
        while True:
            try:
                self.scan()
                wait_s = await self.deliver_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("timer message delivery failed")
                wait_s = ERROR_BACKOFF_S
            await asyncio.sleep(min(wait_s, SCAN_INTERVAL_S))

    # -- the delivery side -------------------------------------------------------------------

    def scan(self) -> int:
        """Move newly parked messages into the heap; returns how many."""
        queue = self.broker.store.find_consume_queue(TIMER_TOPIC, 0)
        offset = max(self.scanned_below, queue.min_offset)
        added = 0
        while len(self.heap) < self.pending_max and offset < queue.max_offset:
            added += self._push(queue, offset)
            offset += 1
        self.scanned_below = offset
        return added

    def _push(self, queue, offset: int) -> int:
        unit = queue.unit(offset)
        record = None if unit is None else self.broker.store.look_message_by_offset(unit[0])
        if record is None:
            logger.error("timer queue offset %d: no record; skipped", offset)
            return 0
        deliver_ms = int(record.properties_dict().get(PROPERTY_TIMER_OUT_MS, 0))
        heapq.heappush(self.heap, (deliver_ms, offset, unit[0]))
        return 1

    async def deliver_due(self) -> float:
        """Put every due message; return how long until the next one is due."""
        store = self.broker.store
        while self.heap:
            deliver_ms, offset, commitlog_offset = self.heap[0]
            now_ms = _now_ms()
            if deliver_ms > now_ms:
                return min((deliver_ms - now_ms) / 1000.0, DUE_RECHECK_MAX_S)
            record = store.look_message_by_offset(commitlog_offset)
            if record is not None:
                message = message_time_up(record, _REQUEST_PROPERTIES)
                result = await store.put_messages([message])
                if not result.status.stored:
                    logger.error(
                        "timer queue offset %d: put failed (%s), retrying later",
                        offset,
                        result.status.value,
                    )
                    return ERROR_BACKOFF_S
                self.delivered += 1
                self.broker.stats.on_put(message.topic, 1)
            heapq.heappop(self.heap)
        return DUE_RECHECK_MAX_S
