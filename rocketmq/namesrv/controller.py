"""NamesrvController: owns the server, the route table, the KV store and housekeeping."""

from __future__ import annotations

import logging

from rocketmq._core import IMPLEMENTATION
from rocketmq.namesrv.config import NamesrvConfig
from rocketmq.namesrv.housekeeping import BrokerHousekeepingService
from rocketmq.namesrv.kv_config import KVConfigManager
from rocketmq.namesrv.processor import NamesrvProcessor
from rocketmq.namesrv.route_info import RouteInfoManager
from rocketmq.remoting import RemotingServer, ServerConfig
from rocketmq.remoting.loop import loop_name

logger = logging.getLogger("rocketmq.namesrv")


class NamesrvController:
    """One NameServer. ``start()`` loads kvConfig.json and listens; ``shutdown()``
    stops the scan task and closes every connection. Usable as ``async with``.

    Port 0 binds an ephemeral port; ``port`` tells which after ``start()``.
    """

    def __init__(self, config: NamesrvConfig | None = None) -> None:
        self.config = config = config or NamesrvConfig()
        self.kv_config_manager = KVConfigManager(config.kv_config_path)
        self.route_info_manager = RouteInfoManager(config)
        self.housekeeping = BrokerHousekeepingService(
            self.route_info_manager, config.scan_not_active_broker_interval_ms
        )
        self.remoting_server = RemotingServer(
            ServerConfig(
                listen_host=config.listen_host,
                listen_port=config.listen_port,
                channel_max_idle_time_s=config.server_channel_max_idle_time_s,
            )
        )
        self.processor = NamesrvProcessor(
            config, self.route_info_manager, self.kv_config_manager, self.housekeeping
        )
        self.processor.install(self.remoting_server)
        self._started = False

    @property
    def port(self) -> int:
        return self.remoting_server.port

    @property
    def boot_message(self) -> str:
        # Upstream NamesrvStartup's line; tools and scripts wait for it.
        return (
            "The Name Server boot success. serializeType=JSON, address "
            f"{self.config.listen_host}:{self.port}"
        )

    async def start(self) -> None:
        """Raises OSError (port taken, kvConfig.json unreadable) or ValueError (bad file)."""
        self.kv_config_manager.load()
        await self.remoting_server.start()
        self.housekeeping.start()
        self._started = True
        logger.info("NameServer core=%s loop=%s", IMPLEMENTATION, loop_name())
        logger.info("%s", self.boot_message)

    async def shutdown(self) -> None:
        await self.housekeeping.shutdown()
        await self.remoting_server.stop()
        if self._started:
            self._started = False
            logger.info("The Name Server shutdown OK")

    async def __aenter__(self) -> NamesrvController:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.shutdown()
