"""The blocking PushConsumer of rocketmq-client-python, running our asyncio PushConsumer."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
from collections.abc import Callable

from rocketmq.client.aio.push_consumer import BROADCASTING, CLUSTERING
from rocketmq.client.aio.push_consumer import PushConsumer as AsyncPushConsumer
from rocketmq.client.blocking import runtime
from rocketmq.client.blocking.exceptions import PushConsumerStartFailed
from rocketmq.client.blocking.message import ConsumeStatus, MessageModel, ReceivedMessage
from rocketmq.client.message import ConsumeStatus as CoreConsumeStatus
from rocketmq.client.message import MessageExt
from rocketmq.errors import RocketMQError

logger = logging.getLogger("rocketmq.client")

Callback = Callable[[ReceivedMessage], ConsumeStatus]


class PushConsumer:
    """``PushConsumer(group_id)``; ``subscribe(topic, callback)``, ``start()``.

    The callback gets one ReceivedMessage and returns ConsumeStatus; an
    exception or any other value counts as RECONSUME_LATER (logged). Callbacks
    run on ``set_thread_count`` threads (default: the CPU count).
    """

    def __init__(
        self,
        group_id: str,
        orderly: bool = False,
        message_model: MessageModel = MessageModel.CLUSTERING,
    ) -> None:
        self._group = group_id
        self._orderly = orderly
        self._message_model = message_model
        self._namesrv = ""
        self._instance_name = "DEFAULT"
        self._thread_count = os.cpu_count() or 4
        self._batch_max_size = 1
        self._subscriptions: dict[str, tuple[str, Callback]] = {}
        self._core: AsyncPushConsumer | None = None
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None

    def __enter__(self) -> None:
        self.start()

    def __exit__(self, exec_type, value, traceback) -> None:
        self.shutdown()

    # -- settings (before start) ---------------------------------------------------------------

    def set_message_model(self, model: MessageModel) -> None:
        self._message_model = MessageModel(model)

    def set_group(self, group_id: str) -> None:
        self._group = group_id

    def set_name_server_address(self, addr: str) -> None:
        self._namesrv = addr

    def set_name_server_domain(self, domain: str) -> None:
        raise PushConsumerStartFailed(
            "name server domains (HTTP address lookup) are not supported; "
            "use set_name_server_address"
        )

    def set_session_credentials(self, access_key: str, access_secret: str, channel: str) -> None:
        """Accepted and ignored: the broker runs without ACL."""

    def set_thread_count(self, thread_count: int) -> None:
        self._thread_count = max(1, int(thread_count))

    def set_message_batch_max_size(self, max_size: int) -> None:
        self._batch_max_size = max(1, int(max_size))

    def set_instance_name(self, name: str) -> None:
        self._instance_name = name

    def subscribe(self, topic: str, callback: Callback, expression: str = "*") -> None:
        self._subscriptions[topic] = (expression, callback)

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        if self._core is not None:
            return
        if not self._subscriptions:
            raise PushConsumerStartFailed("subscribe to a topic before start()")
        model = BROADCASTING if self._message_model == MessageModel.BROADCASTING else CLUSTERING
        pool = concurrent.futures.ThreadPoolExecutor(
            self._thread_count, thread_name_prefix=f"rocketmq-consume-{self._group}"
        )
        try:
            core = AsyncPushConsumer(
                self._group,
                self._namesrv,
                message_model=model,
                consume_concurrency=self._thread_count,
                instance_name=self._instance_name,
            )
            for topic, (expression, _callback) in self._subscriptions.items():
                core.subscribe(topic, expression)
            callbacks = {topic: cb for topic, (_expression, cb) in self._subscriptions.items()}

            async def listener(messages: list[MessageExt]) -> CoreConsumeStatus:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(pool, self._consume, callbacks, messages)

            core.register_listener(listener)
            runtime.call(core.start())
        except RocketMQError as exc:
            pool.shutdown(wait=False)
            raise PushConsumerStartFailed(str(exc)) from exc
        self._core, self._pool = core, pool

    def shutdown(self) -> None:
        core, self._core = self._core, None
        if core is not None:
            runtime.call(core.shutdown())
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def _consume(
        self, callbacks: dict[str, Callback], messages: list[MessageExt]
    ) -> CoreConsumeStatus:
        for message in messages:
            callback = callbacks.get(message.topic)
            if callback is None:
                continue
            try:
                status = callback(ReceivedMessage(message))
            except Exception:
                logger.exception("consumer %s: callback raised", self._group)
                return CoreConsumeStatus.RECONSUME_LATER
            if status != ConsumeStatus.CONSUME_SUCCESS:
                if status != ConsumeStatus.RECONSUME_LATER:
                    logger.error(
                        "consumer %s: callback returned %r, not a ConsumeStatus",
                        self._group,
                        status,
                    )
                return CoreConsumeStatus.RECONSUME_LATER
        return CoreConsumeStatus.CONSUME_SUCCESS
