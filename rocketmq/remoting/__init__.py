"""asyncio transport of the remoting protocol (uvloop when installed)."""

from rocketmq._core import remoting as _codec
from rocketmq.remoting.client import RemotingClient
from rocketmq.remoting.config import ClientConfig, ServerConfig
from rocketmq.remoting.connection import RemotingConnection
from rocketmq.remoting.server import RemotingServer

RemotingCommand = _codec.RemotingCommand

__all__ = [
    "ClientConfig",
    "RemotingClient",
    "RemotingCommand",
    "RemotingConnection",
    "RemotingServer",
    "ServerConfig",
]
