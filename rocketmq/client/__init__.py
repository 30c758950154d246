"""Drop-in for rocketmq-client-python: ``from rocketmq.client import Producer, Message``.

Blocking classes with the same names and methods as the official Python
client (which wraps the C++ library); here they run our asyncio client
(``rocketmq.client.aio``) on a background event loop. Differences are listed
in docs of each class (name server domains are not supported; session
credentials are ignored).
"""

from rocketmq.client.blocking.exceptions import (
    ConsumerException,
    NullPointerException,
    ProducerException,
    ProducerSendOnewayFailed,
    ProducerSendOrderlyFailed,
    ProducerSendSyncFailed,
    ProducerStartFailed,
    PullConsumerStartFailed,
    PushConsumerStartFailed,
    RocketMQException,
)
from rocketmq.client.blocking.message import (
    ConsumeStatus,
    Message,
    MessageModel,
    MessageProperty,
    ReceivedMessage,
    SendResult,
    SendStatus,
    TransactionStatus,
)
from rocketmq.client.blocking.producer import Producer
from rocketmq.client.blocking.pull_consumer import PullConsumer
from rocketmq.client.blocking.push_consumer import PushConsumer
from rocketmq.client.blocking.transaction_producer import TransactionMQProducer

__all__ = [
    "ConsumeStatus",
    "ConsumerException",
    "Message",
    "MessageModel",
    "MessageProperty",
    "NullPointerException",
    "Producer",
    "ProducerException",
    "ProducerSendOnewayFailed",
    "ProducerSendOrderlyFailed",
    "ProducerSendSyncFailed",
    "ProducerStartFailed",
    "PullConsumer",
    "PullConsumerStartFailed",
    "PushConsumer",
    "PushConsumerStartFailed",
    "ReceivedMessage",
    "RocketMQException",
    "SendResult",
    "SendStatus",
    "TransactionMQProducer",
    "TransactionStatus",
]
