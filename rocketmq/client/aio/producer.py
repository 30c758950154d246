"""Producer: asyncio sends with RocketMQ's semantics (DefaultMQProducer).

``send`` stores one message and returns a SendResult; on a broker or network
failure it retries ``retry_times_when_send_failed`` times on another broker
(the failed one is avoided for ``fault_isolation_ms``), all within
``send_timeout_ms``. ``send_oneway`` writes without waiting. ``send_orderly``
picks the queue with a selector (by default the hash of a sharding key), so
one key's messages keep their order; it does not retry elsewhere.
``send_batch`` stores messages of one topic in one request, each with its own
id. Bodies larger than ``compress_over_bytes`` are zlib-compressed, as the
Java client does. Topics unknown to the NameServer are sent through TBW102's
route, so brokers with ``autoCreateTopicEnable`` create them.

Errors: ClientError for a message the client refuses, BrokerError (the
response code's class) and RemotingError subclasses for failures.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable, Sequence
from typing import Any

from rocketmq._core import headers, storefmt
from rocketmq._core import message as msgfmt
from rocketmq._core import remoting as codec
from rocketmq.client.aio.instance import ClientInstance, ClientSettings, parse_namesrv_addrs
from rocketmq.client.message import (
    PROPERTY_TRANSACTION_PREPARED,
    PROPERTY_UNIQ_KEY,
    PROPERTY_WAIT_STORE_MSG_OK,
    Message,
    SendResult,
    SendStatus,
)
from rocketmq.client.message_id import new_message_id
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.common.message_queue import MessageQueue
from rocketmq.common.topic import PERM_WRITE
from rocketmq.errors import BrokerError, ClientError, RemotingError, RemotingTimeoutError

logger = logging.getLogger("rocketmq.client")

RemotingCommand = codec.RemotingCommand

AUTO_CREATE_TOPIC_KEY = "TBW102"
COMPRESSED_FLAG = 0x1  # MessageSysFlag.COMPRESSED_FLAG
TRANSACTION_PREPARED_TYPE = 0x4  # MessageSysFlag: a half message (TRAN_MSG=true)
TOPIC_NAME_MAX = 127
# Response codes after which the Java client tries another broker.
RETRY_CODES = frozenset(
    {
        ResponseCode.TOPIC_NOT_EXIST,
        ResponseCode.SERVICE_NOT_AVAILABLE,
        ResponseCode.SYSTEM_ERROR,
        ResponseCode.SYSTEM_BUSY,
        ResponseCode.NO_PERMISSION,
    }
)
_STATUS_BY_CODE = {
    ResponseCode.SUCCESS: SendStatus.SEND_OK,
    ResponseCode.FLUSH_DISK_TIMEOUT: SendStatus.FLUSH_DISK_TIMEOUT,
    ResponseCode.FLUSH_SLAVE_TIMEOUT: SendStatus.FLUSH_SLAVE_TIMEOUT,
    ResponseCode.SLAVE_NOT_AVAILABLE: SendStatus.SLAVE_NOT_AVAILABLE,
}

Selector = Callable[[list[MessageQueue], Message, Any], MessageQueue]


def select_by_hash(queues: list[MessageQueue], _message: Message, key: Any) -> MessageQueue:
    """SelectMessageQueueByHash: abs(key.hashCode()) mod the queue count."""
    return queues[abs(storefmt.java_string_hash(str(key))) % len(queues)]


class Producer:
    def __init__(
        self,
        group: str,
        namesrv_addr: str | Sequence[str],
        *,
        instance_name: str = "DEFAULT",
        send_timeout_ms: int = 3000,
        retry_times_when_send_failed: int = 2,
        compress_over_bytes: int = 4096,
        compress_level: int = 5,
        max_message_size: int = 4 * 1024 * 1024,
        default_topic_queue_nums: int = 4,
        fault_isolation_ms: int = 30_000,
    ) -> None:
        if not group:
            raise ClientError("producerGroup can not be empty")
        self.group = group
        self.send_timeout_ms = send_timeout_ms
        self.retry_times_when_send_failed = retry_times_when_send_failed
        self.compress_over_bytes = compress_over_bytes
        self.compress_level = compress_level
        self.max_message_size = max_message_size
        self.default_topic_queue_nums = default_topic_queue_nums
        self.fault_isolation_ms = fault_isolation_ms
        self.instance = ClientInstance(
            ClientSettings(parse_namesrv_addrs(namesrv_addr), instance_name=instance_name)
        )
        self._publish: dict[str, list[MessageQueue]] = {}
        self._next_queue = 0
        self._broker_unavailable_until: dict[str, float] = {}
        self._started = False

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        if self._started:
            return
        self.instance.producer_groups.add(self.group)
        await self.instance.start()
        self._started = True

    async def shutdown(self) -> None:
        if not self._started:
            return
        self._started = False
        await self.instance.shutdown()

    async def __aenter__(self) -> Producer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.shutdown()

    # -- sends ---------------------------------------------------------------------------------

    async def send(
        self, message: Message, *, queue: MessageQueue | None = None, timeout_ms: int | None = None
    ) -> SendResult:
        """Store ``message`` (on ``queue`` if given, else a queue chosen round robin)."""
        return await self._send(message, queue, timeout_ms, oneway=False)

    async def send_oneway(self, message: Message, *, queue: MessageQueue | None = None) -> None:
        """Write ``message`` and return at once; nothing tells whether it was stored."""
        await self._send(message, queue, None, oneway=True)

    async def send_orderly(
        self,
        message: Message,
        sharding_key: Any,
        selector: Selector = select_by_hash,
        *,
        timeout_ms: int | None = None,
    ) -> SendResult:
        """Store ``message`` on ``selector(queues, message, sharding_key)``; no retry elsewhere."""
        self._check(message)
        queues = await self._publish_queues(message.topic)
        chosen = selector(list(queues), message, sharding_key)
        if chosen not in queues:
            raise ClientError(f"the selector chose {chosen}, which is not a queue of the topic")
        deadline = self._deadline(timeout_ms)
        result = await self._send_to(message, chosen, deadline, oneway=False)
        assert result is not None
        return result

    async def send_batch(
        self, messages: Sequence[Message], *, timeout_ms: int | None = None
    ) -> SendResult:
        """Store messages of one topic in one request; the result lists every id."""
        if not messages:
            raise ClientError("the batch holds no message")
        topic = messages[0].topic
        for message in messages:
            if message.topic != topic:
                raise ClientError("The topic of the messages in one batch should be the same")
            if message.delay_time_level > 0:
                raise ClientError("TimeDelayLevel is not supported for batching")
            self._check(message)
        batch = _Batch(topic, messages)
        if len(batch.body) > self.max_message_size:
            raise ClientError(
                f"the batch body size {len(batch.body)} over max {self.max_message_size}"
            )
        result = await self._send(batch, None, timeout_ms, oneway=False)
        assert result is not None
        return result

    async def _send(
        self, message, queue: MessageQueue | None, timeout_ms: int | None, *, oneway: bool
    ) -> SendResult | None:
        if not self._started:
            raise ClientError("The producer service state not OK, maybe started once, RUNNING")
        if not isinstance(message, _Batch):
            self._check(message)
        deadline = self._deadline(timeout_ms)
        if queue is not None:
            return await self._send_to(message, queue, deadline, oneway=oneway)
        attempts = 1 if oneway else 1 + self.retry_times_when_send_failed
        last_broker: str | None = None
        last_error: Exception | None = None
        for _ in range(attempts):
            queues = await self._publish_queues(message.topic)
            chosen = self._select(queues, last_broker)
            try:
                return await self._send_to(message, chosen, deadline, oneway=oneway)
            except BrokerError as exc:
                if exc.code not in RETRY_CODES:
                    raise
                last_error = exc
            except RemotingTimeoutError:
                raise
            except RemotingError as exc:
                last_error = exc
            last_broker = chosen.broker_name
            self._isolate(last_broker)
            logger.info("send to %s failed (%s); trying another broker", chosen, last_error)
        assert last_error is not None
        raise last_error

    def _deadline(self, timeout_ms: int | None) -> float:
        return time.monotonic() + (timeout_ms or self.send_timeout_ms) / 1000.0

    def _check(self, message: Message) -> None:
        topic = message.topic
        if not topic or len(topic) > TOPIC_NAME_MAX:
            raise ClientError(f"the specified topic is blank or longer than {TOPIC_NAME_MAX}")
        if topic == AUTO_CREATE_TOPIC_KEY:
            raise ClientError(f"The topic[{topic}] is conflict with AUTO_CREATE_TOPIC_KEY_TOPIC.")
        if not message.body:
            raise ClientError("the message body length is zero")
        if len(message.body) > self.max_message_size:
            raise ClientError(f"the message body size over max value, MAX: {self.max_message_size}")

    # -- queues --------------------------------------------------------------------------------

    async def _publish_queues(self, topic: str) -> list[MessageQueue]:
        queues = self._publish.get(topic)
        if queues and topic in self.instance.routes:
            return queues
        route = await self.instance.fetch_route(topic)
        cap = None
        if route is None:
            # Unknown topic: send through TBW102's brokers, which create it on first put.
            route = await self.instance.fetch_route(AUTO_CREATE_TOPIC_KEY)
            cap = self.default_topic_queue_nums
            if route is None:
                raise ClientError(f"No route info of this topic: {topic}")
        queues = []
        for data in sorted(route.queue_datas, key=lambda q: q.broker_name):
            if not data.perm & PERM_WRITE or self.instance.master_addr(data.broker_name) is None:
                continue
            count = data.write_queue_nums if cap is None else min(cap, data.write_queue_nums)
            queues.extend(MessageQueue(topic, data.broker_name, i) for i in range(count))
        if not queues:
            raise ClientError(f"No route info of this topic: {topic}")
        self._publish[topic] = queues
        return queues

    def _select(self, queues: list[MessageQueue], avoid_broker: str | None) -> MessageQueue:
        """Round robin over queues of available brokers; ``avoid_broker`` only if nothing else."""
        now = time.monotonic()
        for _ in range(len(queues)):
            self._next_queue = (self._next_queue + 1) % (1 << 30)
            queue = queues[self._next_queue % len(queues)]
            if queue.broker_name == avoid_broker:
                continue
            if self._broker_unavailable_until.get(queue.broker_name, 0.0) > now:
                continue
            return queue
        self._next_queue = (self._next_queue + 1) % (1 << 30)
        return queues[self._next_queue % len(queues)]

    def _isolate(self, broker_name: str) -> None:
        until = time.monotonic() + self.fault_isolation_ms / 1000.0
        self._broker_unavailable_until[broker_name] = until

    # -- the request ---------------------------------------------------------------------------

    async def _send_to(
        self, message, queue: MessageQueue, deadline: float, *, oneway: bool
    ) -> SendResult | None:
        addr = self.instance.master_addr(queue.broker_name)
        if addr is None:
            await self.instance.fetch_route(queue.topic)
            addr = self.instance.master_addr(queue.broker_name)
            if addr is None:
                raise ClientError(f"The broker[{queue.broker_name}] not exist")
        left_ms = int((deadline - time.monotonic()) * 1000)
        if left_ms <= 0:
            raise RemotingTimeoutError("sendDefaultImpl call timeout")
        if isinstance(message, _Batch):
            request, msg_id = message.request(self.group, queue), message.msg_id
        else:
            request, msg_id = self._request(message, queue)
        if oneway:
            await self.instance.remoting.invoke_oneway(addr, request)
            return None
        response = await self.instance.remoting.invoke(addr, request, left_ms)
        status = _STATUS_BY_CODE.get(response.code)
        if status is None:
            raise BrokerError(response.code, response.remark, addr)
        fields = response.ext_fields or {}
        header = headers.SendMessageResponseHeader.from_ext_fields(fields)
        return SendResult(
            status=status,
            msg_id=msg_id,
            offset_msg_id=header.msg_id,
            message_queue=MessageQueue(queue.topic, queue.broker_name, header.queue_id),
            queue_offset=header.queue_offset,
            transaction_id=header.transaction_id,
            region_id=fields.get("MSG_REGION"),
            trace_on=fields.get("TRACE_ON", "true") != "false",
        )

    def _request(self, message: Message, queue: MessageQueue) -> tuple[RemotingCommand, str]:
        # Like MessageClientIDSetter.setUniqID: the id stays on the message, so a
        # retry (or a second send of the same object) keeps it.
        msg_id = message.properties.setdefault(PROPERTY_UNIQ_KEY, new_message_id())
        properties = message.wire_properties()
        properties.setdefault(PROPERTY_WAIT_STORE_MSG_OK, "true")
        body = message.body
        sys_flag = 0
        if len(body) > self.compress_over_bytes:
            body = zlib.compress(body, self.compress_level)
            sys_flag |= COMPRESSED_FLAG
        if properties.get(PROPERTY_TRANSACTION_PREPARED) == "true":
            sys_flag |= TRANSACTION_PREPARED_TYPE
        header = headers.SendMessageRequestHeader(
            producer_group=self.group,
            topic=queue.topic,
            default_topic=AUTO_CREATE_TOPIC_KEY,
            default_topic_queue_nums=self.default_topic_queue_nums,
            queue_id=queue.queue_id,
            sys_flag=sys_flag,
            born_timestamp=int(time.time() * 1000),
            flag=message.flag,
            properties=msgfmt.properties_to_string(properties),
            reconsume_times=0,
            unit_mode=False,
            batch=False,
        )
        request = RemotingCommand(
            RequestCode.SEND_MESSAGE_V2, header.to_ext_fields(True), body=bytes(body)
        )
        return request, msg_id


class _Batch:
    """Messages of one topic encoded as one SEND_BATCH_MESSAGE body (MessageBatch)."""

    def __init__(self, topic: str, messages: Sequence[Message]) -> None:
        self.topic = topic
        ids = []
        parts = []
        for message in messages:
            msg_id = message.properties.setdefault(PROPERTY_UNIQ_KEY, new_message_id())
            properties = message.wire_properties()
            properties.setdefault(PROPERTY_WAIT_STORE_MSG_OK, "true")
            ids.append(msg_id)
            parts.append((message.flag, message.body, msgfmt.properties_to_string(properties)))
        self.msg_id = ",".join(ids)
        self.body = msgfmt.encode_batch_body(parts)

    def request(self, group: str, queue: MessageQueue) -> RemotingCommand:
        header = headers.SendMessageRequestHeader(
            producer_group=group,
            topic=queue.topic,
            default_topic=AUTO_CREATE_TOPIC_KEY,
            default_topic_queue_nums=4,
            queue_id=queue.queue_id,
            sys_flag=0,
            born_timestamp=int(time.time() * 1000),
            flag=0,
            properties=msgfmt.properties_to_string({PROPERTY_WAIT_STORE_MSG_OK: "true"}),
            reconsume_times=0,
            unit_mode=False,
            batch=True,
        )
        return RemotingCommand(
            RequestCode.SEND_BATCH_MESSAGE, header.to_ext_fields(True), body=self.body
        )
