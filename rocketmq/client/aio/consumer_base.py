"""What the push and the lite pull consumer share (upstream's MQConsumerInner side).

The client instance, the group's subscriptions and the heartbeat data built
from them, the start-up sequence that registers the group, and the rebalance
loop: every ``rebalance_interval_ms`` and at once when the broker notifies
that the group's membership changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Self

from rocketmq._core import remoting as codec
from rocketmq.client.aio import consumer_core as core
from rocketmq.client.aio.consumer_core import CLUSTERING, CONSUME_FROM_LAST_OFFSET
from rocketmq.client.aio.instance import ClientInstance, ClientSettings, parse_namesrv_addrs
from rocketmq.client.rebalance import AllocateMessageQueueAveragely, AllocateMessageQueueStrategy
from rocketmq.common.codes import RequestCode
from rocketmq.common.message_queue import MessageQueue

logger = logging.getLogger("rocketmq.client")


class ConsumerBase:
    consume_type = ""  # CONSUME_PASSIVELY (push) or CONSUME_ACTIVELY (pull)

    def __init__(
        self,
        group: str,
        namesrv_addr: str | Sequence[str],
        *,
        message_model: str = CLUSTERING,
        consume_from_where: str = CONSUME_FROM_LAST_OFFSET,
        consume_timestamp_ms: int = 0,
        allocate_strategy: AllocateMessageQueueStrategy | None = None,
        rebalance_interval_ms: int = 20_000,
        instance_name: str = "DEFAULT",
    ) -> None:
        self.group = group
        self.message_model = message_model
        self.consume_from_where = consume_from_where
        self.consume_timestamp_ms = consume_timestamp_ms
        self.allocate_strategy = allocate_strategy or AllocateMessageQueueAveragely()
        self.rebalance_interval_ms = rebalance_interval_ms
        self.instance = ClientInstance(
            ClientSettings(parse_namesrv_addrs(namesrv_addr), instance_name=instance_name)
        )
        self.subscriptions: dict[str, str] = {}
        self._rebalance_now = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._sub_version = 0
        self._started = False

    async def start(self) -> None:
        raise NotImplementedError

    async def shutdown(self) -> None:
        raise NotImplementedError

    async def rebalance(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.shutdown()

    # -- the group on the brokers ----------------------------------------------------------

    async def committed(self, queue: MessageQueue) -> int | None:
        """The offset the broker stores for this group and ``queue`` (None: none yet)."""
        return await core.query_consumer_offset(self.instance, self.group, queue)

    async def _register(self) -> None:
        """Join the group: route the subscribed topics, heartbeat, hear of member changes."""
        self._sub_version = int(asyncio.get_running_loop().time() * 1000)
        instance = self.instance
        instance.consumers[self.group] = self._consumer_data
        instance.remoting.register_processor(
            RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, self._on_ids_changed
        )
        await instance.start()
        for topic in self.subscriptions:
            await core.subscribe_queues(instance, topic)
        await instance.send_heartbeats()
        self._started = True

    async def _unregister(self) -> None:
        await self.instance.shutdown()  # unregisters the group: pop it only after
        self.instance.consumers.pop(self.group, None)

    def _consumer_data(self) -> dict:
        return {
            "consumeFromWhere": self.consume_from_where,
            "consumeType": self.consume_type,
            "groupName": self.group,
            "messageModel": self.message_model,
            "subscriptionDataSet": [
                core.subscription_data(topic, expression, self._sub_version)
                for topic, expression in sorted(self.subscriptions.items())
            ],
            "unitMode": False,
        }

    def _on_ids_changed(self, _connection, _request: codec.RemotingCommand) -> None:
        self._rebalance_now.set()  # oneway: no response

    # -- background tasks ------------------------------------------------------------------

    def _spawn(self, coroutine) -> None:
        self._tasks.append(asyncio.get_running_loop().create_task(coroutine))

    async def _cancel_tasks(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _rebalance_loop(self) -> None:
        """Rebalance on each notification, else every interval (set the event to start now)."""
        while True:
            try:
                await asyncio.wait_for(
                    self._rebalance_now.wait(), self.rebalance_interval_ms / 1000.0
                )
            except TimeoutError:
                pass
            self._rebalance_now.clear()
            try:
                await self.rebalance()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("consumer %s: rebalance failed", self.group)
