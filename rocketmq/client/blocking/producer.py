"""The blocking Producer of rocketmq-client-python, running our asyncio Producer."""

from __future__ import annotations

from rocketmq.client.aio.producer import Producer as AsyncProducer
from rocketmq.client.blocking import runtime
from rocketmq.client.blocking.exceptions import (
    ProducerSendOnewayFailed,
    ProducerSendOrderlyFailed,
    ProducerSendSyncFailed,
    ProducerStartFailed,
)
from rocketmq.client.blocking.message import Message, SendResult, SendStatus
from rocketmq.client.message import SendResult as CoreSendResult
from rocketmq.errors import RocketMQError

_DEFAULT_TIMEOUT_MS = 3000
_DEFAULT_MAX_MESSAGE_SIZE = 4 * 1024 * 1024


def send_result(result: CoreSendResult) -> SendResult:
    """Our SendResult as upstream's (status, msg_id, offset) namedtuple."""
    return SendResult(SendStatus[_STATUS_NAMES[result.status.value]], result.msg_id,
                      result.queue_offset)  # fmt: skip


_STATUS_NAMES = {
    "SEND_OK": "OK",
    "FLUSH_DISK_TIMEOUT": "FLUSH_DISK_TIMEOUT",
    "FLUSH_SLAVE_TIMEOUT": "FLUSH_SLAVE_TIMEOUT",
    "SLAVE_NOT_AVAILABLE": "SLAVE_NOT_AVAILABLE",
}


class Producer:
    """``Producer(group_id)``; set the NameServer address, ``start()``, ``send_sync(msg)``.

    ``orderly`` is accepted for compatibility: ``send_orderly_with_sharding_key``
    keeps order either way. ``compress_level`` is the zlib level of bodies over
    4 KiB. Failures raise the upstream exception classes
    (ProducerSendSyncFailed, ...) with the cause chained.
    """

    def __init__(
        self,
        group_id: str,
        orderly: bool = False,
        timeout: int | None = None,
        compress_level: int | None = None,
        max_message_size: int | None = None,
    ) -> None:
        self._group = group_id
        self._orderly = orderly
        self._namesrv = ""
        self._instance_name = "DEFAULT"
        self._timeout_ms = timeout or _DEFAULT_TIMEOUT_MS
        self._compress_level = compress_level
        self._max_message_size = max_message_size or _DEFAULT_MAX_MESSAGE_SIZE
        self._core: AsyncProducer | None = None

    def __enter__(self) -> None:
        self.start()

    def __exit__(self, exec_type, value, traceback) -> None:
        self.shutdown()

    # -- settings (before start) ---------------------------------------------------------------

    def set_group(self, group_name: str) -> None:
        self._group = group_name

    def set_name_server_address(self, addr: str) -> None:
        self._namesrv = addr

    def set_name_server_domain(self, domain: str) -> None:
        raise ProducerStartFailed(
            "name server domains (HTTP address lookup) are not supported; "
            "use set_name_server_address"
        )

    def set_session_credentials(self, access_key: str, access_secret: str, channel: str) -> None:
        """Accepted and ignored: the broker runs without ACL."""

    def set_instance_name(self, name: str) -> None:
        self._instance_name = name

    def set_timeout(self, timeout: int) -> None:
        self._timeout_ms = int(timeout)

    def set_compress_level(self, level: int) -> None:
        self._compress_level = int(level)

    def set_max_message_size(self, max_size: int) -> None:
        self._max_message_size = int(max_size)

    # -- lifecycle -----------------------------------------------------------------------------

    def _make_core(self) -> AsyncProducer:
        return AsyncProducer(
            self._group,
            self._namesrv,
            instance_name=self._instance_name,
            send_timeout_ms=self._timeout_ms,
            max_message_size=self._max_message_size,
            compress_level=5 if self._compress_level is None else self._compress_level,
        )

    def start(self) -> None:
        if self._core is not None:
            return
        try:
            core = self._make_core()
            runtime.call(core.start())
        except RocketMQError as exc:
            raise ProducerStartFailed(str(exc)) from exc
        self._core = core

    def shutdown(self) -> None:
        core, self._core = self._core, None
        if core is not None:
            runtime.call(core.shutdown())

    def _started(self, error: type[Exception]) -> AsyncProducer:
        if self._core is None:
            raise error("the producer is not started")
        return self._core

    # -- sends ---------------------------------------------------------------------------------

    def send_sync(self, msg: Message) -> SendResult:
        core = self._started(ProducerSendSyncFailed)
        try:
            return send_result(runtime.call(core.send(msg._core)))
        except RocketMQError as exc:
            raise ProducerSendSyncFailed(str(exc)) from exc

    def send_oneway(self, msg: Message) -> None:
        core = self._started(ProducerSendOnewayFailed)
        try:
            runtime.call(core.send_oneway(msg._core))
        except RocketMQError as exc:
            raise ProducerSendOnewayFailed(str(exc)) from exc

    def send_orderly_with_sharding_key(self, msg: Message, sharding_key: str) -> SendResult:
        """Messages with one sharding key go to one queue, in send order."""
        core = self._started(ProducerSendOrderlyFailed)
        try:
            return send_result(runtime.call(core.send_orderly(msg._core, sharding_key)))
        except RocketMQError as exc:
            raise ProducerSendOrderlyFailed(str(exc)) from exc
