"""cyrocketmq: an Apache RocketMQ-compatible broker and client (import name ``rocketmq``)."""

from rocketmq.errors import (
    BrokerError,
    ClientError,
    ProtocolError,
    RemotingError,
    RocketMQError,
)

__version__ = "0.1.0"

__all__ = [
    "BrokerError",
    "ClientError",
    "ProtocolError",
    "RemotingError",
    "RocketMQError",
    "__version__",
]
