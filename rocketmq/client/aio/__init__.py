"""The asyncio client: ``from rocketmq.client.aio import Producer, Message``."""

from rocketmq.client.aio.producer import Producer, select_by_hash
from rocketmq.client.aio.push_consumer import (
    BROADCASTING,
    CLUSTERING,
    CONSUME_FROM_FIRST_OFFSET,
    CONSUME_FROM_LAST_OFFSET,
    CONSUME_FROM_TIMESTAMP,
    PushConsumer,
)
from rocketmq.client.message import ConsumeStatus, Message, MessageExt, SendResult, SendStatus
from rocketmq.common.message_queue import MessageQueue

__all__ = [
    "BROADCASTING",
    "CLUSTERING",
    "CONSUME_FROM_FIRST_OFFSET",
    "CONSUME_FROM_LAST_OFFSET",
    "CONSUME_FROM_TIMESTAMP",
    "ConsumeStatus",
    "Message",
    "MessageExt",
    "MessageQueue",
    "Producer",
    "PushConsumer",
    "SendResult",
    "SendStatus",
    "select_by_hash",
]
