"""BrokerConfig: the broker's settings; upstream broker.conf keys mapped at the file boundary.

A broker.conf is a Java .properties file. Upstream reads it into BrokerConfig,
NettyServerConfig and MessageStoreConfig at once; here the broker keys below
go to ``BrokerConfig`` and the store keys to ``MessageStoreConfig``
(rocketmq.store.config). Unknown keys are ignored, like upstream.
"""

from __future__ import annotations

import dataclasses
import socket
from dataclasses import dataclass, field
from pathlib import Path

from rocketmq.common.properties_file import parse_bool, parse_properties, upstream_changes
from rocketmq.common.topic import PERM_READ, PERM_WRITE
from rocketmq.store.config import (
    ASYNC_MASTER,
    BROKER_ROLES,
    SLAVE,
    MessageStoreConfig,
    store_config_from_properties,
)

# Upstream clamps registerNameServerPeriod to this range (BrokerController).
REGISTER_PERIOD_MS_MIN = 10_000
REGISTER_PERIOD_MS_MAX = 60_000


def local_address() -> str:
    """The IPv4 address other hosts reach us by (RemotingUtil.getLocalAddress upstream).

    A UDP ``connect`` sends nothing; it only asks the kernel for the route's
    source address. Loopback when there is no route.
    """
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere real
        return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


@dataclass(frozen=True)
class BrokerConfig:
    broker_cluster_name: str = "DefaultCluster"
    broker_name: str = field(default_factory=socket.gethostname)
    broker_id: int = 0  # 0 master, > 0 slave
    namesrv_addrs: tuple[str, ...] = ()  # namesrvAddr, ';'-separated
    listen_host: str = "0.0.0.0"  # ours: bind address of both ports
    listen_port: int = 10911  # the fast (VIP) port is listen_port - 2
    broker_ip1: str = field(default_factory=local_address)
    broker_role: str = ASYNC_MASTER
    auto_create_topic_enable: bool = True
    auto_create_subscription_group: bool = True
    default_topic_queue_nums: int = 8
    broker_permission: int = PERM_READ | PERM_WRITE
    cluster_topic_enable: bool = True
    broker_topic_enable: bool = True
    message_size_max: int = 4 * 1024 * 1024  # maxMessageSize
    long_polling_enable: bool = True
    short_polling_time_ms: int = 1000  # shortPollingTimeMills
    # false (our default): pull bodies go page cache -> socket (writev or sendfile).
    transfer_msg_by_heap: bool = False
    # SQL92 subscriptions (expressionType SQL92) are refused unless this is on.
    enable_property_filter: bool = False
    register_name_server_period_ms: int = 30_000
    register_broker_timeout_ms: int = 6000  # registerBrokerTimeoutMills
    flush_consumer_offset_interval_ms: int = 5000
    flush_delay_offset_interval_ms: int = 10_000
    # Timer messages waiting at once; more are refused with SYSTEM_BUSY (ours).
    timer_pending_max: int = 1_000_000
    channel_expired_timeout_ms: int = 120_000  # clients idle this long are dropped
    client_channel_scan_interval_ms: int = 10_000
    # Pulls: at most this many messages and bytes per response (hot data).
    pull_msg_nums_max: int = 32  # maxTransferCountOnMessageInMemory
    pull_bytes_max: int = 256 * 1024  # maxTransferBytesOnMessageInMemory
    # Suspended pulls held at once, all queues (a named limit, not upstream's).
    suspended_pulls_max: int = 100_000
    # An orderly consumer's queue lock not refreshed for this long may be taken
    # by another member. Upstream: system property rocketmq.broker.rebalance.lockMaxLiveTime.
    rebalance_lock_max_live_time_ms: int = 60_000
    # Transactions: sends of half messages refused (NO_PERMISSION) when set.
    reject_transaction_message: bool = False
    # A half message younger than this is not checked back (transactionTimeOut).
    transaction_timeout_ms: int = 6000
    # Checks of one half message before it is given up (transactionCheckMax).
    transaction_check_max: int = 15
    transaction_check_interval_ms: int = 60_000  # transactionCheckInterval
    # Replication reads (semantics.md §5). Upstream keeps the last two in
    # MessageStoreConfig; broker.conf carries all three.
    slave_read_enable: bool = False  # slaveReadEnable: suggest the slave to slow consumers
    offset_check_in_slave: bool = False  # offsetCheckInSlave: a slave answers 21 too
    # A consumer this far behind the CommitLog end (percent of RAM) reads "from disk".
    access_message_in_memory_max_ratio: int = 40  # accessMessageInMemoryMaxRatio
    # A slave copies its master's metadata this often (SlaveSynchronize; 10 s upstream).
    slave_sync_interval_ms: int = 10_000
    store: MessageStoreConfig = field(default_factory=MessageStoreConfig)

    @property
    def broker_addr(self) -> str:
        return f"{self.broker_ip1}:{self.listen_port}"

    @property
    def config_dir(self) -> Path:
        return Path(self.store.store_path_root_dir) / "config"


def _namesrv_addrs(text: str) -> tuple[str, ...]:
    return tuple(addr.strip() for addr in text.split(";") if addr.strip())


# broker.conf key -> (field, parser).
UPSTREAM_KEYS: dict[str, tuple[str, object]] = {
    "brokerClusterName": ("broker_cluster_name", str),
    "brokerName": ("broker_name", str),
    "brokerId": ("broker_id", int),
    "namesrvAddr": ("namesrv_addrs", _namesrv_addrs),
    "bindAddress": ("listen_host", str),
    "listenPort": ("listen_port", int),
    "brokerIP1": ("broker_ip1", str),
    "brokerRole": ("broker_role", str),
    "autoCreateTopicEnable": ("auto_create_topic_enable", parse_bool),
    "autoCreateSubscriptionGroup": ("auto_create_subscription_group", parse_bool),
    "defaultTopicQueueNums": ("default_topic_queue_nums", int),
    "brokerPermission": ("broker_permission", int),
    "clusterTopicEnable": ("cluster_topic_enable", parse_bool),
    "brokerTopicEnable": ("broker_topic_enable", parse_bool),
    "maxMessageSize": ("message_size_max", int),
    "longPollingEnable": ("long_polling_enable", parse_bool),
    "shortPollingTimeMills": ("short_polling_time_ms", int),
    "transferMsgByHeap": ("transfer_msg_by_heap", parse_bool),
    "enablePropertyFilter": ("enable_property_filter", parse_bool),
    "registerNameServerPeriod": ("register_name_server_period_ms", int),
    "registerBrokerTimeoutMills": ("register_broker_timeout_ms", int),
    "flushConsumerOffsetInterval": ("flush_consumer_offset_interval_ms", int),
    "flushDelayOffsetInterval": ("flush_delay_offset_interval_ms", int),
    "channelExpiredTimeout": ("channel_expired_timeout_ms", int),
    "maxTransferCountOnMessageInMemory": ("pull_msg_nums_max", int),
    "maxTransferBytesOnMessageInMemory": ("pull_bytes_max", int),
    "rejectTransactionMessage": ("reject_transaction_message", parse_bool),
    "transactionTimeOut": ("transaction_timeout_ms", int),
    "transactionCheckMax": ("transaction_check_max", int),
    "transactionCheckInterval": ("transaction_check_interval_ms", int),
    "slaveReadEnable": ("slave_read_enable", parse_bool),
    "offsetCheckInSlave": ("offset_check_in_slave", parse_bool),
    "accessMessageInMemoryMaxRatio": ("access_message_in_memory_max_ratio", int),
}


def broker_config_from_properties(
    properties: dict[str, str], base: BrokerConfig | None = None
) -> BrokerConfig:
    """Apply upstream camelCase keys over ``base``; store keys go to ``store``.

    Raises ValueError for a malformed value.
    """
    base = base or BrokerConfig()
    changes = upstream_changes(properties, UPSTREAM_KEYS)
    changes["store"] = store_config_from_properties(properties, base.store)
    config = dataclasses.replace(base, **changes)
    if "maxMessageSize" not in properties:
        config = dataclasses.replace(config, message_size_max=config.store.message_size_max)
    if config.broker_role not in BROKER_ROLES:
        raise ValueError(f"brokerRole must be one of {', '.join(BROKER_ROLES)}")
    if config.broker_role == SLAVE and config.broker_id <= 0:
        raise ValueError("Slave's brokerId must be > 0")  # upstream BrokerStartup exits
    if not 0 <= config.listen_port <= 65535:
        raise ValueError(f"listenPort out of range: {config.listen_port}")
    period = min(
        max(config.register_name_server_period_ms, REGISTER_PERIOD_MS_MIN),
        REGISTER_PERIOD_MS_MAX,
    )
    return dataclasses.replace(config, register_name_server_period_ms=period)


def load_broker_config(path: str | Path, base: BrokerConfig | None = None) -> BrokerConfig:
    """Read a broker.conf file. Raises OSError or ValueError."""
    text = Path(path).read_text(encoding="utf-8")
    return broker_config_from_properties(parse_properties(text), base)
