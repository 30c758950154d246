"""What servers and clients share: processors, live connections, idle sweep."""

from __future__ import annotations

import asyncio
import logging

from rocketmq.remoting.connection import ConnectionOwner, RemotingConnection
from rocketmq.remoting.processor import Handler, ProcessorRegistry

logger = logging.getLogger("rocketmq.remoting")


class Endpoint(ConnectionOwner):
    """Owns connections and the one task that closes idle ones."""

    def __init__(
        self, *, max_frame_size: int, max_pending_requests: int, channel_max_idle_time_s: float
    ) -> None:
        self.processors = ProcessorRegistry()
        self.max_frame_size = max_frame_size
        self.max_pending_requests = max_pending_requests
        self.channel_max_idle_time_s = channel_max_idle_time_s
        self.connections: set[RemotingConnection] = set()
        self._idle_task: asyncio.Task | None = None

    def register_processor(self, code: int, handler: Handler) -> None:
        self.processors.register(code, handler)

    def register_default_processor(self, handler: Handler) -> None:
        self.processors.register_default(handler)

    def connection_opened(self, connection: RemotingConnection) -> None:
        self.connections.add(connection)
        if self._idle_task is None and self.channel_max_idle_time_s > 0:
            self._idle_task = asyncio.get_running_loop().create_task(self._close_idle())

    def connection_closed(self, connection: RemotingConnection) -> None:
        self.connections.discard(connection)

    async def _close_idle(self) -> None:
        limit = self.channel_max_idle_time_s
        # Sweep a few times per limit; one timer for all connections.
        interval = max(0.05, min(5.0, limit / 4))
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(interval)
            now = loop.time()
            for connection in list(self.connections):
                idle = now - connection.last_active
                if idle > limit and connection.requests_in_flight == 0:
                    connection.close(f"idle for {idle:.1f}s (limit {limit:g}s)")

    async def _close_connections(self) -> None:
        if self._idle_task is not None:
            self._idle_task.cancel()
            try:
                await self._idle_task
            except asyncio.CancelledError:
                pass
            self._idle_task = None
        connections = list(self.connections)
        for connection in connections:
            connection.close("shutdown")
        for connection in connections:
            await connection.wait_tasks()
            await connection.closed
