"""The exception names of rocketmq-client-python (``rocketmq.exceptions`` there).

Each also derives from our own hierarchy's root, so ``except RocketMQError``
catches them too; ``__cause__`` holds the underlying error.
"""

from __future__ import annotations

from rocketmq.errors import RocketMQError


class RocketMQException(RocketMQError):
    """RocketMQ exception base class"""


class NullPointerException(RocketMQException):
    pass


class ProducerException(RocketMQException):
    pass


class ProducerStartFailed(ProducerException):
    pass


class ProducerSendSyncFailed(ProducerException):
    pass


class ProducerSendOnewayFailed(ProducerException):
    pass


class ProducerSendOrderlyFailed(ProducerException):
    pass


class ConsumerException(RocketMQException):
    pass


class PushConsumerStartFailed(ConsumerException):
    pass


class PullConsumerStartFailed(ConsumerException):
    pass
