"""NamesrvConfig: the NameServer's settings; upstream keys mapped at the file boundary.

Upstream splits them over NamesrvConfig and NettyServerConfig; a conf file
(``mqnamesrv -c namesrv.conf``) is a Java .properties file read into both, and
unknown keys are ignored. Only the keys below are honoured.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from rocketmq.common.properties_file import parse_bool, parse_properties, upstream_changes


def _default_rocketmq_home() -> str | None:
    # MixAll.ROCKETMQ_HOME_DIR: -Drocketmq.home.dir, else $ROCKETMQ_HOME.
    return os.environ.get("ROCKETMQ_HOME")


@dataclass(frozen=True)
class NamesrvConfig:
    listen_host: str = "0.0.0.0"  # bindAddress
    listen_port: int = 9876  # listenPort
    rocketmq_home: str | None = field(default_factory=_default_rocketmq_home)
    kv_config_path: Path = Path.home() / "namesrv" / "kvConfig.json"
    scan_not_active_broker_interval_ms: int = 5000
    # A broker silent this long is dropped, unless its registration carried
    # heartbeatTimeoutMillis (upstream: RouteInfoManager's 2-minute constant).
    broker_channel_expired_time_ms: int = 120_000
    # Put orderTopicConf (KV namespace ORDER_TOPIC_CONFIG) into topic routes.
    order_message_enable: bool = False
    # Answer REGISTER_BROKER with the ORDER_TOPIC_CONFIG namespace as a KVTable.
    return_order_topic_config_to_broker: bool = True
    enable_all_topic_list: bool = True  # GET_ALL_TOPIC_LIST_FROM_NAMESERVER allowed
    enable_topic_list: bool = True  # GET_TOPICS_BY_CLUSTER allowed
    # Drop a broker's topics that its registration no longer lists.
    delete_topic_with_broker_registration: bool = False
    # 5.x slave acting master: publish the lowest-id slave as id 0 when a group
    # has lost its master and its queues are read-only.
    support_acting_master: bool = False
    server_channel_max_idle_time_s: float = 120.0  # serverChannelMaxIdleTimeSeconds
    # A compressed REGISTER_BROKER body may not inflate past this.
    register_body_inflated_size_max: int = 64 * 1024 * 1024


def _optional_str(text: str) -> str | None:
    return text or None


# conf key -> (field, parser).
UPSTREAM_KEYS: dict[str, tuple[str, object]] = {
    "bindAddress": ("listen_host", str),
    "listenPort": ("listen_port", int),
    "rocketmqHome": ("rocketmq_home", _optional_str),
    "kvConfigPath": ("kv_config_path", Path),
    "scanNotActiveBrokerInterval": ("scan_not_active_broker_interval_ms", int),
    "brokerChannelExpiredTime": ("broker_channel_expired_time_ms", int),  # ours
    "orderMessageEnable": ("order_message_enable", parse_bool),
    "returnOrderTopicConfigToBroker": ("return_order_topic_config_to_broker", parse_bool),
    "enableAllTopicList": ("enable_all_topic_list", parse_bool),
    "enableTopicList": ("enable_topic_list", parse_bool),
    "deleteTopicWithBrokerRegistration": ("delete_topic_with_broker_registration", parse_bool),
    "supportActingMaster": ("support_acting_master", parse_bool),
    "serverChannelMaxIdleTimeSeconds": ("server_channel_max_idle_time_s", float),
}


def namesrv_config_from_properties(
    properties: dict[str, str], base: NamesrvConfig | None = None
) -> NamesrvConfig:
    """Apply upstream camelCase keys over ``base``; unknown keys are ignored.

    Raises ValueError for a value of the wrong type or out of range.
    """
    changes = upstream_changes(properties, UPSTREAM_KEYS)
    config = dataclasses.replace(base or NamesrvConfig(), **changes)
    if not 0 <= config.listen_port <= 65535:
        raise ValueError(f"listenPort out of range: {config.listen_port}")
    if config.scan_not_active_broker_interval_ms <= 0:
        raise ValueError("scanNotActiveBrokerInterval must be positive")
    if config.broker_channel_expired_time_ms <= 0:
        raise ValueError("brokerChannelExpiredTime must be positive")
    return config


def namesrv_config_to_properties(config: NamesrvConfig) -> dict[str, str]:
    """The honoured keys and their values, as ``mqnamesrv -p`` prints them."""
    out = {}
    for key, (name, _parse) in UPSTREAM_KEYS.items():
        value = getattr(config, name)
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif value is None:
            text = ""
        elif isinstance(value, float) and value.is_integer():
            text = str(int(value))
        else:
            text = str(value)
        out[key] = text
    return out


def load_namesrv_config(path: str | os.PathLike[str]) -> NamesrvConfig:
    """Read a .properties conf file. Raises OSError, ValueError."""
    text = Path(path).read_text(encoding="utf-8")
    return namesrv_config_from_properties(parse_properties(text))
