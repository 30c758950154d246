"""RemotingServer: listens, dispatches requests by code, replies by opaque."""

from __future__ import annotations

import asyncio
import logging

from rocketmq.remoting.config import ServerConfig
from rocketmq.remoting.connection import RemotingConnection
from rocketmq.remoting.endpoint import Endpoint

logger = logging.getLogger("rocketmq.remoting")


class RemotingServer(Endpoint):
    """Serve the remoting protocol on ``config.listen_host:listen_port``.

    Port 0 binds an ephemeral port; ``port`` tells which after ``start()``.
    """

    def __init__(self, config: ServerConfig | None = None) -> None:
        config = config or ServerConfig()
        super().__init__(
            max_frame_size=config.max_frame_size,
            max_pending_requests=config.max_pending_requests_per_connection,
            channel_max_idle_time_s=config.channel_max_idle_time_s,
        )
        self.config = config
        self._server: asyncio.base_events.Server | None = None
        self.port = config.listen_port

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: RemotingConnection(self),
            self.config.listen_host,
            self.config.listen_port,
            backlog=self.config.backlog,
            reuse_address=True,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        logger.info("remoting server listening on %s:%d", self.config.listen_host, self.port)

    async def stop(self) -> None:
        """Stop accepting, close every connection, await every handler task."""
        if self._server is not None:
            self._server.close()
        await self._close_connections()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        logger.info("remoting server on port %d stopped", self.port)

    async def __aenter__(self) -> RemotingServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
