"""StoreCheckpoint: the 4 KiB file recording how far each structure is durable."""

from __future__ import annotations

import os
from pathlib import Path

from rocketmq._core import storefmt


class StoreCheckpoint:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.physic_msg_timestamp = 0
        self.logics_msg_timestamp = 0
        self.index_msg_timestamp = 0
        self.master_flushed_offset = 0
        self.confirm_phy_offset = 0
        if self.path.exists():
            values = storefmt.unpack_checkpoint(self.path.read_bytes())
            (
                self.physic_msg_timestamp,
                self.logics_msg_timestamp,
                self.index_msg_timestamp,
                self.master_flushed_offset,
                self.confirm_phy_offset,
            ) = values

    def min_timestamp(self, index_safe: bool = False) -> int:
        """Store time up to which everything is surely durable (minus 3 s of slack)."""
        lowest = min(self.physic_msg_timestamp, self.logics_msg_timestamp)
        if index_safe:
            lowest = min(lowest, self.index_msg_timestamp)
        return max(0, lowest - 3000)

    def flush(self) -> None:
        """Write and fsync (called from the flush thread)."""
        data = storefmt.pack_checkpoint(
            self.physic_msg_timestamp,
            self.logics_msg_timestamp,
            self.index_msg_timestamp,
            self.master_flushed_offset,
            self.confirm_phy_offset,
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            os.pwrite(fd, data, 0)
            os.fdatasync(fd)
        finally:
            os.close(fd)
