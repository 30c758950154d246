"""PushConsumer: long-polling pulls handed to a listener (DefaultMQPushConsumer).

Clustering (default): the group's members share the queues by an allocation
strategy (AVG unless told otherwise), rebalanced every
``rebalance_interval_ms`` and whenever the broker says the membership
changed; offsets live on the broker (committed every
``persist_offset_interval_ms``, on pulls and at shutdown). Broadcasting:
every member reads every queue, offsets live in
``<offset_store_dir>/<client id>/<group>/offsets.json``, failed messages are
not retried.

The listener gets a list of MessageExt (``consume_batch_size`` of them) and
returns ConsumeStatus (an exception counts as RECONSUME_LATER); it may be a
coroutine function. At most ``consume_concurrency`` listener calls run at
once. Pulls run ahead of the listener until a queue holds
``pull_threshold_for_queue`` unconsumed messages (or
``pull_threshold_size_for_queue_mib`` MiB, or a span of
``consume_concurrently_max_span`` offsets); the offset committed is that of
the oldest message not consumed yet.

Concurrently (default): the batches of one pull are consumed in parallel; a
message the listener fails goes back to the broker (CONSUMER_SEND_MSG_BACK),
which redelivers it through ``%RETRY%<group>`` with growing delays and finally
dead-letters it.

Orderly (``register_listener(fn, orderly=True)``, ConsumeMessageOrderlyService):
in clustering mode a queue is consumed only while this client holds its
broker lock (LOCK_BATCH_MQ, renewed every ``lock_interval_ms``, trusted for
``lock_valid_ms``); its messages go to the listener one batch at a time in
queue order. RECONSUME_LATER suspends the queue for
``suspend_current_queue_time_ms`` and hands the same batch again (its
``reconsume_times`` raised), up to ``max_reconsume_times``; then the batch
goes back to the broker, which dead-letters it. A queue leaving this member
is unlocked (UNLOCK_BATCH_MQ) after its batch in flight finished and its
offset was committed; so is every queue at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rocketmq._core import remoting as codec
from rocketmq.client.aio import consumer_core as core
from rocketmq.client.aio.consumer_base import ConsumerBase
from rocketmq.client.aio.consumer_core import (
    BROADCASTING,
    CLUSTERING,
    CONSUME_FROM_FIRST_OFFSET,
    CONSUME_FROM_LAST_OFFSET,
    CONSUME_FROM_TIMESTAMP,
    RETRY_PREFIX,
    subscription_data,
)
from rocketmq.client.aio.process_queue import PendingBatch, ProcessQueue
from rocketmq.client.message import ConsumeStatus, MessageExt
from rocketmq.client.rebalance import AllocateMessageQueueStrategy
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.common.message_queue import MessageQueue
from rocketmq.errors import BrokerError, ClientError, RemotingError

logger = logging.getLogger("rocketmq.client")

RemotingCommand = codec.RemotingCommand

__all__ = [
    "BROADCASTING",
    "CLUSTERING",
    "CONSUME_FROM_FIRST_OFFSET",
    "CONSUME_FROM_LAST_OFFSET",
    "CONSUME_FROM_TIMESTAMP",
    "PushConsumer",
    "subscription_data",
]

PULL_ERROR_BACKOFF_S = 3.0  # pullTimeDelayMillsWhenException
LOCAL_RETRY_DELAY_S = 5.0  # a message whose send-back failed is consumed again after this
UNLOCKED_WAIT_S = 0.1  # an orderly queue without a valid lock looks again after this
FLOW_CONTROL_WAIT_S = 0.05  # PULL_TIME_DELAY_MILLS_WHEN_FLOW_CONTROL

Listener = Callable[[list[MessageExt]], Any]


class PushConsumer(ConsumerBase):
    consume_type = "CONSUME_PASSIVELY"

    def __init__(
        self,
        group: str,
        namesrv_addr: str | Sequence[str],
        *,
        message_model: str = CLUSTERING,
        consume_from_where: str = CONSUME_FROM_LAST_OFFSET,
        consume_timestamp_ms: int = 0,
        allocate_strategy: AllocateMessageQueueStrategy | None = None,
        consume_concurrency: int = 20,
        consume_batch_size: int = 1,
        pull_batch_size: int = 32,
        pull_threshold_for_queue: int = 1000,
        pull_threshold_size_for_queue_mib: int = 100,
        consume_concurrently_max_span: int = 2000,
        max_reconsume_times: int = 16,
        suspend_timeout_ms: int = 15_000,
        rebalance_interval_ms: int = 20_000,
        persist_offset_interval_ms: int = 5000,
        suspend_current_queue_time_ms: int = 1000,
        lock_interval_ms: int = 20_000,
        lock_valid_ms: int = 30_000,
        instance_name: str = "DEFAULT",
        offset_store_dir: str | Path | None = None,
    ) -> None:
        if message_model not in (CLUSTERING, BROADCASTING):
            raise ClientError(f"message_model must be {CLUSTERING} or {BROADCASTING}")
        super().__init__(
            group,
            namesrv_addr,
            message_model=message_model,
            consume_from_where=consume_from_where,
            consume_timestamp_ms=consume_timestamp_ms,
            allocate_strategy=allocate_strategy,
            rebalance_interval_ms=rebalance_interval_ms,
            instance_name=instance_name,
        )
        self.consume_batch_size = max(1, consume_batch_size)
        self.pull_batch_size = pull_batch_size
        self.pull_threshold_for_queue = pull_threshold_for_queue
        self.pull_threshold_size_for_queue = pull_threshold_size_for_queue_mib * 1024 * 1024
        self.consume_concurrently_max_span = consume_concurrently_max_span
        self.max_reconsume_times = max_reconsume_times
        self.suspend_timeout_ms = suspend_timeout_ms
        self.persist_offset_interval_ms = persist_offset_interval_ms
        self.suspend_current_queue_time_ms = suspend_current_queue_time_ms
        self.lock_interval_ms = lock_interval_ms
        self.lock_valid_ms = lock_valid_ms
        root = Path(offset_store_dir or Path.home() / ".rocketmq_offsets")
        self.offset_file = root / self.instance.client_id / group / "offsets.json"
        self._local_offsets: dict[str, int] = {}  # broadcasting: str(queue) -> offset
        self.listener: Listener | None = None
        self.orderly = False
        self.queues: dict[MessageQueue, ProcessQueue] = {}
        self.consume_concurrency = max(1, consume_concurrency)
        self._semaphore = asyncio.Semaphore(self.consume_concurrency)  # orderly listener calls
        # Concurrently: pulled batches for the consume workers (ConsumeMessageConcurrentlyService).
        self._consume_requests: asyncio.Queue[tuple[ProcessQueue, PendingBatch]] = asyncio.Queue()
        self._dropping: set[asyncio.Task] = set()  # queues a rebalance is letting go

    # -- setup ---------------------------------------------------------------------------------

    def subscribe(self, topic: str, expression: str = "*") -> None:
        """Tag expression: ``"*"`` or ``"TagA || TagB"``."""
        self.subscriptions[topic] = expression

    def register_listener(self, listener: Listener, *, orderly: bool = False) -> None:
        """``orderly``: consume each queue in order, one batch at a time (see the module doc)."""
        if self._started:
            raise ClientError("register the listener before start()")
        self.listener = listener
        self.orderly = orderly

    @property
    def _locking(self) -> bool:
        return self.orderly and self.message_model == CLUSTERING

    async def start(self) -> None:
        if self._started:
            return
        if self.listener is None or not self.subscriptions:
            raise ClientError("subscribe to a topic and register a listener before start()")
        if self.message_model == CLUSTERING:
            self.subscriptions.setdefault(f"{RETRY_PREFIX}{self.group}", "*")
        if self.message_model == BROADCASTING:
            self._local_offsets = self._read_local_offsets()
        await self._register()
        self._rebalance_now.set()  # the first rebalance runs at once, in the background
        self._spawn(self._rebalance_loop())
        self._spawn(self._persist_loop())
        if not self.orderly:
            for _ in range(self.consume_concurrency):
                self._spawn(self._consume_worker())
        if self._locking:
            self._spawn(self._lock_loop())

    async def shutdown(self) -> None:
        """Stop pulling, let batches in flight finish, commit offsets, release locks."""
        if not self._started:
            return
        self._started = False
        await self._cancel_tasks()
        await asyncio.gather(*self._dropping, return_exceptions=True)
        states = list(self.queues.values())
        await asyncio.gather(*(self._drop(state, unlock=False) for state in states))
        await self.persist_offsets()
        if self._locking:
            await self._unlock([state.queue for state in states])
        await self._unregister()

    # -- rebalance -----------------------------------------------------------------------------

    async def rebalance(self) -> None:
        """Take the queues this member should hold now; drop the others.

        Orderly in clustering mode: a new queue is taken only once its lock is
        granted (the next rebalance tries again), and its offset is read after.
        """
        wanted = await core.allocate(
            self.instance,
            self.group,
            list(self.subscriptions),
            self.allocate_strategy,
            self.message_model,
        )
        for queue, state in list(self.queues.items()):
            if queue not in wanted:
                # Finished even when shutdown cancels this rebalance (shutdown awaits it).
                drop = asyncio.get_running_loop().create_task(
                    self._drop(state, unlock=self._locking)
                )
                self._dropping.add(drop)
                drop.add_done_callback(self._dropping.discard)
                await asyncio.shield(drop)
        new = sorted(wanted - set(self.queues))
        locked_at = asyncio.get_running_loop().time()
        if self._locking:
            new = sorted(await self._lock(new))
        for queue in new:
            if queue in self.queues or not self._started:
                continue  # re-check after the awaits
            offset = await self._start_offset(queue)
            state = ProcessQueue(queue, offset)
            if self._locking:
                state.locked_at = locked_at
            self.queues[queue] = state
            state.task = asyncio.get_running_loop().create_task(self._pull_loop(state))
            logger.info("consumer %s: took %s from offset %d", self.group, queue, offset)

    async def _drop(self, state: ProcessQueue, *, unlock: bool) -> None:
        """Stop the queue (after its batch in flight, when orderly), commit, maybe unlock."""
        state.dropped = True
        self.queues.pop(state.queue, None)
        if state.task is not None:
            if not (self.orderly and state.consuming):
                state.task.cancel()
            await asyncio.gather(state.task, return_exceptions=True)
        # Batches pulled ahead and not consumed stay uncommitted: the next owner gets them
        # (the workers skip them; a listener call under way ends but moves nothing).
        await self._commit(state)
        if unlock:
            await self._unlock([state.queue])

    # -- locks (orderly, clustering) -----------------------------------------------------------

    async def _lock(self, queues: Sequence[MessageQueue]) -> set[MessageQueue]:
        return await core.lock_queues(self.instance, self.group, queues)

    async def _unlock(self, queues: Sequence[MessageQueue]) -> None:
        await core.unlock_queues(self.instance, self.group, queues)

    async def _lock_loop(self) -> None:
        """Renew the locks of every held queue (RebalanceImpl.lockAll)."""
        while True:
            await asyncio.sleep(self.lock_interval_ms / 1000.0)
            now = asyncio.get_running_loop().time()
            granted = await self._lock(list(self.queues))
            for queue, state in list(self.queues.items()):
                if queue in granted:
                    state.locked_at = now
                elif state.locked_at is not None:
                    logger.warning("consumer %s: lost the lock of %s", self.group, queue)
                    state.locked_at = None

    def _lock_valid(self, state: ProcessQueue) -> bool:
        if not self._locking:
            return True
        if state.locked_at is None:
            return False
        age_ms = (asyncio.get_running_loop().time() - state.locked_at) * 1000
        return age_ms <= self.lock_valid_ms

    # -- offsets -------------------------------------------------------------------------------

    async def _start_offset(self, queue: MessageQueue) -> int:
        if self.message_model == BROADCASTING:
            stored = self._local_offsets.get(str(queue))
        else:
            stored = await core.query_consumer_offset(self.instance, self.group, queue)
        if stored is not None:
            return int(stored)
        return await core.initial_offset(
            self.instance, queue, self.consume_from_where, self.consume_timestamp_ms
        )

    async def _commit(self, state: ProcessQueue) -> None:
        if self.message_model == BROADCASTING:
            self._local_offsets[str(state.queue)] = state.consumed_offset
            return  # written to the file by persist_offsets
        try:
            await core.update_consumer_offset(
                self.instance, self.group, state.queue, state.consumed_offset
            )
        except (RemotingError, BrokerError, ClientError) as exc:
            logger.warning("consumer %s: commit of %s failed: %s", self.group, state.queue, exc)

    async def persist_offsets(self) -> None:
        if self.message_model == BROADCASTING:
            for queue, state in self.queues.items():
                self._local_offsets[str(queue)] = state.consumed_offset
            self.offset_file.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.offset_file.with_suffix(".tmp")
            document = {"offsetTable": dict(sorted(self._local_offsets.items()))}
            temporary.write_text(json.dumps(document))
            os.replace(temporary, self.offset_file)
            return
        for state in list(self.queues.values()):
            await self._commit(state)

    def _read_local_offsets(self) -> dict[str, int]:
        try:
            document = json.loads(self.offset_file.read_text())
        except (OSError, ValueError):
            return {}
        return {str(k): int(v) for k, v in (document.get("offsetTable") or {}).items()}

    async def _persist_loop(self) -> None:
        while True:
            await asyncio.sleep(self.persist_offset_interval_ms / 1000.0)
            try:
                await self.persist_offsets()
            except OSError:
                logger.exception("consumer %s: persisting offsets failed", self.group)

    # -- pulling and consuming -----------------------------------------------------------------

    async def _pull_loop(self, state: ProcessQueue) -> None:
        queue = state.queue
        expression = self.subscriptions.get(queue.topic, "*")
        while not state.dropped:
            if not self._lock_valid(state):
                await asyncio.sleep(UNLOCKED_WAIT_S)
                continue
            if not state.has_room(
                self.pull_threshold_for_queue,
                self.pull_threshold_size_for_queue,
                self.consume_concurrently_max_span,
            ):
                state.room.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(state.room.wait(), FLOW_CONTROL_WAIT_S)
                continue
            commit = state.consumed_offset
            piggyback = self.message_model == CLUSTERING and commit > 0
            try:
                result = await core.pull(
                    self.instance,
                    self.group,
                    queue,
                    state.next_offset,
                    expression,
                    max_messages=self.pull_batch_size,
                    suspend_timeout_ms=self.suspend_timeout_ms,
                    commit_offset=commit if piggyback else None,
                    sub_version=self._sub_version,
                )
            except (RemotingError, BrokerError, ClientError) as exc:
                logger.warning("consumer %s: pull of %s failed: %s", self.group, queue, exc)
                await asyncio.sleep(PULL_ERROR_BACKOFF_S)
                continue
            if result.code == ResponseCode.PULL_OFFSET_MOVED:
                state.next_offset = state.consumed_offset = result.next_begin_offset
                await self._commit(state)
                continue
            if result.messages and not self.orderly:
                for entry in state.pulled(self._batches(result.messages), result.next_begin_offset):
                    self._consume_requests.put_nowait((state, entry))
                continue
            if result.messages and not await self._consume_orderly(state, result.messages):
                return  # dropped: the next owner starts from consumed_offset
            state.next_offset = state.consumed_offset = result.next_begin_offset

    def _batches(self, messages: list[MessageExt]) -> list[list[MessageExt]]:
        size = self.consume_batch_size
        return [messages[i : i + size] for i in range(0, len(messages), size)]

    async def _call_listener(self, batch: list[MessageExt]) -> ConsumeStatus:
        assert self.listener is not None
        try:
            status = self.listener(batch)
            if inspect.isawaitable(status):
                status = await status
        except Exception:
            logger.exception("consumer %s: listener raised", self.group)
            return ConsumeStatus.RECONSUME_LATER
        if status is ConsumeStatus.CONSUME_SUCCESS:
            return status
        return ConsumeStatus.RECONSUME_LATER

    async def _consume_worker(self) -> None:
        """One of ``consume_concurrency``: takes pulled batches in order and consumes them."""
        while True:
            state, entry = await self._consume_requests.get()
            if state.dropped:
                continue
            try:
                await self._consume_batch(state, entry)
            except asyncio.CancelledError:
                raise
            except Exception:  # its batch stays pending: the queue's offset cannot pass it
                logger.exception("consumer %s: consuming a batch failed", self.group)

    async def _consume_batch(self, state: ProcessQueue, entry: PendingBatch) -> None:
        """Concurrently: the listener, then a send-back of a failed batch; the batch is done.

        Messages the broker does not take back are consumed here again after
        LOCAL_RETRY_DELAY_S (submitConsumeRequestLater), without holding a worker.
        """
        status = await self._call_listener(entry.messages)
        if status is ConsumeStatus.RECONSUME_LATER:
            if self.message_model == BROADCASTING:
                logger.warning("consumer %s: broadcast message not retried", self.group)
            else:
                failed = [m for m in entry.messages if not await self._send_back(m)]
                if failed:
                    entry.messages = failed
                    asyncio.get_running_loop().call_later(
                        LOCAL_RETRY_DELAY_S, self._consume_requests.put_nowait, (state, entry)
                    )
                    return
        state.consumed(entry)

    async def _consume_orderly(self, state: ProcessQueue, messages: list[MessageExt]) -> bool:
        """Hand ``messages`` to the listener batch by batch, in order; False if dropped first.

        ``state.consumed_offset`` follows each consumed batch, so a queue dropped
        (or a lock lost) midway resumes right after the last consumed message.
        """
        for batch in self._batches(messages):
            while True:
                if state.dropped:
                    return False
                if not self._lock_valid(state):
                    await asyncio.sleep(UNLOCKED_WAIT_S)
                    continue
                state.consuming = True
                try:
                    async with self._semaphore:
                        if state.dropped:
                            return False
                        status = await self._call_listener(batch)
                finally:
                    state.consuming = False
                if status is ConsumeStatus.CONSUME_SUCCESS or await self._give_up(batch):
                    state.consumed_offset = batch[-1].queue_offset + 1
                    break
                for message in batch:
                    message.reconsume_times += 1
                await asyncio.sleep(self.suspend_current_queue_time_ms / 1000.0)
        return True

    async def _give_up(self, batch: list[MessageExt]) -> bool:
        """Orderly: send a batch past max_reconsume_times back (the broker dead-letters it).

        True when the batch is done with: sent back, or broadcasting (never retried).
        """
        if self.message_model == BROADCASTING:
            logger.warning("consumer %s: broadcast message not retried", self.group)
            return True
        if any(m.reconsume_times < self.max_reconsume_times for m in batch):
            return False
        for message in batch:
            if not await self._send_back(message, delay_level=-1):
                return False
        return True

    async def _send_back(self, message: MessageExt, *, delay_level: int = 0) -> bool:
        """CONSUMER_SEND_MSG_BACK; ``delay_level`` -1 sends it to the dead-letter queue."""
        addr = self.instance.master_addr(message.broker_name)
        if addr is None:
            return False
        fields = {
            "offset": str(message.commit_log_offset),
            "group": self.group,
            "delayLevel": str(delay_level),
            "originMsgId": message.msg_id,
            "originTopic": message.topic,
            "unitMode": "false",
            "maxReconsumeTimes": str(self.max_reconsume_times),
        }
        request = RemotingCommand(RequestCode.CONSUMER_SEND_MSG_BACK, fields)
        try:
            response = await self.instance.remoting.invoke(addr, request)
        except RemotingError as exc:
            logger.warning("consumer %s: send back failed: %s", self.group, exc)
            return False
        return response.code == ResponseCode.SUCCESS
