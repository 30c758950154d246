"""PullConsumer of rocketmq-client-python: read a topic's queues from their start.

``pull(topic, expression, max_num)`` yields every message of every queue of
``topic`` (matching the tag expression), pulling ``max_num`` at a time from
offset 0 until a queue has nothing more, as the official client does; it
keeps no offsets between calls.
"""

from __future__ import annotations

from collections.abc import Iterator

from rocketmq.client.aio import consumer_core as core
from rocketmq.client.aio.instance import ClientInstance, ClientSettings, parse_namesrv_addrs
from rocketmq.client.blocking import runtime
from rocketmq.client.blocking.exceptions import PullConsumerStartFailed
from rocketmq.client.blocking.message import ReceivedMessage
from rocketmq.common.codes import ResponseCode
from rocketmq.errors import RocketMQError


class PullConsumer:
    def __init__(self, group_id: str) -> None:
        self._group = group_id
        self._namesrv = ""
        self._instance: ClientInstance | None = None

    def set_group(self, group_id: str) -> None:
        self._group = group_id

    def set_name_server_address(self, addr: str) -> None:
        self._namesrv = addr

    def set_name_server_domain(self, domain: str) -> None:
        raise PullConsumerStartFailed(
            "name server domains (HTTP address lookup) are not supported; "
            "use set_name_server_address"
        )

    def set_session_credentials(self, access_key: str, access_secret: str, channel: str) -> None:
        """Accepted and ignored: the broker runs without ACL."""

    def start(self) -> None:
        if self._instance is not None:
            return
        try:
            instance = ClientInstance(ClientSettings(parse_namesrv_addrs(self._namesrv)))
            runtime.call(instance.start())
        except RocketMQError as exc:
            raise PullConsumerStartFailed(str(exc)) from exc
        self._instance = instance

    def shutdown(self) -> None:
        instance, self._instance = self._instance, None
        if instance is not None:
            runtime.call(instance.shutdown())

    def pull(
        self, topic: str, expression: str = "*", max_num: int = 32
    ) -> Iterator[ReceivedMessage]:
        instance = self._instance
        if instance is None:
            raise PullConsumerStartFailed("the pull consumer is not started")
        queues = runtime.call(core.subscribe_queues(instance, topic))
        for queue in queues:
            offset = 0
            while True:
                result = runtime.call(
                    core.pull(instance, self._group, queue, offset, expression,
                              max_messages=max_num, suspend_timeout_ms=0, suspend=False)
                )  # fmt: skip
                for message in result.messages:
                    yield ReceivedMessage(message)
                moved = result.next_begin_offset != offset
                offset = result.next_begin_offset
                if result.code == ResponseCode.PULL_NOT_FOUND or not moved:
                    break
