"""HAConnection: one slave as the master sees it.

Upstream runs a ReadSocketService and a WriteSocketService thread per slave;
here they are two tasks of one session, and the session ends when either
does: the slave closed, stayed silent past ``ha_housekeeping_interval_ms``,
or a write failed. The slave reconnects and says again where it stands.

Streaming starts at the slave's first report; a slave reporting 0 (an empty
store) gets the master's newest segment from its start, as upstream. Each
frame is the written bytes of one segment from the next offset on, at most
``ha_transfer_batch_size``; a segment's end (blank record and zero tail)
travels like any other bytes, so a frame never straddles two segments.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from rocketmq.store.ha import codec

if TYPE_CHECKING:
    from rocketmq.store.ha.service import HAService

logger = logging.getLogger("rocketmq.store")


class HAConnection:
    def __init__(
        self, service: HAService, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.service = service
        self.store = service.store
        self.reader = reader
        self.writer = writer
        peer = writer.get_extra_info("peername")
        self.address = f"{peer[0]}:{peer[1]}" if peer else "unknown"
        self.slave_request_offset = -1  # the first report: where streaming starts
        self.slave_ack_offset = -1  # the latest report
        self.next_transfer_offset = -1
        self._requested = asyncio.Event()
        self._appended = asyncio.Event()  # the master's CommitLog grew
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def wake(self) -> None:
        self._appended.set()

    async def close(self) -> None:
        """Cancel the session and wait for it to end (idempotent)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        reading = asyncio.get_running_loop().create_task(self._read_reports())
        writing = asyncio.get_running_loop().create_task(self._write_frames())
        try:
            done, _pending = await asyncio.wait(
                (reading, writing), return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    logger.info("HA connection %s ended: %r", self.address, task.exception())
        finally:
            for task in (reading, writing):
                task.cancel()
            await asyncio.gather(reading, writing, return_exceptions=True)
            self.writer.close()
            self.service.remove(self)

    # -- slave -> master: offset reports (ReadSocketService) ----------------------------------

    async def _read_reports(self) -> None:
        housekeeping_s = self.store.config.ha_housekeeping_interval_ms / 1000
        while True:
            try:
                async with asyncio.timeout(housekeeping_s):
                    frame = await self.reader.readexactly(codec.REPORT_SIZE)
            except TimeoutError:
                raise TimeoutError(f"slave silent for {housekeeping_s}s (housekeeping)") from None
            offset = codec.unpack_report(frame)
            self.slave_ack_offset = offset
            if self.slave_request_offset < 0:
                self.slave_request_offset = offset
                self._requested.set()
                logger.info("slave %s requests CommitLog offset %d", self.address, offset)
            self.service.notify_transfer_some(offset)

    # -- master -> slave: CommitLog frames (WriteSocketService) -------------------------------

    async def _write_frames(self) -> None:
        config = self.store.config
        heartbeat_s = config.ha_send_heartbeat_interval_ms / 1000
        await self._requested.wait()
        if self.slave_request_offset == 0:
            max_offset = self.store.commit_log.max_offset
            self.next_transfer_offset = max_offset - max_offset % config.commit_log_file_size
        else:
            self.next_transfer_offset = self.slave_request_offset
        logger.info(
            "master transfers data from %d to slave %s", self.next_transfer_offset, self.address
        )
        if self.next_transfer_offset > self.store.commit_log.max_offset:
            logger.warning(
                "slave %s is ahead of the master (%d > %d): nothing to send until the master is",
                self.address,
                self.next_transfer_offset,
                self.store.commit_log.max_offset,
            )
        last_write = time.monotonic()
        while True:
            # Clear before looking, so an append after the look wakes the wait below.
            self._appended.clear()
            frame = self._next_frame(config.ha_transfer_batch_size)
            if frame is None:
                idle_s = time.monotonic() - last_write
                if idle_s < heartbeat_s:
                    try:
                        async with asyncio.timeout(heartbeat_s - idle_s):
                            await self._appended.wait()
                    except TimeoutError:
                        pass
                    continue
                frame = (codec.pack_header(self.next_transfer_offset, 0), b"")
            self.writer.writelines(frame)
            await self.writer.drain()
            last_write = time.monotonic()

    def _next_frame(self, batch_size_max: int) -> tuple[bytes, bytes] | None:
        """(header, body) of the next stretch to send, or None when the slave is level."""
        offset = self.next_transfer_offset
        mapped = self.store.commit_log.queue.find(offset)
        if mapped is None:
            return None
        position = offset - mapped.file_from_offset
        size = min(mapped.wrote - position, batch_size_max)
        if size <= 0:
            return None
        # A copy: the transport keeps whatever it cannot send at once, and a
        # view would pin the mapping of a segment that may be deleted meanwhile.
        body = mapped.map[position : position + size]
        self.next_transfer_offset = offset + size
        return codec.pack_header(offset, size), body
