"""BrokerHousekeepingService: drops brokers whose connection closed or went silent.

Upstream splits this over BrokerHousekeepingService (a ChannelEventListener:
close, exception and idle all unregister the channel's broker) and the
NamesrvController task that runs RouteInfoManager#scanNotActiveBroker every
``scanNotActiveBrokerInterval``. Here one object owns both.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rocketmq.namesrv.route_info import RouteInfoManager
    from rocketmq.remoting.connection import RemotingConnection

logger = logging.getLogger("rocketmq.namesrv")


class BrokerHousekeepingService:
    def __init__(self, route_info_manager: RouteInfoManager, scan_interval_ms: int) -> None:
        if scan_interval_ms <= 0:
            raise ValueError(f"scan interval must be positive: {scan_interval_ms}")
        self.route_info_manager = route_info_manager
        self.scan_interval_ms = scan_interval_ms
        self._watched: set[RemotingConnection] = set()
        self._task: asyncio.Task | None = None

    def watch(self, connection: RemotingConnection) -> None:
        """Unregister the brokers of ``connection`` once it closes (for any reason)."""
        if connection in self._watched:
            return
        self._watched.add(connection)
        connection.closed.add_done_callback(lambda _f: self._on_closed(connection))

    def _on_closed(self, connection: RemotingConnection) -> None:
        self._watched.discard(connection)
        count = self.route_info_manager.on_channel_destroy(connection)
        if count:
            logger.info(
                "channel %s closed (%s): unregistered %d broker(s)",
                connection.remote_address,
                connection.closed.result(),
                count,
            )

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._scan_loop(), name="namesrv-scan-not-active-broker"
            )

    async def shutdown(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def _scan_loop(self) -> None:
        interval_s = self.scan_interval_ms / 1000.0
        while True:
            await asyncio.sleep(interval_s)
            try:
                self.route_info_manager.scan_not_active_broker()
            except Exception:  # one bad pass must not end the housekeeping
                logger.exception("scanNotActiveBroker exception")
