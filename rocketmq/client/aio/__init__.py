"""The asyncio client: ``from rocketmq.client.aio import Producer, Message``."""

from rocketmq.client.aio.admin import Admin, ClusterInfo
from rocketmq.client.aio.consumer_core import (
    BROADCASTING,
    CLUSTERING,
    CONSUME_FROM_FIRST_OFFSET,
    CONSUME_FROM_LAST_OFFSET,
    CONSUME_FROM_TIMESTAMP,
)
from rocketmq.client.aio.lite_pull_consumer import LitePullConsumer
from rocketmq.client.aio.producer import Producer, select_by_hash
from rocketmq.client.aio.push_consumer import PushConsumer
from rocketmq.client.aio.transaction_producer import (
    TransactionProducer,
    TransactionSendResult,
    TransactionStatus,
)
from rocketmq.client.message import ConsumeStatus, Message, MessageExt, SendResult, SendStatus
from rocketmq.common.message_queue import MessageQueue

__all__ = [
    "BROADCASTING",
    "CLUSTERING",
    "CONSUME_FROM_FIRST_OFFSET",
    "CONSUME_FROM_LAST_OFFSET",
    "CONSUME_FROM_TIMESTAMP",
    "Admin",
    "ClusterInfo",
    "ConsumeStatus",
    "LitePullConsumer",
    "Message",
    "MessageExt",
    "MessageQueue",
    "Producer",
    "PushConsumer",
    "SendResult",
    "SendStatus",
    "TransactionProducer",
    "TransactionSendResult",
    "TransactionStatus",
    "select_by_hash",
]
