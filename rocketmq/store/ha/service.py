"""HAService: the master's side of replication.

Accepts slaves on ``ha_listen_port`` (one HAConnection each), tracks the
highest CommitLog offset any slave acknowledged (push2SlaveMaxOffset) and
lets SYNC_MASTER puts wait until a slave acknowledged their end offset
(GroupTransferService upstream): a put whose slave does not get there
within ``sync_flush_timeout_ms`` reports FLUSH_SLAVE_TIMEOUT.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from rocketmq.store.ha.connection import HAConnection
from rocketmq.store.offset_waiters import OffsetWaiters

if TYPE_CHECKING:
    from rocketmq.store.message_store import MessageStore

logger = logging.getLogger("rocketmq.store")

# Slaves connected at once; more are refused (ours: upstream has no limit).
HA_CONNECTIONS_MAX = 64


class HAService:
    def __init__(self, store: MessageStore, listen_host: str, listen_port: int) -> None:
        self.store = store
        self.listen_host = listen_host
        self.listen_port = listen_port
        self.connections: set[HAConnection] = set()
        self.push_to_slave_max_offset = 0  # highest offset a slave acknowledged
        self._waiters = OffsetWaiters()  # SYNC_MASTER puts
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The bound port (after ``start``; useful when ``listen_port`` was 0)."""
        if self._server is None or not self._server.sockets:
            return self.listen_port
        return self._server.sockets[0].getsockname()[1]

    async def start(self) -> None:
        """Bind the HA port. Raises OSError when it is taken."""
        self._server = await asyncio.start_server(self._accept, self.listen_host, self.listen_port)
        logger.info("HA service listening on %s:%d", self.listen_host, self.port)

    async def shutdown(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        connections = list(self.connections)
        await asyncio.gather(*(connection.close() for connection in connections))
        if server is not None:
            await server.wait_closed()
        self._waiters.fail_all()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._server is None or len(self.connections) >= HA_CONNECTIONS_MAX:
            logger.warning("HA connection refused: shutting down or %d slaves", HA_CONNECTIONS_MAX)
            writer.close()
            return
        connection = HAConnection(self, reader, writer)
        self.connections.add(connection)
        logger.info("HA service accepts slave %s", connection.address)
        connection.start()

    def remove(self, connection: HAConnection) -> None:
        self.connections.discard(connection)

    # -- the write path ---------------------------------------------------------------------

    def wake_transfer(self) -> None:
        """The CommitLog grew: streaming connections send the new bytes."""
        for connection in self.connections:
            connection.wake()

    def is_slave_ok(self, master_put_where: int) -> bool:
        """A slave is connected and less than ``ha_max_gap_not_in_sync`` behind."""
        gap = master_put_where - self.push_to_slave_max_offset
        return bool(self.connections) and gap < self.store.config.ha_max_gap_not_in_sync

    def notify_transfer_some(self, offset: int) -> None:
        """A slave acknowledged everything below ``offset``."""
        if offset <= self.push_to_slave_max_offset:
            return
        self.push_to_slave_max_offset = offset
        self._waiters.answer(offset)

    async def wait_for_slave(self, end_offset: int) -> bool:
        """True once a slave acknowledged ``end_offset``; False after ``sync_flush_timeout_ms``."""
        if self.push_to_slave_max_offset >= end_offset:
            return True
        waiter = self._waiters.add(end_offset)
        try:
            async with asyncio.timeout(self.store.config.sync_flush_timeout_ms / 1000):
                return await waiter
        except TimeoutError:
            logger.warning("wait for slave to reach offset %d timed out", end_offset)
            self._waiters.discard_done()
            return False
