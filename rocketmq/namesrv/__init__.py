"""The NameServer: broker registry and topic routes (``mqnamesrv``)."""

from rocketmq.namesrv.config import NamesrvConfig
from rocketmq.namesrv.controller import NamesrvController

__all__ = ["NamesrvConfig", "NamesrvController"]
