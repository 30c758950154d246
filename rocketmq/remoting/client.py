"""RemotingClient: one connection per address, calls matched by opaque."""

from __future__ import annotations

import asyncio
import logging

from rocketmq._core import remoting as _codec
from rocketmq.errors import RemotingConnectError, RemotingTimeoutError, RemotingTooMuchRequestError
from rocketmq.remoting.config import ClientConfig
from rocketmq.remoting.connection import RemotingConnection
from rocketmq.remoting.endpoint import Endpoint

RemotingCommand = _codec.RemotingCommand

logger = logging.getLogger("rocketmq.remoting")


def split_address(addr: str) -> tuple[str, int]:
    """ "host:port" or "[v6]:port" -> (host, port)."""
    host, sep, port = addr.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"address {addr!r} is not host:port")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


class RemotingClient(Endpoint):
    """Calls remoting servers. Connects lazily and again after a connection is lost.

    Processors registered here serve the requests servers send to us
    (CHECK_TRANSACTION_STATE, NOTIFY_CONSUMER_IDS_CHANGED, ...).
    """

    def __init__(self, config: ClientConfig | None = None) -> None:
        config = config or ClientConfig()
        super().__init__(
            max_frame_size=config.max_frame_size,
            max_pending_requests=1024,
            channel_max_idle_time_s=config.channel_max_idle_time_s,
        )
        self.config = config
        self._by_address: dict[str, RemotingConnection] = {}
        self._connecting: dict[str, asyncio.Task] = {}
        self._in_flight = 0
        self._closed = False

    async def get_connection(self, addr: str) -> RemotingConnection:
        """The open connection to ``addr``, connecting first if needed."""
        connection = self._by_address.get(addr)
        if connection is not None and connection.is_open:
            return connection
        if self._closed:
            raise RemotingConnectError("client is closed")
        task = self._connecting.get(addr)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._connect(addr))
            self._connecting[addr] = task
            task.add_done_callback(lambda _t: self._connecting.pop(addr, None))
        return await asyncio.shield(task)

    async def _connect(self, addr: str) -> RemotingConnection:
        host, port = split_address(addr)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.config.connect_timeout_ms / 1000.0):
                _transport, connection = await loop.create_connection(
                    lambda: RemotingConnection(self), host, port
                )
        except TimeoutError:
            raise RemotingConnectError(
                f"connect to {addr} timed out after {self.config.connect_timeout_ms}ms"
            ) from None
        except OSError as exc:
            raise RemotingConnectError(f"connect to {addr} failed: {exc}") from exc
        if self._closed:
            connection.close("client closed while connecting")
            raise RemotingConnectError("client is closed")
        self._by_address[addr] = connection
        logger.debug("connected to %s", addr)
        return connection

    def connection_closed(self, connection: RemotingConnection) -> None:
        super().connection_closed(connection)
        for addr, known in list(self._by_address.items()):
            if known is connection:
                del self._by_address[addr]

    async def invoke(
        self, addr: str, request: RemotingCommand, timeout_ms: int | None = None
    ) -> RemotingCommand:
        """Send ``request`` to ``addr`` and return the response.

        ``timeout_ms`` covers connecting and waiting. Raises RemotingTimeoutError,
        RemotingConnectError, RemotingSendRequestError, RemotingTooMuchRequestError.
        The response may carry any response code; callers check ``code``.
        """
        if timeout_ms is None:
            timeout_ms = self.config.default_timeout_ms
        if self._in_flight >= self.config.max_requests_in_flight:
            raise RemotingTooMuchRequestError(
                f"{self._in_flight} requests in flight (max {self.config.max_requests_in_flight})"
            )
        self._in_flight += 1
        try:
            loop = asyncio.get_running_loop()
            begin = loop.time()
            connection = await self.get_connection(addr)
            left_ms = timeout_ms - int((loop.time() - begin) * 1000)
            if left_ms <= 0:
                raise RemotingTimeoutError(f"invoke to {addr} timed out while connecting")
            return await connection.invoke(request, left_ms)
        finally:
            self._in_flight -= 1

    async def invoke_oneway(self, addr: str, request: RemotingCommand) -> None:
        """Write ``request`` to ``addr`` flagged oneway."""
        connection = await self.get_connection(addr)
        connection.invoke_oneway(request)

    def close_connection(self, addr: str) -> None:
        connection = self._by_address.pop(addr, None)
        if connection is not None:
            connection.close("closed by client")

    async def close(self) -> None:
        """Close every connection and wait for handler tasks; pending calls fail."""
        self._closed = True
        for task in list(self._connecting.values()):
            task.cancel()
        await self._close_connections()

    async def __aenter__(self) -> RemotingClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
