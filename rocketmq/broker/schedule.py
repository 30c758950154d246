"""Delayed messages: parked in SCHEDULE_TOPIC_XXXX, moved to their topic when due.

On put, a message with property DELAY = level > 0 (not a prepared or
rolled-back transaction half) keeps its destination in REAL_TOPIC/REAL_QID
and goes to SCHEDULE_TOPIC_XXXX, queue ``level - 1``; the dispatcher writes
its delivery time (store time + the level's delay) as the unit's tags code
(upstream: CommitLog#putMessage in 4.x, HookUtils#handleScheduleMessage in 5.x).

``ScheduleMessageService`` runs one task per level. Each follows its queue
from the offset saved in ``config/delayOffset.json``: a due unit's message is
rebuilt without DELAY, with its real topic and queue, and put again; the
offset then moves past it. Units are in delivery-time order within a level
(same delay, increasing store time), so each task only ever waits for the
head of its queue. Offsets are persisted every ``flush_delay_offset_interval_ms``
and at shutdown: after a restart nothing due is lost, and a message is put
again only if the broker died between the put and the next persist.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from rocketmq._core import message as msgfmt
from rocketmq.broker.config_file import read_config_file, write_config_file
from rocketmq.common.topic import SCHEDULE_TOPIC
from rocketmq.store.commit_log import MessageToStore
from rocketmq.store.config import parse_delay_levels

if TYPE_CHECKING:
    from rocketmq.broker.controller import BrokerController

logger = logging.getLogger("rocketmq.broker")

PROPERTY_DELAY = "DELAY"
PROPERTY_REAL_TOPIC = "REAL_TOPIC"
PROPERTY_REAL_QUEUE_ID = "REAL_QID"
PROPERTY_WAIT_STORE_MSG_OK = "WAIT"

_TRANSACTION_MASK = 0xC
_DELAYABLE = (msgfmt.TRANSACTION_NOT_TYPE, msgfmt.TRANSACTION_COMMIT_TYPE)

IDLE_RECHECK_S = 0.1  # nothing in the level's queue yet
DUE_RECHECK_MAX_S = 1.0  # longest sleep before looking at the head again
ERROR_BACKOFF_S = 10.0  # after a failed put (upstream DELAY_FOR_A_PERIOD)


def delay_level_of(properties: dict[str, str]) -> int:
    """The DELAY property as a level (0 when absent or not a number)."""
    try:
        return int(properties.get(PROPERTY_DELAY) or 0)
    except ValueError:
        return 0


def park_if_delayed(
    topic: str, queue_id: int, properties: dict[str, str], sys_flag: int, level_count: int
) -> tuple[str, int]:
    """Where a message is stored: its own queue, or the schedule queue of its level.

    A delayed message's real destination is recorded in ``properties``.
    """
    level = delay_level_of(properties)
    if level <= 0 or sys_flag & _TRANSACTION_MASK not in _DELAYABLE:
        return topic, queue_id
    level = min(level, level_count)
    properties[PROPERTY_DELAY] = str(level)
    properties[PROPERTY_REAL_TOPIC] = topic
    properties[PROPERTY_REAL_QUEUE_ID] = str(queue_id)
    return SCHEDULE_TOPIC, level - 1


def message_time_up(
    record: msgfmt.MessageRecord, drop_properties: tuple[str, ...] = (PROPERTY_DELAY,)
) -> MessageToStore:
    """A parked record rebuilt for its real topic and queue (upstream messageTimeup),
    without the properties that parked it."""
    properties = record.properties_dict()
    for name in drop_properties:
        properties.pop(name, None)
    # A re-put is not waited on by any producer.
    properties[PROPERTY_WAIT_STORE_MSG_OK] = "false"
    return MessageToStore.from_record(
        record, properties[PROPERTY_REAL_TOPIC], int(properties[PROPERTY_REAL_QUEUE_ID]), properties
    )


class ScheduleMessageService:
    def __init__(self, broker: BrokerController) -> None:
        self.broker = broker
        self.delay_levels_ms = parse_delay_levels(broker.config.store.message_delay_level)
        self.path = broker.config.config_dir / "delayOffset.json"
        self.offsets: dict[int, int] = {}  # level -> next schedule-queue offset to deliver
        self.delivered = 0
        self._tasks: list[asyncio.Task] = []

    @property
    def level_count(self) -> int:
        return len(self.delay_levels_ms)

    def load(self) -> None:
        """Raises ValueError when delayOffset.json and its .bak are both unreadable."""
        document = read_config_file(self.path)
        if document is None:
            return
        table = document.get("offsetTable") if isinstance(document, dict) else None
        if not isinstance(table, dict):
            raise ValueError(f"{self.path}: no offsetTable")
        for level, offset in table.items():
            self.offsets[int(level)] = int(offset)

    def persist(self) -> None:
        try:
            write_config_file(self.path, self.wire_json())
        except OSError:
            logger.exception("persist %s failed", self.path)

    def wire_json(self) -> dict:
        """GET_ALL_DELAY_OFFSET's body (ScheduleMessageService#encode)."""
        return {"offsetTable": {str(level): o for level, o in sorted(self.offsets.items())}}

    def replace_offsets(self, document: dict) -> None:
        """A slave takes its master's delay offsets and persists them.

        Raises ValueError on a malformed body (nothing changes).
        """
        table = document.get("offsetTable")
        if not isinstance(table, dict):
            raise ValueError("delay offsets without offsetTable")
        self.offsets = {int(level): int(offset) for level, offset in table.items()}
        self.persist()

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        for level in range(1, self.level_count + 1):
            self._tasks.append(loop.create_task(self._run_level(level)))

    async def shutdown(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.persist()

    async def _run_level(self, level: int) -> None:
        while True:
            try:
                wait_s = await self.deliver_due(level)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("delivering delay level %d failed", level)
                wait_s = ERROR_BACKOFF_S
            await asyncio.sleep(wait_s)

    async def deliver_due(self, level: int) -> float:
        """Put every due message of ``level``; return how long to wait before looking again."""
        store = self.broker.store
        assert store is not None
        queue = store.find_consume_queue(SCHEDULE_TOPIC, level - 1)
        delay_ms = self.delay_levels_ms[level - 1]
        offset = max(self.offsets.get(level, 0), queue.min_offset)
        while True:
            self.offsets[level] = offset
            unit = queue.unit(offset)
            if unit is None:
                return IDLE_RECHECK_S
            commitlog_offset, _size, deliver_ms = unit
            now_ms = int(time.time() * 1000)
            if deliver_ms - now_ms > delay_ms:
                deliver_ms = now_ms  # the clock went back: no longer than one delay
            if deliver_ms > now_ms:
                return min((deliver_ms - now_ms) / 1000.0, DUE_RECHECK_MAX_S)
            record = store.look_message_by_offset(commitlog_offset)
            if record is None:
                logger.error(
                    "delay level %d offset %d: no record at commitlog offset %d; skipped",
                    level,
                    offset,
                    commitlog_offset,
                )
                offset += 1
                continue
            message = message_time_up(record)
            result = await store.put_messages([message])
            if not result.status.stored:
                logger.error(
                    "delay level %d offset %d: put failed (%s), retrying later",
                    level,
                    offset,
                    result.status.value,
                )
                return ERROR_BACKOFF_S
            self.delivered += 1
            self.broker.stats.on_put(message.topic, 1)
            offset += 1
