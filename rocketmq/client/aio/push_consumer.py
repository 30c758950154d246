"""PushConsumer: long-polling pulls handed to a listener (DefaultMQPushConsumer, concurrently).

Clustering (default): the group's members share the queues by an allocation
strategy (AVG unless told otherwise), rebalanced every
``rebalance_interval_ms`` and whenever the broker says the membership
changed; offsets live on the broker (committed every
``persist_offset_interval_ms``, on pulls and at shutdown); a message the
listener fails goes back to the broker (CONSUMER_SEND_MSG_BACK), which
redelivers it through ``%RETRY%<group>`` with growing delays and finally
dead-letters it. Broadcasting: every member reads every queue, offsets live
in ``<offset_store_dir>/<client id>/<group>/offsets.json``, failed messages
are not retried.

The listener gets a list of MessageExt (``consume_batch_size`` of them) and
returns ConsumeStatus (an exception counts as RECONSUME_LATER); it may be a
coroutine function. At most ``consume_concurrency`` listener calls run at
once. Each queue pulls its next batch once the current one is consumed.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rocketmq._core import headers, storefmt
from rocketmq._core import remoting as codec
from rocketmq.client.aio.instance import ClientInstance, ClientSettings, parse_namesrv_addrs
from rocketmq.client.decode import decode_messages, restore_retry_topic
from rocketmq.client.message import ConsumeStatus, MessageExt
from rocketmq.client.rebalance import AllocateMessageQueueAveragely, AllocateMessageQueueStrategy
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
FLAG_COMMIT_OFFSET = 0x1
FLAG_SUSPEND = 0x2
FLAG_SUBSCRIPTION = 0x4
PULL_ERROR_BACKOFF_S = 3.0  # pullTimeDelayMillsWhenException
LOCAL_RETRY_DELAY_S = 5.0  # a message whose send-back failed is consumed again after this

Listener = Callable[[list[MessageExt]], Any]


def subscription_data(topic: str, expression: str, sub_version: int) -> dict:
    """SubscriptionData as heartbeats and pulls carry it (TAG expressions)."""
    tags = (
        []
        if expression.strip() in ("", "*")
        else [tag.strip() for tag in expression.split("||") if tag.strip()]
    )
    return {
        "classFilterMode": False,
        "codeSet": [storefmt.java_string_hash(tag) for tag in tags],
        "expressionType": "TAG",
        "subString": expression if tags else "*",
        "subVersion": sub_version,
        "tagsSet": tags,
        "topic": topic,
    }


class _Queue:
    """One assigned queue: its pull task and the next offset to pull and to commit."""

    def __init__(self, queue: MessageQueue, offset: int) -> None:
        self.queue = queue
        self.next_offset = offset
        self.consumed_offset = offset  # everything below was consumed
        self.task: asyncio.Task | None = None


class PushConsumer:
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
        max_reconsume_times: int = 16,
        suspend_timeout_ms: int = 15_000,
        rebalance_interval_ms: int = 20_000,
        persist_offset_interval_ms: int = 5000,
        instance_name: str = "DEFAULT",
        offset_store_dir: str | Path | None = None,
    ) -> None:
        if message_model not in (CLUSTERING, BROADCASTING):
            raise ClientError(f"message_model must be {CLUSTERING} or {BROADCASTING}")
        self.group = group
        self.message_model = message_model
        self.consume_from_where = consume_from_where
        self.consume_timestamp_ms = consume_timestamp_ms
        self.allocate_strategy = allocate_strategy or AllocateMessageQueueAveragely()
        self.consume_batch_size = max(1, consume_batch_size)
        self.pull_batch_size = pull_batch_size
        self.max_reconsume_times = max_reconsume_times
        self.suspend_timeout_ms = suspend_timeout_ms
        self.rebalance_interval_ms = rebalance_interval_ms
        self.persist_offset_interval_ms = persist_offset_interval_ms
        self.instance = ClientInstance(
            ClientSettings(parse_namesrv_addrs(namesrv_addr), instance_name=instance_name)
        )
        root = Path(offset_store_dir or Path.home() / ".rocketmq_offsets")
        self.offset_file = root / self.instance.client_id / group / "offsets.json"
        self.subscriptions: dict[str, str] = {}
        self._local_offsets: dict[str, int] = {}  # broadcasting: str(queue) -> offset
        self.listener: Listener | None = None
        self.queues: dict[MessageQueue, _Queue] = {}
        self._semaphore = asyncio.Semaphore(consume_concurrency)
        self._rebalance_now = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._sub_version = 0
        self._started = False

    # -- setup ---------------------------------------------------------------------------------

    def subscribe(self, topic: str, expression: str = "*") -> None:
        """Tag expression: ``"*"`` or ``"TagA || TagB"``."""
        self.subscriptions[topic] = expression

    def register_listener(self, listener: Listener) -> None:
        self.listener = listener

    async def start(self) -> None:
        if self._started:
            return
        if self.listener is None or not self.subscriptions:
            raise ClientError("subscribe to a topic and register a listener before start()")
        if self.message_model == CLUSTERING:
            self.subscriptions.setdefault(f"{RETRY_PREFIX}{self.group}", "*")
        self._sub_version = int(asyncio.get_running_loop().time() * 1000)
        if self.message_model == BROADCASTING:
            self._local_offsets = self._read_local_offsets()
        instance = self.instance
        instance.consumers[self.group] = self._consumer_data
        instance.remoting.register_processor(
            RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, self._on_ids_changed
        )
        await instance.start()
        for topic in self.subscriptions:
            await self._fetch_route(topic)
        await instance.send_heartbeats()
        self._started = True
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._rebalance_loop()))
        self._tasks.append(loop.create_task(self._persist_loop()))

    async def shutdown(self) -> None:
        if not self._started:
            return
        self._started = False
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for state in list(self.queues.values()):
            await self._drop(state)
        await self.persist_offsets()
        self.instance.consumers.pop(self.group, None)
        await self.instance.shutdown()

    async def __aenter__(self) -> PushConsumer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.shutdown()

    def _consumer_data(self) -> dict:
        return {
            "consumeFromWhere": self.consume_from_where,
            "consumeType": "CONSUME_PASSIVELY",
            "groupName": self.group,
            "messageModel": self.message_model,
            "subscriptionDataSet": [
                subscription_data(topic, expression, self._sub_version)
                for topic, expression in sorted(self.subscriptions.items())
            ],
            "unitMode": False,
        }

    def _on_ids_changed(self, _connection, _request: RemotingCommand) -> None:
        self._rebalance_now.set()  # oneway: no response

    # -- rebalance -----------------------------------------------------------------------------

    async def _rebalance_loop(self) -> None:
        while True:
            try:
                await self.rebalance()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("consumer %s: rebalance failed", self.group)
            self._rebalance_now.clear()
            try:
                await asyncio.wait_for(
                    self._rebalance_now.wait(), self.rebalance_interval_ms / 1000.0
                )
            except TimeoutError:
                pass

    async def _fetch_route(self, topic: str) -> list[MessageQueue]:
        route = await self.instance.fetch_route(topic)
        if route is None:
            return []
        queues = []
        for data in route.queue_datas:
            if data.perm & PERM_READ:
                queues.extend(
                    MessageQueue(topic, data.broker_name, i) for i in range(data.read_queue_nums)
                )
        return sorted(queues)

    async def rebalance(self) -> None:
        """Take the queues this member should hold now; drop the others."""
        wanted: set[MessageQueue] = set()
        for topic in list(self.subscriptions):
            mq_all = await self._fetch_route(topic)
            if not mq_all:
                continue
            if self.message_model == BROADCASTING:
                wanted.update(mq_all)
                continue
            cid_all = await self._consumer_ids(mq_all[0].broker_name)
            if not cid_all:
                continue
            mine = self.allocate_strategy.allocate(
                self.group, self.instance.client_id, mq_all, sorted(cid_all)
            )
            wanted.update(mine)
        for queue, state in list(self.queues.items()):
            if queue not in wanted:
                await self._drop(state)
        for queue in sorted(wanted - set(self.queues)):
            offset = await self._start_offset(queue)
            state = _Queue(queue, offset)
            self.queues[queue] = state
            state.task = asyncio.get_running_loop().create_task(self._pull_loop(state))
            logger.info("consumer %s: took %s from offset %d", self.group, queue, offset)

    async def _consumer_ids(self, broker_name: str) -> list[str]:
        addr = self.instance.master_addr(broker_name)
        if addr is None:
            return []
        request = RemotingCommand(
            RequestCode.GET_CONSUMER_LIST_BY_GROUP, {"consumerGroup": self.group}
        )
        response = await self.instance.remoting.invoke(addr, request)
        if response.code != ResponseCode.SUCCESS:
            return []
        body = json_body.loads(response.body or b"{}")
        return [str(cid) for cid in body.get("consumerIdList") or []]

    async def _drop(self, state: _Queue) -> None:
        self.queues.pop(state.queue, None)
        if state.task is not None:
            state.task.cancel()
            await asyncio.gather(state.task, return_exceptions=True)
        await self._commit(state)

    # -- offsets -------------------------------------------------------------------------------

    async def _start_offset(self, queue: MessageQueue) -> int:
        if self.message_model == BROADCASTING:
            stored = self._local_offsets.get(str(queue))
            if stored is not None:
                return int(stored)
        else:
            stored = await self._query_offset(queue)
            if stored is not None:
                return stored
        if self.consume_from_where == CONSUME_FROM_FIRST_OFFSET:
            return 0
        if queue.topic.startswith(RETRY_PREFIX):
            return 0
        if self.consume_from_where == CONSUME_FROM_TIMESTAMP:
            return await self._offset_request(
                queue,
                RequestCode.SEARCH_OFFSET_BY_TIMESTAMP,
                {"timestamp": str(self.consume_timestamp_ms)},
            )
        return await self._offset_request(queue, RequestCode.GET_MAX_OFFSET, {})

    async def _offset_request(self, queue: MessageQueue, code: int, extra: dict) -> int:
        addr = self._addr(queue)
        fields = {"topic": queue.topic, "queueId": str(queue.queue_id), **extra}
        response = await self.instance.remoting.invoke(addr, RemotingCommand(code, fields))
        if response.code != ResponseCode.SUCCESS:
            raise BrokerError(response.code, response.remark, addr)
        return int((response.ext_fields or {}).get("offset", "0"))

    async def _query_offset(self, queue: MessageQueue) -> int | None:
        addr = self._addr(queue)
        fields = {
            "consumerGroup": self.group,
            "topic": queue.topic,
            "queueId": str(queue.queue_id),
        }
        request = RemotingCommand(RequestCode.QUERY_CONSUMER_OFFSET, fields)
        response = await self.instance.remoting.invoke(addr, request)
        if response.code == ResponseCode.QUERY_NOT_FOUND:
            return None
        if response.code != ResponseCode.SUCCESS:
            raise BrokerError(response.code, response.remark, addr)
        return int((response.ext_fields or {}).get("offset", "0"))

    async def _commit(self, state: _Queue) -> None:
        if self.message_model == BROADCASTING:
            self._local_offsets[str(state.queue)] = state.consumed_offset
            return  # written to the file by persist_offsets
        try:
            addr = self._addr(state.queue)
            fields = {
                "consumerGroup": self.group,
                "topic": state.queue.topic,
                "queueId": str(state.queue.queue_id),
                "commitOffset": str(state.consumed_offset),
            }
            request = RemotingCommand(RequestCode.UPDATE_CONSUMER_OFFSET, fields)
            await self.instance.remoting.invoke(addr, request)
        except (RemotingError, ClientError) as exc:
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

    def _addr(self, queue: MessageQueue) -> str:
        addr = self.instance.master_addr(queue.broker_name)
        if addr is None:
            raise ClientError(f"The broker[{queue.broker_name}] not exist")
        return addr

    # -- pulling and consuming -----------------------------------------------------------------

    async def _pull_loop(self, state: _Queue) -> None:
        queue = state.queue
        expression = self.subscriptions.get(queue.topic, "*")
        tags = set(subscription_data(queue.topic, expression, 0)["tagsSet"])
        while True:
            try:
                messages = await self._pull(state, expression)
            except asyncio.CancelledError:
                raise
            except (RemotingError, BrokerError, ClientError) as exc:
                logger.warning("consumer %s: pull of %s failed: %s", self.group, queue, exc)
                await asyncio.sleep(PULL_ERROR_BACKOFF_S)
                continue
            wanted = [m for m in messages if not tags or m.tags in tags]
            if wanted:
                await self._consume(wanted)
            state.consumed_offset = state.next_offset

    async def _pull(self, state: _Queue, expression: str) -> list[MessageExt]:
        queue = state.queue
        sys_flag = FLAG_SUSPEND | FLAG_SUBSCRIPTION
        if self.message_model == CLUSTERING and state.consumed_offset > 0:
            sys_flag |= FLAG_COMMIT_OFFSET
        header = headers.PullMessageRequestHeader(
            consumer_group=self.group,
            topic=queue.topic,
            queue_id=queue.queue_id,
            queue_offset=state.next_offset,
            max_msg_nums=self.pull_batch_size,
            sys_flag=sys_flag,
            commit_offset=state.consumed_offset,
            suspend_timeout_millis=self.suspend_timeout_ms,
            subscription=expression,
            sub_version=self._sub_version,
            expression_type="TAG",
        )
        request = RemotingCommand(RequestCode.PULL_MESSAGE, header.to_ext_fields())
        addr = self._addr(queue)
        response = await self.instance.remoting.invoke(
            addr, request, self.suspend_timeout_ms + 15_000
        )
        code = response.code
        fields = headers.PullMessageResponseHeader.from_ext_fields(response.ext_fields or {})
        if code == ResponseCode.SUCCESS:
            state.next_offset = fields.next_begin_offset
            messages = decode_messages(response.body or b"", queue.broker_name)
            for message in messages:
                restore_retry_topic(message, self.group)
            return messages
        if code in (
            ResponseCode.PULL_NOT_FOUND,
            ResponseCode.PULL_RETRY_IMMEDIATELY,
            ResponseCode.PULL_OFFSET_MOVED,
        ):
            state.next_offset = fields.next_begin_offset
            if code == ResponseCode.PULL_OFFSET_MOVED:
                state.consumed_offset = state.next_offset
                await self._commit(state)
            return []
        raise BrokerError(code, response.remark, addr)

    async def _consume(self, messages: list[MessageExt]) -> None:
        size = self.consume_batch_size
        batches = [messages[i : i + size] for i in range(0, len(messages), size)]
        await asyncio.gather(*(self._consume_batch(batch) for batch in batches))

    async def _consume_batch(self, batch: list[MessageExt]) -> None:
        assert self.listener is not None
        while True:
            async with self._semaphore:
                try:
                    status = self.listener(batch)
                    if inspect.isawaitable(status):
                        status = await status
                except Exception:
                    logger.exception("consumer %s: listener raised", self.group)
                    status = ConsumeStatus.RECONSUME_LATER
            if status is not ConsumeStatus.RECONSUME_LATER:
                return
            if self.message_model == BROADCASTING:
                logger.warning("consumer %s: broadcast message not retried", self.group)
                return
            failed = [m for m in batch if not await self._send_back(m)]
            if not failed:
                return
            batch = failed  # the broker did not take them: consume them again here
            await asyncio.sleep(LOCAL_RETRY_DELAY_S)

    async def _send_back(self, message: MessageExt) -> bool:
        addr = self.instance.master_addr(message.broker_name)
        if addr is None:
            return False
        fields = {
            "offset": str(message.commit_log_offset),
            "group": self.group,
            "delayLevel": "0",
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
