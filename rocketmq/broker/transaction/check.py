"""TransactionalMessageCheckService: asks producers about half messages left pending.

Upstream TransactionalMessageCheckService and TransactionalMessageServiceImpl#check
(4.9.7). Every ``transaction_check_interval_ms`` each half queue is scanned
from the offset of system group CID_RMQ_SYS_TRANS; the op queue of the same id
(read from that group's offset too) names the halves already committed or
rolled back. A pending half older than ``transaction_timeout_ms`` (or its
CHECK_IMMUNITY_TIME_IN_SECONDS) has TRANSACTION_CHECK_TIMES raised, is
appended again as a copy (the scan moves past the original), and one live
producer channel of its PGROUP gets CHECK_TRANSACTION_STATE (39) oneway naming
the copy: its queue offset, commit-log offset and offsetMsgId. The producer
answers with END_TRANSACTION for the copy.

A half checked ``transaction_check_max`` times already, or older than the
CommitLog's fileReservedTime, is given up: moved to TRANS_CHECK_MAX_TIME_TOPIC
(what 4.9.7 and 5.x do) and never delivered. The scan stops at the first half
too young to check, at a copy made during this scan, or after
``SCAN_TIME_MAX_S``; the two offsets are then committed to the
ConsumerOffsetManager (persisted with consumerOffset.json), so progress
survives a restart.

Only a master checks (upstream starts the service unless the role is SLAVE).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rocketmq._core import message as msgfmt
from rocketmq._core import remoting as codec
from rocketmq.broker.config import SLAVE
from rocketmq.broker.schedule import PROPERTY_REAL_QUEUE_ID, PROPERTY_REAL_TOPIC
from rocketmq.broker.topic_config import (
    TRANS_CHECK_MAX_TIME_TOPIC,
    TRANS_HALF_TOPIC,
    TRANS_OP_HALF_TOPIC,
)
from rocketmq.broker.transaction.half import (
    CHECK_GROUP,
    PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS,
    PROPERTY_PRODUCER_GROUP,
    PROPERTY_TRANSACTION_CHECK_TIMES,
    PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET,
    PROPERTY_UNIQ_KEY,
    REMOVE_TAG,
    check_max_time_message,
    renew_half_message,
)
from rocketmq.common.codes import RequestCode
from rocketmq.errors import RemotingError

if TYPE_CHECKING:
    from rocketmq.broker.controller import BrokerController

logger = logging.getLogger("rocketmq.broker")

OP_PULL_UNITS = 32  # op records read at a time (fillOpRemoveMap)
SCAN_TIME_MAX_S = 60.0  # one queue's scan stops after this (MAX_PROCESS_TIME_LIMIT)
HALF_MISSES_MAX = 1  # unreadable half offsets skipped per scan (MAX_RETRY_COUNT_WHEN_HALF_NULL)
YIELD_EVERY = 256  # halves examined between two yields to the event loop
SHUTDOWN_GRACE_S = 5.0  # a scan in progress may finish this long before it is cancelled


def now_ms() -> int:
    return int(time.time() * 1000)


def _java_long(text: str | None) -> int:
    """Long.parseLong, -1 when malformed (TransactionalMessageServiceImpl#getLong)."""
    try:
        return int(text or "")
    except ValueError:
        return -1


@dataclass
class _OpView:
    """The op records read so far in one scan of one queue."""

    next_offset: int  # next op queue offset to read
    removed: dict[int, int] = field(default_factory=dict)  # half offset -> op offset
    done: list[int] = field(default_factory=list)  # op offsets whose half is behind the scan
    last_found: int = 0  # records in the last read; 0: the op queue is read to its end
    last_born_ms: int = 0  # born time of the last op record read


class TransactionalMessageCheckService:
    def __init__(self, broker: BrokerController) -> None:
        self.broker = broker
        self.checks_sent = 0  # CHECK_TRANSACTION_STATE written to a producer
        self.discarded = 0  # halves given up (moved to TRANS_CHECK_MAX_TIME_TOPIC)
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._wakeup = asyncio.Event()

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        if self.broker.config.broker_role == SLAVE:
            return
        self._stopping = False
        self._wakeup = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def shutdown(self) -> None:
        """Stop after the scan in progress (its progress is committed), then return."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wakeup.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), SHUTDOWN_GRACE_S)
        except TimeoutError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        except Exception:
            logger.exception("transaction check service failed")

    async def _run(self) -> None:
        interval_s = self.broker.config.transaction_check_interval_ms / 1000.0
        while not self._stopping:
            try:
                await asyncio.wait_for(self._wakeup.wait(), interval_s)
            except TimeoutError:
                pass
            if self._stopping:
                return
            try:
                await self.check()
            except Exception:
                logger.exception("transaction check failed")

    # -- one round (TransactionalMessageServiceImpl#check) ------------------------------------

    async def check(self) -> None:
        """Scan every half queue once."""
        topics = self.broker.topic_config_manager
        topic_config = topics.select(TRANS_HALF_TOPIC) or topics.create_in_send_back(
            TRANS_HALF_TOPIC, 1
        )
        for queue_id in range(topic_config.read_queue_nums):
            if self._stopping:
                return
            await self._check_queue(queue_id)

    def _fetch_offset(self, topic: str, queue_id: int) -> int:
        offset = self.broker.consumer_offset_manager.query_offset(CHECK_GROUP, topic, queue_id)
        if offset < 0:
            offset = self.broker.store.get_min_offset_in_queue(topic, queue_id)
        return offset

    def _commit_offset(self, topic: str, queue_id: int, offset: int) -> None:
        self.broker.consumer_offset_manager.commit_offset(CHECK_GROUP, topic, queue_id, offset)

    async def _check_queue(self, queue_id: int) -> None:
        config = self.broker.config
        timeout_ms = config.transaction_timeout_ms
        start_ms = now_ms()
        half_offset = self._fetch_offset(TRANS_HALF_TOPIC, queue_id)
        op_offset = self._fetch_offset(TRANS_OP_HALF_TOPIC, queue_id)
        ops = _OpView(op_offset)
        self._read_ops(ops, queue_id, half_offset)

        offset = half_offset  # next half offset to look at
        misses = 0
        examined = 0
        while not self._stopping:
            if now_ms() - start_ms > SCAN_TIME_MAX_S * 1000:
                logger.info("half queue %d: scan time reached %.0f s", queue_id, SCAN_TIME_MAX_S)
                break
            examined += 1
            if examined % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            op = ops.removed.pop(offset, None)
            if op is not None:  # committed or rolled back
                ops.done.append(op)
                offset += 1
                continue
            half, next_offset = self._half_at(queue_id, offset)
            if half is None:
                misses += 1
                if misses > HALF_MISSES_MAX or next_offset is None:
                    break
                offset = next_offset
                continue
            properties = half.properties_dict()
            if self._need_discard(properties) or self._need_skip(half):
                await self._discard(half, properties)
                offset += 1
                continue
            if half.store_timestamp >= start_ms:
                break  # appended during this scan (our own copies among them)
            age_ms = now_ms() - half.born_timestamp
            immunity_ms = timeout_ms
            immunity = properties.get(PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS)
            if immunity is not None:
                immunity_ms = self._immunity_ms(immunity, timeout_ms)
                if age_ms < immunity_ms and await self._check_prepare_queue_offset(
                    ops, half, properties
                ):
                    offset += 1
                    continue
            elif 0 <= age_ms < immunity_ms:
                break  # this one and every later half are too young
            need_check = (
                (ops.last_found == 0 and age_ms > immunity_ms)
                or (ops.last_found > 0 and ops.last_born_ms - start_ms > timeout_ms)
                or age_ms <= -1
            )
            if not need_check:
                if ops.last_found == 0:
                    break  # upstream re-reads the exhausted op queue until the age passes
                # An op record further on may name this half: read more first.
                self._read_ops(ops, queue_id, half_offset)
                continue
            copy = await self._put_back(half, properties, immunity=False)
            if copy is None:
                break  # the store refuses writes: try again next round
            self._send_check(half, properties, copy)
            offset += 1

        if offset != half_offset:
            self._commit_offset(TRANS_HALF_TOPIC, queue_id, offset)
        new_op_offset = _calculate_op_offset(ops.done, op_offset)
        if new_op_offset != op_offset:
            self._commit_offset(TRANS_OP_HALF_TOPIC, queue_id, new_op_offset)

    # -- reading -----------------------------------------------------------------------------------

    def _half_at(
        self, queue_id: int, offset: int
    ) -> tuple[msgfmt.MessageRecord | None, int | None]:
        """(the half at ``offset``, None) or (None, where to go on; None: at the end)."""
        store = self.broker.store
        queue = store.find_consume_queue(TRANS_HALF_TOPIC, queue_id)
        if offset >= queue.max_offset:
            return None, None
        if offset < queue.min_offset:
            return None, queue.min_offset
        unit = queue.unit(offset)
        record = store.look_message_by_offset(unit[0]) if unit is not None else None
        if record is None:
            logger.warning("half queue %d offset %d: no message; skipped", queue_id, offset)
            return None, offset + 1
        return record, None

    def _read_ops(self, ops: _OpView, queue_id: int, half_offset: int) -> None:
        """Read up to OP_PULL_UNITS op records (fillOpRemoveMap)."""
        store = self.broker.store
        queue = store.find_consume_queue(TRANS_OP_HALF_TOPIC, queue_id)
        ops.last_found = 0
        if ops.next_offset < queue.min_offset:
            # Expired under us: go on from the oldest op record left.
            ops.next_offset = queue.min_offset
            self._commit_offset(TRANS_OP_HALF_TOPIC, queue_id, ops.next_offset)
        end = min(queue.max_offset, ops.next_offset + OP_PULL_UNITS)
        while ops.next_offset < end:
            op_offset = ops.next_offset
            ops.next_offset += 1
            unit = queue.unit(op_offset)
            record = store.look_message_by_offset(unit[0]) if unit is not None else None
            if record is None:
                continue
            ops.last_found += 1
            ops.last_born_ms = record.born_timestamp
            if record.tags != REMOVE_TAG:
                logger.error(
                    "op queue %d offset %d: illegal tag %r", queue_id, op_offset, record.tags
                )
                continue
            done_half = _java_long((record.body or b"").decode("ascii", "replace"))
            if done_half < half_offset:
                ops.done.append(op_offset)
            else:
                ops.removed[done_half] = op_offset

    # -- decisions ---------------------------------------------------------------------------------

    def _need_discard(self, properties: dict[str, str]) -> bool:
        """True once checked ``transaction_check_max`` times; else count this check."""
        times_text = properties.get(PROPERTY_TRANSACTION_CHECK_TIMES)
        times = 1
        if times_text is not None:
            times = _java_long(times_text)
            if times >= self.broker.config.transaction_check_max:
                return True
            times += 1
        properties[PROPERTY_TRANSACTION_CHECK_TIMES] = str(times)
        return False

    def _need_skip(self, half: msgfmt.MessageRecord) -> bool:
        """True when ``half`` is older than the CommitLog keeps files (fileReservedTime)."""
        reserved_ms = self.broker.config.store.file_reserved_time_hours * 3600 * 1000
        if now_ms() - half.born_timestamp > reserved_ms:
            logger.info(
                "half message %s exceeds file reserved time; skipped",
                half.uniq_key,
            )
            return True
        return False

    @staticmethod
    def _immunity_ms(text: str, timeout_ms: int) -> int:
        seconds = _java_long(text)
        return timeout_ms if seconds == -1 else seconds * 1000

    async def _check_prepare_queue_offset(
        self, ops: _OpView, half: msgfmt.MessageRecord, properties: dict[str, str]
    ) -> bool:
        """A half still immune: done if its first copy is resolved, else put back again."""
        first_text = properties.get(PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET)
        if first_text is not None:
            first = _java_long(first_text)
            if first == -1:
                return False
            op = ops.removed.pop(first, None)
            if op is not None:
                ops.done.append(op)
                return True
        return await self._put_back(half, properties, immunity=True) is not None

    # -- actions -----------------------------------------------------------------------------------

    async def _put_back(
        self, half: msgfmt.MessageRecord, properties: dict[str, str], *, immunity: bool
    ) -> msgfmt.MessageRecord | None:
        """Append a copy of ``half`` to its queue; the copy as stored, or None."""
        store = self.broker.store
        copy = renew_half_message(half, properties, immunity=immunity)
        result = await store.put_messages([copy])
        if not result.status.stored:
            logger.error("put back half message %s failed: %s", half.uniq_key, result.status.value)
            return None
        return store.look_message_by_offset(result.physical_offset)

    def _send_check(
        self, half: msgfmt.MessageRecord, properties: dict[str, str], copy: msgfmt.MessageRecord
    ) -> None:
        """CHECK_TRANSACTION_STATE about ``copy`` to one producer of the half's group."""
        group = properties.get(PROPERTY_PRODUCER_GROUP)
        connection = self.broker.producer_manager.available_channel(group) if group else None
        if connection is None:
            logger.warning("check transaction failed: no producer of group %s online", group)
            return
        uniq_key = properties.get(PROPERTY_UNIQ_KEY)
        real_topic = properties.get(PROPERTY_REAL_TOPIC, half.topic)
        fields = {
            "tranStateTableOffset": str(copy.queue_offset),
            "commitLogOffset": str(copy.physical_offset),
            "offsetMsgId": copy.msg_id,
            "topic": real_topic,
            "bname": self.broker.config.broker_name,
        }
        if uniq_key is not None:
            fields["msgId"] = uniq_key
            fields["transactionId"] = uniq_key
        request = codec.RemotingCommand(
            RequestCode.CHECK_TRANSACTION_STATE, fields, _check_body(half, properties, copy)
        )
        try:
            connection.invoke_oneway(request)
        except RemotingError as exc:
            logger.warning("check transaction of %s failed: %s", uniq_key, exc)
            return
        self.checks_sent += 1

    async def _discard(self, half: msgfmt.MessageRecord, properties: dict[str, str]) -> None:
        """Give ``half`` up: keep it in TRANS_CHECK_MAX_TIME_TOPIC (resolveDiscardMsg)."""
        self.discarded += 1
        logger.error(
            "half message %s (queue offset %d) checked too many times; "
            "moved to %s and never delivered",
            half.uniq_key,
            half.queue_offset,
            TRANS_CHECK_MAX_TIME_TOPIC,
        )
        self.broker.topic_config_manager.create_in_send_back(TRANS_CHECK_MAX_TIME_TOPIC, 1)
        result = await self.broker.store.put_messages([check_max_time_message(half, properties)])
        if not result.status.stored:
            logger.error(
                "put half message %s to %s failed: %s",
                half.uniq_key,
                TRANS_CHECK_MAX_TIME_TOPIC,
                result.status.value,
            )


def _check_body(
    half: msgfmt.MessageRecord, properties: dict[str, str], copy: msgfmt.MessageRecord
) -> bytes:
    """The message a producer's check listener gets (MessageDecoder#encode, v1 layout).

    The half as the producer sent it: real topic and queue id, the copy's
    queue and commit-log offsets, the raised check count.
    """
    topic = properties.get(PROPERTY_REAL_TOPIC, half.topic)
    queue_id = _java_long(properties.get(PROPERTY_REAL_QUEUE_ID))
    return msgfmt.encode_record_bytes(
        queue_id=queue_id if queue_id >= 0 else half.queue_id,
        flag=half.flag,
        queue_offset=copy.queue_offset,
        physical_offset=copy.physical_offset,
        sys_flag=half.sys_flag,
        born_timestamp=half.born_timestamp,
        born_host=half.born_host,
        store_timestamp=half.store_timestamp,
        store_host=half.store_host,
        reconsume_times=half.reconsume_times,
        prepared_transaction_offset=half.prepared_transaction_offset,
        body=half.body or b"",
        topic=topic.encode("utf-8"),
        properties=msgfmt.properties_to_string(properties).encode("utf-8"),
        body_crc=half.body_crc,
    )


def _calculate_op_offset(done: list[int], old_offset: int) -> int:
    """The op queue offset below which every op record is done (calculateOpOffset)."""
    offset = old_offset
    for op_offset in sorted(done):
        if op_offset != offset:
            break
        offset += 1
    return offset
