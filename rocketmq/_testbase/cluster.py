"""LocalCluster: a NameServer and one broker on loopback ephemeral ports, in this loop.

Client interop tests start real clients (Java, Go) as subprocesses against it::

    async with LocalCluster(tmp_path) as cluster:
        ... cluster.namesrv_addr, cluster.broker_addr, cluster.broker ...

Small store segments keep the temp directory small; ``broker_overrides`` are
``BrokerConfig`` fields (for example ``transfer_msg_by_heap=True``) and
``store_overrides`` ``MessageStoreConfig`` fields.

``slave=True`` adds ``broker-a``'s slave (brokerId 1, role SLAVE, its own
store), which learns the master's HA address from the NameServer;
``slave_overrides`` / ``slave_store_overrides`` configure it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from rocketmq.broker.config import SLAVE, BrokerConfig
from rocketmq.broker.controller import BrokerController
from rocketmq.namesrv.config import NamesrvConfig
from rocketmq.namesrv.controller import NamesrvController
from rocketmq.store.config import MessageStoreConfig

LOOPBACK = "127.0.0.1"


def small_store_config(root: Path, **overrides: Any) -> MessageStoreConfig:
    """A store under ``root`` with segments sized for tests (1 MiB CommitLog files)."""
    base = MessageStoreConfig(
        store_path_root_dir=root,
        commit_log_file_size=1024 * 1024,
        consume_queue_units_per_file=1000,
        index_slot_count=1000,
        index_entry_count=4000,
        flush_interval_commit_log_ms=50,
        flush_interval_consume_queue_ms=50,
    )
    return dataclasses.replace(base, **overrides)


class LocalCluster:
    """NameServer + broker ``broker-a`` (cluster DefaultCluster) under ``root``."""

    def __init__(
        self,
        root: Path,
        *,
        broker_overrides: dict[str, Any] | None = None,
        store_overrides: dict[str, Any] | None = None,
        slave: bool = False,
        slave_overrides: dict[str, Any] | None = None,
        slave_store_overrides: dict[str, Any] | None = None,
    ) -> None:
        self.root = Path(root)
        self.namesrv = NamesrvController(
            NamesrvConfig(
                listen_host=LOOPBACK,
                listen_port=0,
                kv_config_path=self.root / "namesrv" / "kvConfig.json",
            )
        )
        self._broker_overrides = dict(broker_overrides or {})
        self._store_overrides = dict(store_overrides or {})
        self.broker: BrokerController | None = None
        self._with_slave = slave
        self._slave_overrides = dict(slave_overrides or {})
        self._slave_store_overrides = dict(slave_store_overrides or {})
        self.slave: BrokerController | None = None

    @property
    def namesrv_addr(self) -> str:
        return f"{LOOPBACK}:{self.namesrv.port}"

    @property
    def broker_addr(self) -> str:
        assert self.broker is not None, "LocalCluster is not started"
        return f"{LOOPBACK}:{self.broker.port}"

    @property
    def slave_addr(self) -> str:
        assert self.slave is not None, "LocalCluster has no running slave"
        return f"{LOOPBACK}:{self.slave.port}"

    async def start(self) -> None:
        await self.namesrv.start()
        await self._start_broker()
        if self._with_slave:
            try:
                await self.start_slave()
            except BaseException:
                await self.shutdown()
                raise

    async def restart_broker(self) -> None:
        """Shut the broker down cleanly and start it again on the same store.

        It comes back on new ports; a running slave re-registers at once to
        learn the new HA address (instead of at its next period).
        """
        assert self.broker is not None, "LocalCluster is not started"
        await self.broker.shutdown()
        self.broker = None
        await self._start_broker()
        if self.slave is not None:
            await self.slave.register_broker_all()

    async def start_slave(self) -> None:
        assert self.slave is None, "the slave is running"
        config = BrokerConfig(
            broker_name="broker-a",
            broker_id=1,
            broker_role=SLAVE,
            listen_host=LOOPBACK,
            listen_port=0,
            broker_ip1=LOOPBACK,
            namesrv_addrs=(self.namesrv_addr,),
            store=small_store_config(self.root / "slave", **self._slave_store_overrides),
        )
        slave = BrokerController(dataclasses.replace(config, **self._slave_overrides))
        await slave.start()
        self.slave = slave

    async def stop_slave(self) -> None:
        if self.slave is not None:
            slave, self.slave = self.slave, None
            await slave.shutdown()

    async def _start_broker(self) -> None:
        config = BrokerConfig(
            broker_name="broker-a",
            listen_host=LOOPBACK,
            listen_port=0,
            broker_ip1=LOOPBACK,
            namesrv_addrs=(self.namesrv_addr,),
            store=small_store_config(self.root / "broker", **self._store_overrides),
        )
        broker = BrokerController(dataclasses.replace(config, **self._broker_overrides))
        try:
            await broker.start()
        except BaseException:
            await self.namesrv.shutdown()
            raise
        self.broker = broker

    async def shutdown(self) -> None:
        await self.stop_slave()
        if self.broker is not None:
            await self.broker.shutdown()
            self.broker = None
        await self.namesrv.shutdown()

    async def __aenter__(self) -> LocalCluster:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.shutdown()
