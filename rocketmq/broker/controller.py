"""BrokerController: the store, both listening ports, the managers and the background tasks.

``start()`` loads the config files, binds ``listenPort`` and the fast port
``listenPort - 2`` (same processors, like upstream's VIP channel), starts the
store (its records name this broker's ``brokerIP1:listenPort``), installs the
processors and registers with the NameServers. ``shutdown()`` cancels and
awaits every task, unregisters, closes connections, persists offsets and
shuts the store down.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
from collections.abc import Awaitable, Callable

from rocketmq._core import IMPLEMENTATION
from rocketmq.broker.client_manager import ConsumerManager, ProducerManager
from rocketmq.broker.config import SLAVE, BrokerConfig
from rocketmq.broker.long_polling import PullRequestHoldService
from rocketmq.broker.namesrv_client import BrokerOuterAPI
from rocketmq.broker.offsets import ConsumerOffsetManager
from rocketmq.broker.processor.admin import AdminBrokerProcessor
from rocketmq.broker.processor.admin_stats import AdminStatsProcessor
from rocketmq.broker.processor.client import ClientManageProcessor
from rocketmq.broker.processor.end_transaction import EndTransactionProcessor
from rocketmq.broker.processor.lock import LockBatchProcessor
from rocketmq.broker.processor.offset import OffsetProcessor
from rocketmq.broker.processor.pull import PullMessageProcessor
from rocketmq.broker.processor.query import QueryMessageProcessor
from rocketmq.broker.processor.reset_offset import ResetOffsetProcessor
from rocketmq.broker.processor.send import SendMessageProcessor
from rocketmq.broker.processor.send_back import ConsumerSendMsgBackProcessor
from rocketmq.broker.rebalance_lock import RebalanceLockManager
from rocketmq.broker.schedule import ScheduleMessageService
from rocketmq.broker.slave_sync import SlaveSynchronize
from rocketmq.broker.stats import BrokerStats
from rocketmq.broker.subscription_group import SubscriptionGroupManager
from rocketmq.broker.timer import TimerMessageService
from rocketmq.broker.topic_config import TopicConfigManager
from rocketmq.broker.transaction.check import TransactionalMessageCheckService
from rocketmq.remoting import RemotingServer, ServerConfig
from rocketmq.remoting.loop import loop_name
from rocketmq.store.message_store import MessageStore

logger = logging.getLogger("rocketmq.broker")

FAST_PORT_DISTANCE = 2  # upstream: fastListenPort = listenPort - 2
STATS_SAMPLE_INTERVAL_MS = 1000  # StoreStatsService's sampling frequency


def _packed_host(ip: str, port: int) -> tuple[bytes, int]:
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    return socket.inet_pton(family, ip), port


class BrokerController:
    """One broker. Port 0 binds an ephemeral port (then there is no fast port
    arithmetic: the fast server gets its own ephemeral port); ``port`` tells
    which after ``start()``."""

    def __init__(self, config: BrokerConfig) -> None:
        self.config = config
        self.topic_config_manager = TopicConfigManager(config)
        self.subscription_group_manager = SubscriptionGroupManager(config)
        self.consumer_offset_manager = ConsumerOffsetManager(config)
        self.consumer_manager = ConsumerManager(config.channel_expired_timeout_ms)
        self.producer_manager = ProducerManager(config.channel_expired_timeout_ms)
        self.hold_service = PullRequestHoldService(config.suspended_pulls_max)
        self.rebalance_lock_manager = RebalanceLockManager(config.rebalance_lock_max_live_time_ms)
        self.schedule = ScheduleMessageService(self)
        self.transaction_check = TransactionalMessageCheckService(self)
        self.timer = TimerMessageService(self)
        self.slave_synchronize = SlaveSynchronize(self)
        self.stats = BrokerStats()
        self.store: MessageStore | None = None
        self.outer_api: BrokerOuterAPI | None = None
        self.remoting_server = self._server(config.listen_port)
        fast_port = config.listen_port - FAST_PORT_DISTANCE if config.listen_port else 0
        self.fast_remoting_server = self._server(max(0, fast_port))
        self._tasks: list[asyncio.Task] = []
        self._register_task: asyncio.Task | None = None
        self._register_again = False
        self._started = False

    def update_config(self, config: BrokerConfig) -> None:
        """Replace the running config (UPDATE_BROKER_CONFIG): the parts that
        were handed the old one, or a value of it, follow."""
        self.config = config
        self.topic_config_manager.config = config
        self.subscription_group_manager.config = config
        self.consumer_manager.channel_expired_timeout_ms = config.channel_expired_timeout_ms
        self.producer_manager.channel_expired_timeout_ms = config.channel_expired_timeout_ms
        if self.outer_api is not None:
            self.outer_api.config = config

    def _server(self, port: int) -> RemotingServer:
        return RemotingServer(ServerConfig(listen_host=self.config.listen_host, listen_port=port))

    @property
    def port(self) -> int:
        return self.remoting_server.port

    @property
    def boot_message(self) -> str:
        message = (
            f"The broker[{self.config.broker_name}, {self.config.broker_addr}] boot success. "
            "serializeType=JSON"
        )
        if self.config.namesrv_addrs:
            message += f" and name server is {';'.join(self.config.namesrv_addrs)}"
        return message

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Raises OSError (port taken, store locked) or ValueError (bad config file)."""
        self.topic_config_manager.load()
        self.subscription_group_manager.load()
        self.consumer_offset_manager.load()
        self.schedule.load()
        await self.remoting_server.start()
        try:
            await self.fast_remoting_server.start()
            config = self.config
            ha_listen_port = config.store.ha_listen_port
            if ha_listen_port is None:  # upstream: haListenPort = listenPort + 1
                ha_listen_port = config.listen_port + 1 if config.listen_port else 0
            if config.listen_port == 0:
                config = dataclasses.replace(config, listen_port=self.port)
            store = MessageStore(
                dataclasses.replace(config.store, ha_listen_port=ha_listen_port),
                _packed_host(config.broker_ip1, config.listen_port),
                broker_role=config.broker_role,
                ha_listen_host=config.listen_host,
            )
            await store.start()
            if store.ha_service is not None:  # the bound port, registered as haServerAddr
                ha_listen_port = store.ha_service.port
            self.config = dataclasses.replace(
                config, store=dataclasses.replace(config.store, ha_listen_port=ha_listen_port)
            )
        except BaseException:
            await self.fast_remoting_server.stop()
            await self.remoting_server.stop()
            raise
        self.store = store
        store.reput.listeners.append(self.hold_service.notify_message_arriving)
        for server in (self.remoting_server, self.fast_remoting_server):
            self._install_processors(server)
        self.outer_api = BrokerOuterAPI(self.config)
        self.topic_config_manager.on_change = self._topics_changed
        self._started = True
        config = self.config
        self._every(config.flush_consumer_offset_interval_ms, self._persist_offsets)
        self._every(config.flush_delay_offset_interval_ms, self.schedule.persist)
        self.transaction_check.start()
        self.timer.load()
        self._every(config.flush_delay_offset_interval_ms, self.timer.persist)
        if config.broker_role != SLAVE:  # a slave's CommitLog only grows by replication
            self.schedule.start()
            self.timer.start()
        self._every(config.client_channel_scan_interval_ms, self._scan_clients)
        self._every(STATS_SAMPLE_INTERVAL_MS, self._sample_stats)
        await self.register_broker_all()
        self._every(config.register_name_server_period_ms, self.register_broker_all)
        if config.broker_role == SLAVE:  # the registration named the master
            await self.slave_synchronize.sync_all()
            self._every(config.slave_sync_interval_ms, self.slave_synchronize.sync_all)
        logger.info("broker core=%s loop=%s", IMPLEMENTATION, loop_name())
        logger.info("%s", self.boot_message)

    def _install_processors(self, server: RemotingServer) -> None:
        for processor in (
            SendMessageProcessor(self),
            EndTransactionProcessor(self),
            ConsumerSendMsgBackProcessor(self),
            PullMessageProcessor(self),
            ClientManageProcessor(self),
            OffsetProcessor(self),
            LockBatchProcessor(self),
            AdminBrokerProcessor(self),
            AdminStatsProcessor(self),
            QueryMessageProcessor(self),
            ResetOffsetProcessor(self),
        ):
            processor.install(server)

    async def shutdown(self) -> None:
        if not self._started:
            return
        self._started = False
        self.topic_config_manager.on_change = None
        tasks = self._tasks + ([self._register_task] if self._register_task else [])
        self._tasks = []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.hold_service.wake_all()
        await self.schedule.shutdown()
        await self.transaction_check.shutdown()
        await self.timer.shutdown()
        if self.outer_api is not None:
            await self.outer_api.unregister_broker_all()
            await self.outer_api.close()
        await self.fast_remoting_server.stop()
        await self.remoting_server.stop()
        self.consumer_offset_manager.persist()
        self.topic_config_manager.persist()
        self.subscription_group_manager.persist()
        if self.store is not None:
            await self.store.shutdown()
        logger.info(
            "The broker[%s, %s] shutdown OK", self.config.broker_name, self.config.broker_addr
        )

    async def __aenter__(self) -> BrokerController:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.shutdown()

    # -- background work --------------------------------------------------------------------------

    def _every(self, interval_ms: int, job: Callable[[], Awaitable[object] | object]) -> None:
        async def loop() -> None:
            while True:
                await asyncio.sleep(interval_ms / 1000.0)
                try:
                    result = job()
                    if asyncio.iscoroutine(result):
                        await result
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("periodic %s failed", getattr(job, "__name__", job))

        self._tasks.append(asyncio.get_running_loop().create_task(loop()))

    def _sample_stats(self) -> None:
        self.store.stats.sample()
        self.stats.sample()

    def _persist_offsets(self) -> None:
        self.consumer_offset_manager.persist()

    def _scan_clients(self) -> None:
        self.consumer_manager.scan_not_active()
        self.producer_manager.scan_not_active()

    async def register_broker_all(self) -> int:
        """Send the topic table to every NameServer; returns how many accepted."""
        if self.outer_api is None:
            return 0
        accepted = await self.outer_api.register_broker_all(
            self.topic_config_manager.wrapper_json()
        )
        # A slave without haMasterAddress follows the master the NameServer names.
        ha_client = self.store.ha_client if self.store is not None else None
        if ha_client is not None and not self.config.store.ha_master_address:
            ha_client.update_master_address(self.outer_api.ha_server_addr)
        return accepted

    def _topics_changed(self) -> None:
        # Register at once, one registration at a time; changes made meanwhile
        # trigger one more.
        if self._register_task is not None and not self._register_task.done():
            self._register_again = True
            return
        self._register_task = asyncio.get_running_loop().create_task(self._register_changes())

    async def _register_changes(self) -> None:
        while True:
            self._register_again = False
            await self.register_broker_all()
            if not self._register_again:
                return
