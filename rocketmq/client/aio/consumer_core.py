"""What the consumers share: subscriptions, queue allocation, offsets on the broker, pulls.

Plain coroutines over a ClientInstance, used by PushConsumer,
LitePullConsumer and Admin (upstream spreads these over RebalanceImpl,
RemoteBrokerOffsetStore, PullAPIWrapper and MQClientAPIImpl).

Errors: BrokerError for an unexpected response code, RemotingError
subclasses for the network, ClientError when a broker's address is unknown.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from rocketmq._core import headers, storefmt
from rocketmq._core import remoting as codec
from rocketmq.client.aio.instance import ClientInstance
from rocketmq.client.decode import decode_messages, restore_retry_topic
from rocketmq.client.message import MessageExt
from rocketmq.client.rebalance import AllocateMessageQueueStrategy
from rocketmq.common import json_body
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.common.message_queue import MessageQueue
from rocketmq.common.topic import PERM_READ
from rocketmq.errors import BrokerError, ClientError, RemotingError

logger = logging.getLogger("rocketmq.client")

RemotingCommand = codec.RemotingCommand

CLUSTERING = "CLUSTERING"
BROADCASTING = "BROADCASTING"
CONSUME_FROM_LAST_OFFSET = "CONSUME_FROM_LAST_OFFSET"
CONSUME_FROM_FIRST_OFFSET = "CONSUME_FROM_FIRST_OFFSET"
CONSUME_FROM_TIMESTAMP = "CONSUME_FROM_TIMESTAMP"
RETRY_PREFIX = "%RETRY%"
FLAG_COMMIT_OFFSET = 0x1  # PullSysFlag
FLAG_SUSPEND = 0x2
FLAG_SUBSCRIPTION = 0x4
PULL_TIMEOUT_MARGIN_MS = 15_000  # the pull call waits this much longer than the broker holds it


def subscription_data(topic: str, expression: str, sub_version: int) -> dict:
    """SubscriptionData as heartbeats and pulls carry it (TAG expressions)."""
    tags = expression_tags(expression)
    return {
        "classFilterMode": False,
        "codeSet": [storefmt.java_string_hash(tag) for tag in tags],
        "expressionType": "TAG",
        "subString": expression if tags else "*",
        "subVersion": sub_version,
        "tagsSet": tags,
        "topic": topic,
    }


def expression_tags(expression: str) -> list[str]:
    """``"TagA || TagB"`` -> the tags; ``"*"`` or blank -> [] (every tag)."""
    if expression.strip() in ("", "*"):
        return []
    return [tag.strip() for tag in expression.split("||") if tag.strip()]


def broker_addr(instance: ClientInstance, queue: MessageQueue) -> str:
    """The master of the queue's broker; ClientError if the route does not know it."""
    addr = instance.master_addr(queue.broker_name)
    if addr is None:
        raise ClientError(f"The broker[{queue.broker_name}] not exist")
    return addr


# -- allocation --------------------------------------------------------------------------------


async def subscribe_queues(instance: ClientInstance, topic: str) -> list[MessageQueue]:
    """The readable queues of ``topic`` from a fresh route, sorted; [] if it has none."""
    route = await instance.fetch_route(topic)
    if route is None:
        return []
    queues = []
    for data in route.queue_datas:
        if data.perm & PERM_READ:
            queues.extend(
                MessageQueue(topic, data.broker_name, i) for i in range(data.read_queue_nums)
            )
    return sorted(queues)


async def consumer_ids(instance: ClientInstance, broker_name: str, group: str) -> list[str]:
    """GET_CONSUMER_LIST_BY_GROUP from one broker ([] when it fails or knows none)."""
    addr = instance.master_addr(broker_name)
    if addr is None:
        return []
    request = RemotingCommand(RequestCode.GET_CONSUMER_LIST_BY_GROUP, {"consumerGroup": group})
    response = await instance.remoting.invoke(addr, request)
    if response.code != ResponseCode.SUCCESS:
        return []
    body = json_body.loads(response.body or b"{}")
    return [str(cid) for cid in body.get("consumerIdList") or []]


async def allocate(
    instance: ClientInstance,
    group: str,
    topics: Iterable[str],
    strategy: AllocateMessageQueueStrategy,
    message_model: str,
) -> set[MessageQueue]:
    """The queues of ``topics`` this client should hold now (RebalanceImpl.rebalanceByTopic)."""
    wanted: set[MessageQueue] = set()
    for topic in topics:
        mq_all = await subscribe_queues(instance, topic)
        if not mq_all:
            continue
        if message_model == BROADCASTING:
            wanted.update(mq_all)
            continue
        cid_all = await consumer_ids(instance, mq_all[0].broker_name, group)
        if not cid_all:
            continue
        wanted.update(strategy.allocate(group, instance.client_id, mq_all, sorted(cid_all)))
    return wanted


# -- offsets -----------------------------------------------------------------------------------


async def offset_request(
    instance: ClientInstance, queue: MessageQueue, code: int, extra: dict | None = None
) -> int:
    """GET_MAX_OFFSET, GET_MIN_OFFSET or SEARCH_OFFSET_BY_TIMESTAMP (``extra`` timestamp)."""
    addr = broker_addr(instance, queue)
    fields = {"topic": queue.topic, "queueId": str(queue.queue_id), **(extra or {})}
    response = await instance.remoting.invoke(addr, RemotingCommand(code, fields))
    if response.code != ResponseCode.SUCCESS:
        raise BrokerError(response.code, response.remark, addr)
    return int((response.ext_fields or {}).get("offset", "0"))


async def query_consumer_offset(
    instance: ClientInstance, group: str, queue: MessageQueue
) -> int | None:
    """The group's stored offset of ``queue``; None when the broker has none (22)."""
    addr = broker_addr(instance, queue)
    fields = {"consumerGroup": group, "topic": queue.topic, "queueId": str(queue.queue_id)}
    request = RemotingCommand(RequestCode.QUERY_CONSUMER_OFFSET, fields)
    response = await instance.remoting.invoke(addr, request)
    if response.code == ResponseCode.QUERY_NOT_FOUND:
        return None
    if response.code != ResponseCode.SUCCESS:
        raise BrokerError(response.code, response.remark, addr)
    return int((response.ext_fields or {}).get("offset", "0"))


async def update_consumer_offset(
    instance: ClientInstance, group: str, queue: MessageQueue, offset: int
) -> None:
    """UPDATE_CONSUMER_OFFSET: ``offset`` is the next one to consume."""
    addr = broker_addr(instance, queue)
    fields = {
        "consumerGroup": group,
        "topic": queue.topic,
        "queueId": str(queue.queue_id),
        "commitOffset": str(offset),
    }
    response = await instance.remoting.invoke(
        addr, RemotingCommand(RequestCode.UPDATE_CONSUMER_OFFSET, fields)
    )
    if response.code != ResponseCode.SUCCESS:
        raise BrokerError(response.code, response.remark, addr)


async def initial_offset(
    instance: ClientInstance, queue: MessageQueue, consume_from_where: str, timestamp_ms: int
) -> int:
    """Where a group with no stored offset starts (RebalancePushImpl.computePullFromWhere)."""
    if consume_from_where == CONSUME_FROM_FIRST_OFFSET or queue.topic.startswith(RETRY_PREFIX):
        return 0
    if consume_from_where == CONSUME_FROM_TIMESTAMP:
        fields = {"timestamp": str(timestamp_ms)}
        return await offset_request(instance, queue, RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, fields)
    return await offset_request(instance, queue, RequestCode.GET_MAX_OFFSET)


# -- pulls -------------------------------------------------------------------------------------


class PullResult:
    """One pull: ``code`` (SUCCESS, PULL_NOT_FOUND, ...), where to pull next, the messages."""

    __slots__ = ("code", "messages", "next_begin_offset")

    def __init__(self, code: int, next_begin_offset: int, messages: list[MessageExt]) -> None:
        self.code = code
        self.next_begin_offset = next_begin_offset
        self.messages = messages


async def pull(
    instance: ClientInstance,
    group: str,
    queue: MessageQueue,
    offset: int,
    expression: str,
    *,
    max_messages: int,
    suspend_timeout_ms: int,
    commit_offset: int | None = None,
    sub_version: int = 0,
    suspend: bool = True,
) -> PullResult:
    """PULL_MESSAGE (long polling); messages of ``%RETRY%<group>`` show their own topic.

    ``commit_offset`` piggybacks an offset commit on the pull; ``suspend=False``
    asks the broker to answer at once when nothing is there. Tags are
    filtered here too (the broker filters by hash code only). Raises
    BrokerError for codes other than found / not found / retry / moved.
    """
    sys_flag = FLAG_SUBSCRIPTION | (FLAG_SUSPEND if suspend else 0)
    if commit_offset is not None:
        sys_flag |= FLAG_COMMIT_OFFSET
    header = headers.PullMessageRequestHeader(
        consumer_group=group,
        topic=queue.topic,
        queue_id=queue.queue_id,
        queue_offset=offset,
        max_msg_nums=max_messages,
        sys_flag=sys_flag,
        commit_offset=commit_offset or 0,
        suspend_timeout_millis=suspend_timeout_ms,
        subscription=expression,
        sub_version=sub_version,
        expression_type="TAG",
    )
    request = RemotingCommand(RequestCode.PULL_MESSAGE, header.to_ext_fields())
    addr = broker_addr(instance, queue)
    response = await instance.remoting.invoke(
        addr, request, suspend_timeout_ms + PULL_TIMEOUT_MARGIN_MS
    )
    code = response.code
    fields = headers.PullMessageResponseHeader.from_ext_fields(response.ext_fields or {})
    if code == ResponseCode.SUCCESS:
        messages = decode_messages(response.body or b"", queue.broker_name)
        tags = set(expression_tags(expression))
        if tags:
            messages = [m for m in messages if m.tags in tags]
        for message in messages:
            restore_retry_topic(message, group)
        return PullResult(code, fields.next_begin_offset, messages)
    if code in (
        ResponseCode.PULL_NOT_FOUND,
        ResponseCode.PULL_RETRY_IMMEDIATELY,
        ResponseCode.PULL_OFFSET_MOVED,
    ):
        return PullResult(code, fields.next_begin_offset, [])
    raise BrokerError(code, response.remark, addr)


# -- ordered consumption locks -----------------------------------------------------------------


def _lock_body(group: str, client_id: str, queues: Iterable[MessageQueue]) -> bytes:
    return json_body.dumps(
        {
            "clientId": client_id,
            "consumerGroup": group,
            "mqSet": [queue.to_json() for queue in sorted(queues)],
        }
    )


async def lock_batch(
    instance: ClientInstance, group: str, broker_name: str, queues: Iterable[MessageQueue]
) -> set[MessageQueue]:
    """LOCK_BATCH_MQ for queues of one broker; the set the broker granted this client."""
    addr = instance.master_addr(broker_name)
    if addr is None:
        return set()
    body = _lock_body(group, instance.client_id, queues)
    request = RemotingCommand(RequestCode.LOCK_BATCH_MQ, body=body)
    response = await instance.remoting.invoke(addr, request)
    if response.code != ResponseCode.SUCCESS:
        raise BrokerError(response.code, response.remark, addr)
    granted = json_body.loads(response.body or b"{}").get("lockOKMQSet") or []
    return {MessageQueue.from_json(item) for item in granted}


async def unlock_batch(
    instance: ClientInstance, group: str, broker_name: str, queues: Iterable[MessageQueue]
) -> None:
    """UNLOCK_BATCH_MQ: the broker releases those of ``queues`` this client holds."""
    addr = instance.master_addr(broker_name)
    if addr is None:
        return
    body = _lock_body(group, instance.client_id, queues)
    response = await instance.remoting.invoke(
        addr, RemotingCommand(RequestCode.UNLOCK_BATCH_MQ, body=body)
    )
    if response.code != ResponseCode.SUCCESS:
        raise BrokerError(response.code, response.remark, addr)


def _by_broker(queues: Iterable[MessageQueue]) -> list[tuple[str, list[MessageQueue]]]:
    grouped: dict[str, list[MessageQueue]] = {}
    for queue in queues:
        grouped.setdefault(queue.broker_name, []).append(queue)
    return sorted(grouped.items())


async def lock_queues(
    instance: ClientInstance, group: str, queues: Iterable[MessageQueue]
) -> set[MessageQueue]:
    """LOCK_BATCH_MQ at each queue's broker; the queues granted (a failing broker grants none)."""
    granted: set[MessageQueue] = set()
    for broker_name, items in _by_broker(queues):
        try:
            granted |= await lock_batch(instance, group, broker_name, items)
        except (RemotingError, BrokerError) as exc:
            logger.warning("consumer %s: lock at %s failed: %s", group, broker_name, exc)
    return granted


async def unlock_queues(
    instance: ClientInstance, group: str, queues: Iterable[MessageQueue]
) -> None:
    """UNLOCK_BATCH_MQ at each queue's broker; failures are logged (the locks expire)."""
    for broker_name, items in _by_broker(queues):
        try:
            await unlock_batch(instance, group, broker_name, items)
        except (RemotingError, BrokerError) as exc:
            logger.warning("consumer %s: unlock at %s: %s", group, broker_name, exc)
