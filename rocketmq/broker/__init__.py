"""The broker: stores messages and serves producers, consumers and admin tools."""

from rocketmq.broker.config import BrokerConfig
from rocketmq.broker.controller import BrokerController

__all__ = ["BrokerConfig", "BrokerController"]
