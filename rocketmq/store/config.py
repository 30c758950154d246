"""MessageStoreConfig: the store's settings, upstream keys mapped at the file boundary."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from rocketmq.common.properties_file import parse_bool, upstream_changes

ASYNC_FLUSH = "ASYNC_FLUSH"
SYNC_FLUSH = "SYNC_FLUSH"

# BrokerRole (org.apache.rocketmq.store.config): the store decides what a put waits for.
ASYNC_MASTER = "ASYNC_MASTER"
SYNC_MASTER = "SYNC_MASTER"
SLAVE = "SLAVE"
BROKER_ROLES = (ASYNC_MASTER, SYNC_MASTER, SLAVE)


@dataclass(frozen=True)
class MessageStoreConfig:
    store_path_root_dir: Path = Path.home() / "store"
    commit_log_file_size: int = 1024 * 1024 * 1024  # mappedFileSizeCommitLog
    consume_queue_units_per_file: int = 300_000  # mappedFileSizeConsumeQueue / 20
    index_slot_count: int = 5_000_000  # maxHashSlotNum
    index_entry_count: int = 20_000_000  # maxIndexNum
    message_size_max: int = 4 * 1024 * 1024  # maxMessageSize
    flush_disk_type: str = ASYNC_FLUSH
    flush_interval_commit_log_ms: int = 500
    flush_commit_log_least_pages: int = 4
    flush_commit_log_thorough_interval_ms: int = 10_000
    flush_interval_consume_queue_ms: int = 1000
    flush_consume_queue_least_pages: int = 2
    sync_flush_timeout_ms: int = 5000
    check_crc_on_recover: bool = True
    file_reserved_time_hours: float = 72
    delete_when: str = "04"  # hours of day, ";"-separated
    # Past this usage expired segments go even outside deleteWhen hours.
    disk_max_used_space_ratio_percent: int = 75
    # Past this the oldest segments go even before fileReservedTime.
    disk_space_clean_forcibly_ratio_percent: int = 85
    # Past this the store refuses writes until space is freed.
    disk_space_warning_level_ratio_percent: int = 90
    delete_file_batch_max: int = 10
    clean_resource_interval_ms: int = 10_000
    destroy_mapped_file_interval_forcibly_ms: int = 120_000
    delete_commit_log_files_interval_ms: int = 100
    message_index_enable: bool = True
    message_index_safe: bool = False
    warm_mapped_file_enable: bool = False
    # Delay of each level (1-based), upstream's unit letters s/m/h/d.
    message_delay_level: str = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"
    # Timer messages (5.x): any delivery time up to the max delay, at this precision.
    timer_wheel_enable: bool = True
    timer_max_delay_sec: int = 3 * 24 * 3600
    timer_precision_ms: int = 1000
    # Replication (store/ha). None: listenPort + 1, as upstream's BrokerStartup sets it
    # (an ephemeral port when listenPort is 0); 0 binds an ephemeral port.
    ha_listen_port: int | None = None
    ha_master_address: str | None = None  # "host:port"; None: learnt from the NameServer
    ha_send_heartbeat_interval_ms: int = 5000
    ha_housekeeping_interval_ms: int = 20_000  # a silent peer is dropped after this
    ha_transfer_batch_size: int = 32 * 1024  # CommitLog bytes per frame at most
    # A SYNC_MASTER put answers SLAVE_NOT_AVAILABLE when the slave is further behind.
    ha_max_gap_not_in_sync: int = 256 * 1024 * 1024
    # Ours: wait before a slave reconnects to its master (upstream sleeps 5 s).
    ha_connect_retry_interval_ms: int = 5000


# broker.conf key -> (field, parser). Only keys we honour; the rest are ignored upstream-style.
def _percent(text: str) -> int:
    return int(text.strip())


UPSTREAM_KEYS: dict[str, tuple[str, type | object]] = {
    "storePathRootDir": ("store_path_root_dir", Path),
    "mappedFileSizeCommitLog": ("commit_log_file_size", int),
    "mapedFileSizeCommitLog": ("commit_log_file_size", int),  # 4.x spelling
    "maxHashSlotNum": ("index_slot_count", int),
    "maxIndexNum": ("index_entry_count", int),
    "maxMessageSize": ("message_size_max", int),
    "flushDiskType": ("flush_disk_type", str),
    "flushIntervalCommitLog": ("flush_interval_commit_log_ms", int),
    "flushCommitLogLeastPages": ("flush_commit_log_least_pages", int),
    "flushCommitLogThoroughInterval": ("flush_commit_log_thorough_interval_ms", int),
    "flushIntervalConsumeQueue": ("flush_interval_consume_queue_ms", int),
    "flushConsumeQueueLeastPages": ("flush_consume_queue_least_pages", int),
    "syncFlushTimeout": ("sync_flush_timeout_ms", int),
    "checkCRCOnRecover": ("check_crc_on_recover", parse_bool),
    "fileReservedTime": ("file_reserved_time_hours", float),
    "deleteWhen": ("delete_when", str),
    "diskMaxUsedSpaceRatio": ("disk_max_used_space_ratio_percent", _percent),
    "diskSpaceCleanForciblyRatio": ("disk_space_clean_forcibly_ratio_percent", _percent),
    "diskSpaceWarningLevelRatio": ("disk_space_warning_level_ratio_percent", _percent),
    "deleteFileBatchMax": ("delete_file_batch_max", int),
    "cleanResourceInterval": ("clean_resource_interval_ms", int),
    "destroyMapedFileIntervalForcibly": ("destroy_mapped_file_interval_forcibly_ms", int),
    "deleteCommitLogFilesInterval": ("delete_commit_log_files_interval_ms", int),
    "messageIndexEnable": ("message_index_enable", parse_bool),
    "messageIndexSafe": ("message_index_safe", parse_bool),
    "warmMapedFileEnable": ("warm_mapped_file_enable", parse_bool),
    "messageDelayLevel": ("message_delay_level", str),
    "timerWheelEnable": ("timer_wheel_enable", parse_bool),
    "timerMaxDelaySec": ("timer_max_delay_sec", int),
    "timerPrecisionMs": ("timer_precision_ms", int),
    "haListenPort": ("ha_listen_port", int),
    "haMasterAddress": ("ha_master_address", str),
    "haSendHeartbeatInterval": ("ha_send_heartbeat_interval_ms", int),
    "haHousekeepingInterval": ("ha_housekeeping_interval_ms", int),
    "haTransferBatchSize": ("ha_transfer_batch_size", int),
    "haSlaveFallbehindMax": ("ha_max_gap_not_in_sync", int),  # 4.x name
    "haMaxGapNotInSync": ("ha_max_gap_not_in_sync", int),  # 5.x name
}

_DELAY_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def parse_delay_levels(text: str) -> tuple[int, ...]:
    """``messageDelayLevel`` -> the delay in ms of level 1, 2, ...; ValueError if malformed."""
    levels = []
    for item in text.split():
        unit = _DELAY_UNIT_MS.get(item[-1:])
        if unit is None or not item[:-1].isdigit():
            raise ValueError(f"messageDelayLevel: bad level {item!r} (want e.g. 10s, 2m, 1h, 1d)")
        levels.append(int(item[:-1]) * unit)
    if not levels:
        raise ValueError("messageDelayLevel: no levels")
    return tuple(levels)


def store_config_from_properties(
    properties: dict[str, str], base: MessageStoreConfig | None = None
) -> MessageStoreConfig:
    """Apply upstream camelCase keys (broker.conf) over ``base``; unknown keys are ignored."""
    changes = upstream_changes(properties, UPSTREAM_KEYS)
    if "mappedFileSizeConsumeQueue" in properties:
        changes["consume_queue_units_per_file"] = (
            int(properties["mappedFileSizeConsumeQueue"]) // 20
        )
    config = dataclasses.replace(base or MessageStoreConfig(), **changes)
    parse_delay_levels(config.message_delay_level)
    if config.flush_disk_type not in (ASYNC_FLUSH, SYNC_FLUSH):
        raise ValueError(
            f"flushDiskType must be ASYNC_FLUSH or SYNC_FLUSH: {config.flush_disk_type}"
        )
    return config
