"""RouteInfoManager: which broker serves which topic, and which brokers are alive.

Rules (shared/spec/semantics.md §11, upstream namesrv/routeinfo/RouteInfoManager):
topic configs are taken only from a group's master (brokerId 0; with acting
master, from the lowest-id slave while no master is registered) and only on a
first registration or when the broker's DataVersion changed; an address that
registers under a new id replaces its old id (slave promoted to master); a
broker silent past its heartbeat timeout, or whose connection closes, is
removed with its queue data, and empty broker names, clusters and topics go
with it.

Everything runs on the event loop thread and no method awaits, so each call
sees and leaves the tables consistent: upstream's read-write lock is not needed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Protocol

from rocketmq.common.topic import MASTER_ID, PERM_READ, PERM_WRITE, DataVersion, TopicConfig
from rocketmq.namesrv.config import NamesrvConfig
from rocketmq.namesrv.register_body import TopicConfigWrapper
from rocketmq.namesrv.route_data import BrokerData, QueueData, TopicRouteData

logger = logging.getLogger("rocketmq.namesrv")


class Channel(Protocol):
    """What the manager needs of a broker's connection."""

    def close(self, reason: str = ...) -> None: ...


# BrokerAddrInfo: brokers are live per (clusterName, brokerAddr).
BrokerAddrInfo = tuple[str, str]


@dataclass
class BrokerLiveInfo:
    last_update_ms: float  # monotonic clock
    heartbeat_timeout_ms: int
    data_version: DataVersion
    channel: Channel | None
    ha_server_addr: str | None


@dataclass
class RegisterBrokerResult:
    ha_server_addr: str | None = None
    master_addr: str | None = None


def _now_ms() -> float:
    return time.monotonic() * 1000.0


class RouteInfoManager:
    def __init__(self, config: NamesrvConfig) -> None:
        self.config = config
        self.topic_queue_table: dict[str, dict[str, QueueData]] = {}  # topic -> brokerName ->
        self.broker_addr_table: dict[str, BrokerData] = {}  # brokerName ->
        self.cluster_addr_table: dict[str, set[str]] = {}  # clusterName -> brokerNames
        self.broker_live_table: dict[BrokerAddrInfo, BrokerLiveInfo] = {}
        self.filter_server_table: dict[BrokerAddrInfo, list[str]] = {}

    # -- registration ----------------------------------------------------------------

    def register_broker(
        self,
        *,
        cluster_name: str,
        broker_addr: str,
        broker_name: str,
        broker_id: int,
        ha_server_addr: str | None,
        topic_config_wrapper: TopicConfigWrapper,
        channel: Channel | None,
        zone_name: str | None = None,
        heartbeat_timeout_ms: int | None = None,
        enable_acting_master: bool | None = None,
        filter_server_list: list[str] | None = None,
    ) -> RegisterBrokerResult | None:
        """Record a broker's (re-)registration.

        Returns None when a single-topic registration arrives before the broker
        registered in full (upstream: "register broker failed").
        """
        result = RegisterBrokerResult()
        self.cluster_addr_table.setdefault(cluster_name, set()).add(broker_name)

        register_first = False
        broker_data = self.broker_addr_table.get(broker_name)
        if broker_data is None:
            register_first = True
            broker_data = BrokerData(cluster_name, broker_name)
            self.broker_addr_table[broker_name] = broker_data
        # enableActingMaster is absent in headers of brokers before 5.0.
        old_version_broker = enable_acting_master is None
        broker_data.enable_acting_master = bool(enable_acting_master)
        broker_data.zone_name = zone_name
        addrs = broker_data.broker_addrs

        # One address, one id: a slave promoted to master registers its
        # address under id 0, so its old id goes.
        for stale_id in [i for i, a in addrs.items() if a == broker_addr and i != broker_id]:
            del addrs[stale_id]

        data_version = topic_config_wrapper.data_version
        old_addr = addrs.get(broker_id)
        if old_addr is not None and old_addr != broker_addr:
            old_live = self.broker_live_table.get((cluster_name, old_addr))
            if old_live is not None and old_live.data_version.state_version > (
                data_version.state_version
            ):
                logger.warning(
                    "Registering Broker conflicts with the existed one, just ignore.:"
                    " Cluster:%s, BrokerName:%s, BrokerId:%d, Old BrokerAddr:%s, Old Version:%d,"
                    " New BrokerAddr:%s, New Version:%d.",
                    cluster_name,
                    broker_name,
                    broker_id,
                    old_addr,
                    old_live.data_version.state_version,
                    broker_addr,
                    data_version.state_version,
                )
                self.broker_live_table.pop((cluster_name, broker_addr), None)
                return result

        topics = topic_config_wrapper.topic_config_table
        if broker_id not in addrs and len(topics) == 1:
            # registerSingleTopicAll before the full registration: upstream refuses.
            logger.warning(
                "Can't register topicConfigWrapper=%s because broker[%d]=%s has not registered.",
                list(topics),
                broker_id,
                broker_addr,
            )
            return None

        register_first = register_first or not old_addr
        addrs[broker_id] = broker_addr

        is_master = broker_id == MASTER_ID
        is_prime_slave = not old_version_broker and not is_master and broker_id == min(addrs)
        if is_master or is_prime_slave:
            addr_info = (cluster_name, broker_addr)
            if self.config.delete_topic_with_broker_registration:
                self._delete_topics_not_in(broker_name, topics)
            changed = register_first or self._is_broker_topic_config_changed(
                addr_info, data_version
            )
            for config in topics.values():
                if changed or broker_name not in self.topic_queue_table.get(config.topic_name, {}):
                    perm = config.perm
                    if is_prime_slave and broker_data.enable_acting_master:
                        perm &= ~PERM_WRITE  # the acting master serves reads only
                    self._create_and_update_queue_data(broker_name, config, perm)

        addr_info = (cluster_name, broker_addr)
        previous = self.broker_live_table.get(addr_info)
        self.broker_live_table[addr_info] = BrokerLiveInfo(
            last_update_ms=_now_ms(),
            heartbeat_timeout_ms=(
                self.config.broker_channel_expired_time_ms
                if heartbeat_timeout_ms is None
                else heartbeat_timeout_ms
            ),
            data_version=data_version,
            channel=channel,
            ha_server_addr=ha_server_addr,
        )
        if previous is None:
            logger.info(
                "new broker registered, %s %s %d HAService: %s",
                cluster_name,
                broker_addr,
                broker_id,
                ha_server_addr,
            )

        if filter_server_list is not None:
            if filter_server_list:
                self.filter_server_table[addr_info] = list(filter_server_list)
            else:
                self.filter_server_table.pop(addr_info, None)

        if broker_id != MASTER_ID:
            master_addr = addrs.get(MASTER_ID)
            if master_addr is not None:
                master_live = self.broker_live_table.get((cluster_name, master_addr))
                if master_live is not None:
                    result.ha_server_addr = master_live.ha_server_addr
                    result.master_addr = master_addr
        return result

    def _is_broker_topic_config_changed(
        self, addr_info: BrokerAddrInfo, data_version: DataVersion
    ) -> bool:
        live = self.broker_live_table.get(addr_info)
        return live is None or live.data_version != data_version

    def is_broker_topic_config_changed(
        self, cluster_name: str, broker_addr: str, data_version: DataVersion
    ) -> bool:
        """QUERY_DATA_VERSION: does the broker's version differ from what we hold?"""
        return self._is_broker_topic_config_changed((cluster_name, broker_addr), data_version)

    def query_broker_data_version(self, cluster_name: str, broker_addr: str) -> DataVersion | None:
        live = self.broker_live_table.get((cluster_name, broker_addr))
        return None if live is None else live.data_version

    def update_broker_info_update_timestamp(self, cluster_name: str, broker_addr: str) -> None:
        live = self.broker_live_table.get((cluster_name, broker_addr))
        if live is not None:
            live.last_update_ms = _now_ms()

    def _create_and_update_queue_data(
        self, broker_name: str, config: TopicConfig, perm: int
    ) -> None:
        queue_data = QueueData(
            broker_name=broker_name,
            read_queue_nums=config.read_queue_nums,
            write_queue_nums=config.write_queue_nums,
            perm=perm,
            topic_sys_flag=config.topic_sys_flag,
        )
        by_broker = self.topic_queue_table.get(config.topic_name)
        if by_broker is None:
            self.topic_queue_table[config.topic_name] = {broker_name: queue_data}
            logger.info("new topic registered, %s %s", config.topic_name, queue_data)
            return
        existing = by_broker.get(broker_name)
        if existing != queue_data:
            if existing is not None:
                logger.info(
                    "topic changed, %s OLD: %s NEW: %s", config.topic_name, existing, queue_data
                )
            by_broker[broker_name] = queue_data

    def _delete_topics_not_in(self, broker_name: str, topics: dict[str, TopicConfig]) -> None:
        for topic, by_broker in list(self.topic_queue_table.items()):
            if topic in topics or broker_name not in by_broker:
                continue
            removed = by_broker.pop(broker_name)
            logger.info(
                "deleteTopic, remove one broker's topic %s %s %s", broker_name, topic, removed
            )
            if not by_broker:
                del self.topic_queue_table[topic]

    # -- removal ------------------------------------------------------------------------

    def unregister_broker(self, cluster_name: str, broker_addr: str, broker_name: str) -> None:
        """Forget one broker address: its liveness, its id and, with the last id, its name."""
        addr_info = (cluster_name, broker_addr)
        live = self.broker_live_table.pop(addr_info, None)
        logger.info(
            "unregisterBroker, remove from brokerLiveTable %s, %s %s",
            "OK" if live is not None else "Failed",
            cluster_name,
            broker_addr,
        )
        self.filter_server_table.pop(addr_info, None)

        broker_data = self.broker_addr_table.get(broker_name)
        if broker_data is None:
            return
        addrs = broker_data.broker_addrs
        for stale_id in [i for i, a in addrs.items() if a == broker_addr]:
            del addrs[stale_id]
        if addrs:
            # Acting master: a group that lost its master stops taking writes.
            if broker_data.enable_acting_master and min(addrs) > MASTER_ID:
                for by_broker in self.topic_queue_table.values():
                    queue_data = by_broker.get(broker_name)
                    if queue_data is not None:
                        queue_data.perm &= ~PERM_WRITE
            return
        del self.broker_addr_table[broker_name]
        logger.info("unregisterBroker, remove name from brokerAddrTable OK, %s", broker_name)
        names = self.cluster_addr_table.get(cluster_name)
        if names is not None:
            names.discard(broker_name)
            if not names:
                del self.cluster_addr_table[cluster_name]
                logger.info(
                    "unregisterBroker, remove cluster from clusterAddrTable %s", cluster_name
                )
        for topic, by_broker in list(self.topic_queue_table.items()):
            by_broker.pop(broker_name, None)
            if not by_broker:
                del self.topic_queue_table[topic]

    def _unregister_addr_info(self, addr_info: BrokerAddrInfo) -> None:
        cluster_name, broker_addr = addr_info
        for broker_data in list(self.broker_addr_table.values()):
            if broker_data.cluster != cluster_name:
                continue
            if broker_addr in broker_data.broker_addrs.values():
                self.unregister_broker(cluster_name, broker_addr, broker_data.broker_name)
                return
        # Live but in no group (its registration was rejected): drop the rest.
        self.broker_live_table.pop(addr_info, None)
        self.filter_server_table.pop(addr_info, None)

    def on_channel_destroy(self, channel: Channel) -> int:
        """The connection closed: unregister every broker that registered over it."""
        gone = [info for info, live in self.broker_live_table.items() if live.channel is channel]
        for addr_info in gone:
            logger.info(
                "the broker's channel destroyed, unregister %s %s", addr_info[0], addr_info[1]
            )
            self._unregister_addr_info(addr_info)
        return len(gone)

    def scan_not_active_broker(self) -> int:
        """Drop brokers silent past their heartbeat timeout; returns how many."""
        now = _now_ms()
        expired = [
            (info, live)
            for info, live in self.broker_live_table.items()
            if live.last_update_ms + live.heartbeat_timeout_ms < now
        ]
        for addr_info, live in expired:
            logger.warning(
                "The broker channel expired, %s %s %dms",
                addr_info[0],
                addr_info[1],
                live.heartbeat_timeout_ms,
            )
            if live.channel is not None:
                live.channel.close("broker channel expired")
            self._unregister_addr_info(addr_info)
        return len(expired)

    # -- queries ------------------------------------------------------------------------

    def pickup_topic_route_data(self, topic: str) -> TopicRouteData | None:
        """The route of ``topic``; None when no live broker group hosts it."""
        by_broker = self.topic_queue_table.get(topic)
        if not by_broker:
            return None
        route = TopicRouteData()
        for broker_name in sorted(by_broker):
            queue_data = by_broker[broker_name]
            route.queue_datas.append(QueueData(**vars(queue_data)))
            broker_data = self.broker_addr_table.get(broker_name)
            if broker_data is None:
                continue
            clone = broker_data.copy()
            route.broker_datas.append(clone)
            if self.filter_server_table:
                for addr in clone.broker_addrs.values():
                    route.filter_server_table[addr] = list(
                        self.filter_server_table.get((clone.cluster, addr)) or []
                    )
        if not route.broker_datas:
            return None
        if self.config.support_acting_master:
            self._publish_acting_masters(route)
        return route

    @staticmethod
    def _publish_acting_masters(route: TopicRouteData) -> None:
        # A group without master whose queues went read-only shows its
        # lowest-id slave as id 0, so clients read from and ack to it.
        for broker_data in route.broker_datas:
            addrs = broker_data.broker_addrs
            if not addrs or MASTER_ID in addrs or not broker_data.enable_acting_master:
                continue
            for queue_data in route.queue_datas:
                if queue_data.broker_name == broker_data.broker_name:
                    if not queue_data.perm & PERM_WRITE:
                        addrs[MASTER_ID] = addrs.pop(min(addrs))
                    break

    def get_all_cluster_info(self) -> dict:
        """ClusterInfo JSON: brokerAddrTable and clusterAddrTable."""
        return {
            "brokerAddrTable": {
                name: data.to_json() for name, data in sorted(self.broker_addr_table.items())
            },
            "clusterAddrTable": {
                cluster: sorted(names) for cluster, names in sorted(self.cluster_addr_table.items())
            },
        }

    def get_all_topic_list(self) -> list[str]:
        return sorted(self.topic_queue_table)

    def get_topics_by_cluster(self, cluster_name: str) -> list[str]:
        names = self.cluster_addr_table.get(cluster_name) or set()
        return sorted(
            topic
            for topic, by_broker in self.topic_queue_table.items()
            if not names.isdisjoint(by_broker)
        )

    def get_system_topic_list(self) -> tuple[list[str], str | None]:
        """Cluster names and broker names (each is a system topic) and one broker address."""
        topics: list[str] = []
        for cluster, names in sorted(self.cluster_addr_table.items()):
            topics.append(cluster)
            topics.extend(sorted(names))
        broker_addr = None
        for _name, broker_data in sorted(self.broker_addr_table.items()):
            if broker_data.broker_addrs:
                broker_addr = broker_data.broker_addrs[min(broker_data.broker_addrs)]
                break
        return topics, broker_addr

    # -- admin ---------------------------------------------------------------------------

    def delete_topic(self, topic: str, cluster_name: str | None = None) -> None:
        """Remove a topic's route, or only its queues on one cluster's brokers."""
        if not cluster_name:
            self.topic_queue_table.pop(topic, None)
            return
        names = self.cluster_addr_table.get(cluster_name)
        by_broker = self.topic_queue_table.get(topic)
        if not names or by_broker is None:
            return
        for broker_name in names:
            by_broker.pop(broker_name, None)
        if not by_broker:
            del self.topic_queue_table[topic]

    def register_topic(self, topic: str, queue_datas: list[QueueData]) -> bool:
        """REGISTER_TOPIC_IN_NAMESRV: add queue data of known brokers; False if one is unknown."""
        if not queue_datas:
            return False
        if any(q.broker_name not in self.broker_addr_table for q in queue_datas):
            logger.warning("Register topic contains illegal broker, %s, %s", topic, queue_datas)
            return False
        by_broker = self.topic_queue_table.setdefault(topic, {})
        for queue_data in queue_datas:
            by_broker[queue_data.broker_name] = queue_data
        logger.info("Register topic route:%s, %s", topic, queue_datas)
        return True

    def wipe_write_perm_of_broker(self, broker_name: str) -> int:
        """Clear WRITE on every queue of ``broker_name``; returns the topic count."""
        count = 0
        for by_broker in self.topic_queue_table.values():
            queue_data = by_broker.get(broker_name)
            if queue_data is not None:
                queue_data.perm &= ~PERM_WRITE
                count += 1
        return count

    def add_write_perm_of_broker(self, broker_name: str) -> int:
        """Set READ|WRITE on every queue of ``broker_name``; returns the topic count."""
        count = 0
        for by_broker in self.topic_queue_table.values():
            queue_data = by_broker.get(broker_name)
            if queue_data is not None:
                queue_data.perm = PERM_READ | PERM_WRITE
                count += 1
        return count
