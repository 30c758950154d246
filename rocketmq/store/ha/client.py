"""HAClient: the slave's side of replication (HAService$HAClient upstream).

Connects to the master's HA address, reports the local CommitLog max offset
at once (upstream waits for the first heartbeat), then appends every frame
verbatim at its physical offset and reports the new max offset. The store's
ReputService derives ConsumeQueues and the index from the appended bytes.

The session ends when the master's offset does not continue the local log,
the master stays silent past ``ha_housekeeping_interval_ms`` (it sends a
heartbeat every ``ha_send_heartbeat_interval_ms``), or the socket fails.
The client then reconnects after ``ha_connect_retry_interval_ms``, or at once
when the master address changes, and resumes from the local max offset.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from rocketmq.store.ha import codec

if TYPE_CHECKING:
    from rocketmq.store.message_store import MessageStore

logger = logging.getLogger("rocketmq.store")

CONNECT_TIMEOUT_MS = 5000  # RemotingUtil.connect's timeout upstream
# Upstream's slave reads into a 4 MiB buffer; a larger frame is a protocol error.
FRAME_BODY_SIZE_MAX = 4 * 1024 * 1024


def _split_address(address: str) -> tuple[str, int]:
    host, separator, port = address.rpartition(":")
    if not separator or not port.isdigit():
        raise ValueError(f"HA master address {address!r} is not host:port")
    return host.strip("[]"), int(port)


class HAClient:
    def __init__(self, store: MessageStore, master_address: str | None = None) -> None:
        self.store = store
        self._master_address = master_address or None
        self._address_changed = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.connected = False

    @property
    def master_address(self) -> str | None:
        return self._master_address

    def update_master_address(self, address: str | None) -> None:
        """Follow ``address`` from the next connection on (a live session is kept)."""
        if not address or address == self._master_address:
            return
        logger.info("update master address, OLD: %s NEW: %s", self._master_address, address)
        self._master_address = address
        self._address_changed.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def shutdown(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self.connected = False

    async def _run(self) -> None:
        retry_s = self.store.config.ha_connect_retry_interval_ms / 1000
        while True:
            self._address_changed.clear()
            address = self._master_address
            if address is not None:
                try:
                    await self._follow(address)
                except (OSError, EOFError, TimeoutError, ValueError) as exc:
                    logger.warning("HAClient: connection to master %s ended: %r", address, exc)
                finally:
                    self.connected = False
            try:
                async with asyncio.timeout(retry_s):
                    await self._address_changed.wait()
            except TimeoutError:
                pass

    async def _follow(self, address: str) -> None:
        config = self.store.config
        heartbeat_s = config.ha_send_heartbeat_interval_ms / 1000
        housekeeping_s = config.ha_housekeeping_interval_ms / 1000
        commit_log = self.store.commit_log
        host, port = _split_address(address)
        async with asyncio.timeout(CONNECT_TIMEOUT_MS / 1000):
            reader, writer = await asyncio.open_connection(host, port)
        try:
            reported = commit_log.max_offset
            writer.write(codec.pack_report(reported))
            await writer.drain()
            self.connected = True
            logger.info("HAClient: connected to master %s at offset %d", address, reported)
            last_report = last_read = time.monotonic()
            suspect = False  # housekeeping passed once; one more read decides
            while True:
                now = time.monotonic()
                if now - last_report >= heartbeat_s:
                    reported = commit_log.max_offset
                    writer.write(codec.pack_report(reported))
                    await writer.drain()
                    last_report = now
                try:
                    # A timeout here leaves a partly read header in the reader's buffer.
                    async with asyncio.timeout(max(0.0, heartbeat_s - (now - last_report))):
                        header = await reader.readexactly(codec.HEADER_SIZE)
                except TimeoutError:
                    if time.monotonic() - last_read <= housekeeping_s:
                        continue
                    # After a stall of this process the overdue timeout can fire in
                    # the same loop turn that buffered the master's frames: read once
                    # more (what is buffered comes at once) before calling it silent.
                    if not suspect:
                        suspect = True
                        continue
                    silent = f"master silent for {housekeeping_s}s (housekeeping)"
                    raise TimeoutError(silent) from None
                suspect = False
                offset, size = codec.unpack_header(header)
                if not 0 <= size <= FRAME_BODY_SIZE_MAX:
                    raise ValueError(f"HA frame body size {size} out of range")
                async with asyncio.timeout(housekeeping_s):
                    body = await reader.readexactly(size) if size else b""
                last_read = time.monotonic()
                local = commit_log.max_offset
                if local != 0 and local != offset:
                    raise ValueError(
                        f"master pushed offset not equal the max phy offset in slave, "
                        f"SLAVE: {local} MASTER: {offset}"
                    )
                if size:
                    self.store.append_to_commit_log(offset, body)
                if commit_log.max_offset > reported:
                    reported = commit_log.max_offset
                    writer.write(codec.pack_report(reported))
                    await writer.drain()
                    last_report = time.monotonic()
        finally:
            writer.close()
