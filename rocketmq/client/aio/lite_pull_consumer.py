"""LitePullConsumer: the application polls; queues come from a rebalance or an assignment.

Upstream DefaultLitePullConsumer (clustering). ``subscribe(topic, expr)``
shares the topic's queues with the group's other members (the allocation
strategy, redone every ``rebalance_interval_ms`` and when the broker says the
membership changed); ``assign(queues)`` reads exactly those queues. Either way
a task per queue long-polls the broker ahead of the application and keeps up
to ``pull_threshold_for_queue`` messages buffered; ``poll`` returns the
messages of one pull. Offsets live on the broker under the group: a polled
message counts as consumed; ``commit()`` stores those offsets, and with
``auto_commit`` they are stored every ``auto_commit_interval_ms``, when a
queue leaves this member and at shutdown. ``seek`` moves a queue's next
offset and discards what was buffered for it.

Errors: ClientError for misuse (polling before start, seeking a queue not
held, an offset outside the queue); BrokerError / RemotingError for
failures of the calls the caller awaits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence

from rocketmq._core import remoting as codec
from rocketmq.client.aio import consumer_core as core
from rocketmq.client.aio.consumer_base import ConsumerBase
from rocketmq.client.aio.consumer_core import CLUSTERING, CONSUME_FROM_LAST_OFFSET
from rocketmq.client.message import MessageExt
from rocketmq.client.rebalance import AllocateMessageQueueStrategy
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.common.message_queue import MessageQueue
from rocketmq.errors import BrokerError, ClientError, RemotingError

logger = logging.getLogger("rocketmq.client")

RemotingCommand = codec.RemotingCommand

PULL_ERROR_BACKOFF_S = 3.0  # pullTimeDelayMillsWhenException
FLOW_CONTROL_WAIT_S = 0.05  # PULL_TIME_DELAY_MILLS_WHEN_FLOW_CONTROL
BUFFERED_PULLS_MAX = 10_000  # pulls waiting for poll(), all queues together


class _QueueState:
    """One held queue: where its pulls go on, what poll() consumed, what waits in the buffer."""

    def __init__(self, queue: MessageQueue, offset: int) -> None:
        self.queue = queue
        self.next_offset = offset  # of the next pull
        self.consumed_offset = offset  # everything below was polled
        self.committed_offset: int | None = None  # last stored on the broker
        self.buffered = 0  # messages in the poll buffer
        self.generation = 0  # raised by seek: older buffered pulls are stale
        self.task: asyncio.Task | None = None


class LitePullConsumer(ConsumerBase):
    consume_type = "CONSUME_ACTIVELY"

    def __init__(
        self,
        group: str,
        namesrv_addr: str | Sequence[str],
        *,
        consume_from_where: str = CONSUME_FROM_LAST_OFFSET,
        consume_timestamp_ms: int = 0,
        allocate_strategy: AllocateMessageQueueStrategy | None = None,
        pull_batch_size: int = 10,
        pull_threshold_for_queue: int = 1000,
        auto_commit: bool = True,
        auto_commit_interval_ms: int = 5000,
        rebalance_interval_ms: int = 20_000,
        suspend_timeout_ms: int = 20_000,
        instance_name: str = "DEFAULT",
    ) -> None:
        if not group:
            raise ClientError("consumerGroup can not be empty")
        super().__init__(
            group,
            namesrv_addr,
            consume_from_where=consume_from_where,
            consume_timestamp_ms=consume_timestamp_ms,
            allocate_strategy=allocate_strategy,
            rebalance_interval_ms=rebalance_interval_ms,
            instance_name=instance_name,
        )
        self.pull_batch_size = pull_batch_size
        self.pull_threshold_for_queue = pull_threshold_for_queue
        self.auto_commit = auto_commit
        self.auto_commit_interval_ms = auto_commit_interval_ms
        self.suspend_timeout_ms = suspend_timeout_ms
        self._assigned: list[MessageQueue] | None = None
        self._states: dict[MessageQueue, _QueueState] = {}
        # (state, generation, messages, offset after them) per pull, in arrival order.
        self._buffer: asyncio.Queue = asyncio.Queue(BUFFERED_PULLS_MAX)

    # -- setup ---------------------------------------------------------------------------------

    def subscribe(self, topic: str, expression: str = "*") -> None:
        """Share ``topic`` with the group (tag expression ``"*"`` or ``"TagA || TagB"``)."""
        if self._assigned is not None:
            raise ClientError("Subscribe and assign are mutually exclusive.")
        self.subscriptions[topic] = expression

    def assign(self, queues: Iterable[MessageQueue]) -> None:
        """Read exactly ``queues`` (every tag); replaces an earlier assignment."""
        if self.subscriptions and self._assigned is None:
            raise ClientError("Subscribe and assign are mutually exclusive.")
        self._assigned = sorted(set(queues))
        self.subscriptions = {queue.topic: "*" for queue in self._assigned}
        if self._started:
            self._rebalance_now.set()

    def assignment(self) -> set[MessageQueue]:
        """The queues held now."""
        return set(self._states)

    async def start(self) -> None:
        if self._started:
            return
        if not self.subscriptions:
            raise ClientError("subscribe to a topic or assign queues before start()")
        await self._register()
        await self.rebalance()
        self._spawn(self._rebalance_loop())
        if self.auto_commit:
            self._spawn(self._auto_commit_loop())

    async def shutdown(self) -> None:
        """Stop pulling; with auto_commit, store the offsets of what was polled."""
        if not self._started:
            return
        self._started = False
        await self._cancel_tasks()
        states = list(self._states.values())
        for state in states:
            await self._stop(state)
        if self.auto_commit:
            for state in states:
                await self._commit(state)
        self._states.clear()
        await self._unregister()

    def _on_ids_changed(self, _connection, _request: RemotingCommand) -> None:
        if self._assigned is None:
            self._rebalance_now.set()

    # -- which queues --------------------------------------------------------------------------

    async def rebalance(self) -> None:
        """Hold the assigned queues, or this member's share of the subscribed topics."""
        if self._assigned is not None:
            wanted = set(self._assigned)
        else:
            wanted = await core.allocate(
                self.instance,
                self.group,
                list(self.subscriptions),
                self.allocate_strategy,
                CLUSTERING,
            )
        for queue, state in list(self._states.items()):
            if queue not in wanted:
                self._states.pop(queue, None)
                await self._stop(state)
                if self.auto_commit:
                    await self._commit(state)
        for queue in sorted(wanted - set(self._states)):
            offset = await self._start_offset(queue)
            if queue in self._states or not self._started:
                continue  # re-check after the await
            state = _QueueState(queue, offset)
            self._states[queue] = state
            self._run(state)
            logger.info("consumer %s: took %s from offset %d", self.group, queue, offset)

    async def _start_offset(self, queue: MessageQueue) -> int:
        stored = await core.query_consumer_offset(self.instance, self.group, queue)
        if stored is not None:
            return stored
        return await core.initial_offset(
            self.instance, queue, self.consume_from_where, self.consume_timestamp_ms
        )

    # -- offsets -------------------------------------------------------------------------------

    async def poll(self, timeout_ms: int = 5000) -> list[MessageExt]:
        """The messages of one pull of one held queue; [] after ``timeout_ms`` without any."""
        if not self._started:
            raise ClientError("The consumer not running, please start it first.")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_ms / 1000.0
        while True:
            left_s = deadline - loop.time()
            if left_s <= 0:
                return []
            try:
                state, generation, messages, next_offset = await asyncio.wait_for(
                    self._buffer.get(), left_s
                )
            except TimeoutError:
                return []
            if state.generation != generation or self._states.get(state.queue) is not state:
                continue  # sought past, or the queue left this member
            state.buffered -= len(messages)
            state.consumed_offset = next_offset
            return messages

    async def seek(self, queue: MessageQueue, offset: int) -> None:
        """Pull ``queue`` from ``offset`` on (between its min and max offset, inclusive)."""
        state = self._states.get(queue)
        if state is None:
            raise ClientError(f"The message queue is not in assigned list, message queue: {queue}")
        low = await core.offset_request(self.instance, queue, RequestCode.GET_MIN_OFFSET)
        high = await core.offset_request(self.instance, queue, RequestCode.GET_MAX_OFFSET)
        if not low <= offset <= high:
            raise ClientError(f"Seek offset illegal: {offset} not in [{low}, {high}] of {queue}")
        if self._states.get(queue) is not state:
            raise ClientError(f"The message queue left this consumer while seeking: {queue}")
        await self._stop(state)
        state.generation += 1
        state.buffered = 0
        state.next_offset = state.consumed_offset = offset
        self._run(state)

    async def seek_to_begin(self, queue: MessageQueue) -> None:
        await self.seek(
            queue, await core.offset_request(self.instance, queue, RequestCode.GET_MIN_OFFSET)
        )

    async def seek_to_end(self, queue: MessageQueue) -> None:
        await self.seek(
            queue, await core.offset_request(self.instance, queue, RequestCode.GET_MAX_OFFSET)
        )

    async def commit(self) -> None:
        """Store the offsets of everything polled so far on the brokers."""
        for state in list(self._states.values()):
            await self._commit(state)

    async def _commit(self, state: _QueueState) -> None:
        offset = state.consumed_offset
        if offset == state.committed_offset:
            return
        try:
            await core.update_consumer_offset(self.instance, self.group, state.queue, offset)
        except (RemotingError, BrokerError, ClientError) as exc:
            logger.warning("consumer %s: commit of %s failed: %s", self.group, state.queue, exc)
            return
        state.committed_offset = offset

    async def _auto_commit_loop(self) -> None:
        while True:
            await asyncio.sleep(self.auto_commit_interval_ms / 1000.0)
            await self.commit()

    # -- pulling -------------------------------------------------------------------------------

    def _run(self, state: _QueueState) -> None:
        state.task = asyncio.get_running_loop().create_task(self._pull_loop(state))

    async def _stop(self, state: _QueueState) -> None:
        if state.task is not None:
            state.task.cancel()
            await asyncio.gather(state.task, return_exceptions=True)
            state.task = None

    async def _pull_loop(self, state: _QueueState) -> None:
        queue = state.queue
        expression = self.subscriptions.get(queue.topic, "*")
        while True:
            if state.buffered >= self.pull_threshold_for_queue:
                await asyncio.sleep(FLOW_CONTROL_WAIT_S)
                continue
            try:
                result = await core.pull(
                    self.instance,
                    self.group,
                    queue,
                    state.next_offset,
                    expression,
                    max_messages=self.pull_batch_size,
                    suspend_timeout_ms=self.suspend_timeout_ms,
                    sub_version=self._sub_version,
                )
            except (RemotingError, BrokerError, ClientError) as exc:
                logger.warning("consumer %s: pull of %s failed: %s", self.group, queue, exc)
                await asyncio.sleep(PULL_ERROR_BACKOFF_S)
                continue
            if result.messages:
                state.buffered += len(result.messages)
                item = (state, state.generation, result.messages, result.next_begin_offset)
                await self._buffer.put(item)
            elif state.buffered == 0 and result.code != ResponseCode.PULL_NOT_FOUND:
                # Nothing waits to be polled: skipped (filtered) or moved offsets count as read.
                state.consumed_offset = result.next_begin_offset
            state.next_offset = result.next_begin_offset
