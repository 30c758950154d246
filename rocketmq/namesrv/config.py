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


def _bool(text: str) -> bool:
    return text.strip().lower() == "true"


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
    "orderMessageEnable": ("order_message_enable", _bool),
    "returnOrderTopicConfigToBroker": ("return_order_topic_config_to_broker", _bool),
    "enableAllTopicList": ("enable_all_topic_list", _bool),
    "enableTopicList": ("enable_topic_list", _bool),
    "deleteTopicWithBrokerRegistration": ("delete_topic_with_broker_registration", _bool),
    "supportActingMaster": ("support_acting_master", _bool),
    "serverChannelMaxIdleTimeSeconds": ("server_channel_max_idle_time_s", float),
}


def namesrv_config_from_properties(
    properties: dict[str, str], base: NamesrvConfig | None = None
) -> NamesrvConfig:
    """Apply upstream camelCase keys over ``base``; unknown keys are ignored.

    Raises ValueError for a value of the wrong type or out of range.
    """
    changes: dict[str, object] = {}
    for key, raw in properties.items():
        mapped = UPSTREAM_KEYS.get(key)
        if mapped is None:
            continue
        name, parse = mapped
        try:
            changes[name] = parse(raw.strip())  # type: ignore[operator]
        except ValueError:
            raise ValueError(f"bad value for {key}: {raw!r}") from None
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


_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def parse_properties(text: str) -> dict[str, str]:
    """java.util.Properties#load, the parts conf files use.

    ``key=value``, ``key: value`` or ``key value``; ``#`` and ``!`` start
    comment lines; a trailing backslash continues the line; ``\\t \\n \\uXXXX``
    escapes. Later keys win. Leading whitespace of the value is dropped.
    """
    result: dict[str, str] = {}
    logical: list[str] = []
    for raw_line in text.splitlines():
        line = raw_line.lstrip(" \t\f")
        if not logical and (not line or line[0] in "#!"):
            continue
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2 == 1:
            logical.append(line[:-1])
            continue
        logical.append(line)
        key, value = _split_property("".join(logical))
        logical = []
        result[key] = value
    if logical:
        key, value = _split_property("".join(logical))
        result[key] = value
    return result


def _split_property(line: str) -> tuple[str, str]:
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\":
            index += 2
            continue
        if char in "=: \t\f":
            break
        index += 1
    key = line[:index]
    rest = line[index:].lstrip(" \t\f")
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(" \t\f")
    return _unescape(key), _unescape(rest)


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "\\" or index + 1 >= len(text):
            out.append(char)
            index += 1
            continue
        following = text[index + 1]
        if following == "u" and index + 6 <= len(text):
            try:
                out.append(chr(int(text[index + 2 : index + 6], 16)))
                index += 6
                continue
            except ValueError:
                pass
        out.append(_ESCAPES.get(following, following))
        index += 2
    return "".join(out)
