"""MessageStore: the store facade the broker talks to (DefaultMessageStore upstream).

Owns the CommitLog, the ConsumeQueues, the index, the checkpoint, the
dispatcher and the flush services; runs recovery at start.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import struct
from pathlib import Path

from rocketmq._core import message as msgfmt
from rocketmq.store.checkpoint import StoreCheckpoint
from rocketmq.store.cleanup import CleanupService
from rocketmq.store.commit_log import CommitLog, MessageToStore
from rocketmq.store.config import (
    ASYNC_MASTER,
    SLAVE,
    SYNC_FLUSH,
    SYNC_MASTER,
    MessageStoreConfig,
)
from rocketmq.store.consume_queue import ConsumeQueue
from rocketmq.store.dispatch import ReputService
from rocketmq.store.flush import FlushService
from rocketmq.store.get_message import (
    MAX_TRANSFER_BYTES,
    GetMessageResult,
    MessageFilter,
    record_properties,
    select_messages,
)
from rocketmq.store.ha import HAClient, HAService
from rocketmq.store.index import IndexService
from rocketmq.store.recovery import recover_commit_log
from rocketmq.store.stats import StoreStats
from rocketmq.store.status import AppendResult, PutMessageStatus

logger = logging.getLogger("rocketmq.store")

# Java's DefaultMessageStore locks byte 0 of the lock file with FileChannel.tryLock,
# a POSIX record lock that flock() never conflicts with. An open-file-description
# lock on that byte conflicts with it and, like flock, belongs to our descriptor (a
# second store in this process is refused too). flock where OFD locks are missing.
_OFD_SETLK = getattr(fcntl, "F_OFD_SETLK", None)
_LOCK_FIRST_BYTE = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 1, 0)  # struct flock


class MessageStore:
    def __init__(
        self,
        config: MessageStoreConfig,
        store_host: tuple[bytes, int],
        *,
        broker_role: str = ASYNC_MASTER,
        ha_listen_host: str = "0.0.0.0",
    ) -> None:
        """``broker_role`` is ASYNC_MASTER, SYNC_MASTER or SLAVE. A master serves
        slaves on ``config.ha_listen_port`` unless that is None; a slave follows
        ``config.ha_master_address`` or one given to ``ha_client.update_master_address``."""
        self.config = config
        self.broker_role = broker_role
        self.ha_service: HAService | None = None
        self.ha_client: HAClient | None = None
        if broker_role == SLAVE:
            self.ha_client = HAClient(self, config.ha_master_address)
        elif config.ha_listen_port is not None:
            self.ha_service = HAService(self, ha_listen_host, config.ha_listen_port)
        self.root = Path(config.store_path_root_dir)
        self.commit_log = CommitLog(
            self.root / "commitlog",
            config.commit_log_file_size,
            store_host,
            config.message_size_max,
            warm=config.warm_mapped_file_enable,
        )
        self._queues: dict[tuple[str, int], ConsumeQueue] = {}
        self.index: IndexService | None = None
        if config.message_index_enable:
            self.index = IndexService(
                self.root / "index", config.index_slot_count, config.index_entry_count
            )
        self.checkpoint = StoreCheckpoint(self.root / "checkpoint")
        self.reput = ReputService(self)
        self.flush_service = FlushService(self)
        self.cleanup = CleanupService(self)
        self.stats = StoreStats()  # sampled once a second by the broker
        self.disk_full = False  # set by the cleanup service or a failed segment creation
        self._reput_scheduled = False
        self._lock_fd = -1
        self.running = False

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Load, recover, and start the background services.

        Raises OSError when another process holds the store's lock file.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock()
        abort_file = self.root / "abort"
        last_exit_ok = not abort_file.exists()
        try:
            self._load()
            self._recover(last_exit_ok)
        except BaseException:
            self._close_files()
            self._unlock()
            raise
        if self.ha_service is not None:
            try:
                await self.ha_service.start()
            except BaseException:
                self._close_files()
                self._unlock()
                raise
        abort_file.write_text(str(os.getpid()))
        self.flush_service.start()
        self.cleanup.start()
        self.running = True
        if self.ha_client is not None:
            self.ha_client.start()
        logger.info(
            "message store started (%s recovery): commitlog [%d, %d), %d consume queues",
            "normal" if last_exit_ok else "abnormal",
            self.commit_log.min_offset,
            self.commit_log.max_offset,
            len(self._queues),
        )

    async def shutdown(self) -> None:
        """Dispatch what is left, flush everything, and mark a clean exit."""
        if not self.running:
            return
        self.running = False
        # Replication stops first: it reads and appends the files closed below.
        if self.ha_client is not None:
            await self.ha_client.shutdown()
        if self.ha_service is not None:
            await self.ha_service.shutdown()
        await self.cleanup.stop()
        await self.flush_service.stop()
        self.reput.run()
        await asyncio.get_running_loop().run_in_executor(None, self._flush_all)
        self._close_files()
        (self.root / "abort").unlink(missing_ok=True)
        self._unlock()
        logger.info("message store shut down cleanly")

    def _close_files(self) -> None:
        for queue in self._queues.values():
            queue.close()
        if self.index is not None:
            self.index.close()
        self.commit_log.close()

    def _flush_all(self) -> None:
        self.commit_log.flush()
        for queue in list(self._queues.values()):
            queue.flush()
        if self.index is not None:
            for fd in self.index.flush_fds():
                os.fdatasync(fd)
        self.checkpoint.physic_msg_timestamp = max(
            self.checkpoint.physic_msg_timestamp, self.reput.last_store_timestamp
        )
        self.checkpoint.logics_msg_timestamp = max(
            self.checkpoint.logics_msg_timestamp, self.reput.last_store_timestamp
        )
        if self.index is not None and self.index.files:
            self.checkpoint.index_msg_timestamp = self.index.end_timestamp
        self.checkpoint.flush()

    def _lock(self) -> None:
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if _OFD_SETLK is not None:
                fcntl.fcntl(fd, _OFD_SETLK, _LOCK_FIRST_BYTE)
            else:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise OSError(f"lock failed, MQ already started: {self.root}") from None
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    # -- load and recovery ----------------------------------------------------------------

    def _load(self) -> None:
        self.commit_log.queue.load()
        cq_root = self.root / "consumequeue"
        if cq_root.is_dir():
            for topic_dir in cq_root.iterdir():
                if not topic_dir.is_dir():
                    continue
                for queue_dir in topic_dir.iterdir():
                    if queue_dir.name.isdigit():
                        queue = self.find_consume_queue(topic_dir.name, int(queue_dir.name))
                        queue.load()
        if self.index is not None:
            self.index.load()

    def _recover(self, last_exit_ok: bool) -> None:
        for queue in self._queues.values():
            queue.recover()
        min_timestamp = self.checkpoint.min_timestamp(self.config.message_index_safe)
        end_offset, walk_start = recover_commit_log(
            self.commit_log.queue,
            check_crc=self.config.check_crc_on_recover,
            normal=last_exit_ok,
            min_timestamp=min_timestamp,
        )
        for queue in self._queues.values():
            queue.truncate_dirty(end_offset)
        if self.index is not None:
            self.index.truncate(end_offset)
            self.index.indexed_below = min(self.index.indexed_below, end_offset)
        # A clean exit dispatched everything; after a crash re-dispatch from
        # the walk start (units already present are skipped).
        self.reput.reput_from_offset = end_offset if last_exit_ok else walk_start
        self.reput.run()
        # Units pointing below the oldest CommitLog segment are gone (recoverTopicQueueTable).
        self.cleanup.clean_logics()
        for (topic, queue_id), queue in self._queues.items():
            self.commit_log.queue_offsets[(topic, queue_id)] = queue.max_offset

    # -- consume queues -------------------------------------------------------------------

    def find_consume_queue(self, topic: str, queue_id: int) -> ConsumeQueue:
        key = (topic, queue_id)
        queue = self._queues.get(key)
        if queue is None:
            queue = ConsumeQueue(
                topic,
                queue_id,
                self.root / "consumequeue",
                self.config.consume_queue_units_per_file,
            )
            self._queues[key] = queue
        return queue

    def consume_queues(self) -> list[ConsumeQueue]:
        return list(self._queues.values())

    # -- writes -------------------------------------------------------------------------------

    async def put_message(self, message: MessageToStore) -> AppendResult:
        return await self.put_messages([message])

    async def put_messages(self, messages: list[MessageToStore]) -> AppendResult:
        """Append one message or a batch (same topic and queue).

        With SYNC_FLUSH waits for durability unless the first message has
        property WAIT=false; a flush not done in time gives FLUSH_DISK_TIMEOUT
        (the message is stored). A SYNC_MASTER likewise waits for a slave to
        acknowledge the message's end: FLUSH_SLAVE_TIMEOUT when none does in
        ``sync_flush_timeout_ms``, SLAVE_NOT_AVAILABLE (without waiting) when
        no slave is connected or it lags ``ha_max_gap_not_in_sync`` or more.
        A slave refuses puts with SERVICE_NOT_AVAILABLE (checkStoreStatus).
        """
        if not self.running or self.disk_full or self.broker_role == SLAVE:
            return AppendResult(PutMessageStatus.SERVICE_NOT_AVAILABLE)
        result = self.commit_log.append(messages)
        if result.status is not PutMessageStatus.PUT_OK:
            if result.status is PutMessageStatus.SERVICE_NOT_AVAILABLE:
                self.disk_full = True  # no room for a new segment
            self.stats.on_put_failed()
            return result
        self.stats.on_put(len(messages), result.size)
        self._schedule_reput()
        if self.ha_service is not None:
            self.ha_service.wake_transfer()
        end_offset = result.physical_offset + result.size
        wait = _wants_wait(messages[0])
        if self.config.flush_disk_type == SYNC_FLUSH and wait:
            if not await self.flush_service.wait_flushed(end_offset):
                result.status = PutMessageStatus.FLUSH_DISK_TIMEOUT
        if self.broker_role == SYNC_MASTER and wait:
            # As CommitLog#submitReplicaRequest: the replica status wins over the flush's.
            ha_service = self.ha_service
            if ha_service is None or not ha_service.is_slave_ok(end_offset):
                result.status = PutMessageStatus.SLAVE_NOT_AVAILABLE
            elif not await ha_service.wait_for_slave(end_offset):
                result.status = PutMessageStatus.FLUSH_SLAVE_TIMEOUT
        return result

    def append_to_commit_log(self, offset: int, data: bytes | memoryview) -> None:
        """Slave: append replicated bytes at ``offset`` and dispatch them (appendToCommitLog).

        Raises ValueError when ``offset`` does not continue the log, OSError
        when a segment cannot be created.
        """
        self.commit_log.append_raw(offset, data)
        self._schedule_reput()

    def _schedule_reput(self) -> None:
        if not self._reput_scheduled:
            self._reput_scheduled = True
            asyncio.get_running_loop().call_soon(self._reput_now)

    def _reput_now(self) -> None:
        self._reput_scheduled = False
        self.reput.run()

    # -- reads --------------------------------------------------------------------------------

    def get_message(
        self,
        topic: str,
        queue_id: int,
        offset: int,
        max_msg_nums: int,
        code_set: set[int] | None = None,
        max_bytes: int = MAX_TRANSFER_BYTES,
        message_filter: MessageFilter | None = None,
    ) -> GetMessageResult:
        """``select_messages`` on the topic's queue, counted in the store's stats."""
        result = select_messages(
            self._queues.get((topic, queue_id)),
            self.commit_log,
            offset,
            max_msg_nums,
            code_set,
            max_bytes,
            message_filter,
        )
        self.stats.on_get(len(result.segments))
        return result

    def read_properties(
        self, topic: str, queue_id: int, queue_offset: int
    ) -> dict[str, str] | None:
        """Properties of the message at a logical offset; None when it cannot be read."""
        queue = self._queues.get((topic, queue_id))
        unit = queue.unit(queue_offset) if queue is not None else None
        if unit is None:
            return None
        mapped = self.commit_log.queue.find(unit[0])
        if mapped is None or not mapped.hold():
            return None
        try:
            return record_properties(mapped, unit[0] - mapped.file_from_offset)
        finally:
            mapped.release()

    def get_max_offset_in_queue(self, topic: str, queue_id: int) -> int:
        queue = self._queues.get((topic, queue_id))
        return queue.max_offset if queue is not None else 0

    def get_min_offset_in_queue(self, topic: str, queue_id: int) -> int:
        queue = self._queues.get((topic, queue_id))
        return queue.min_offset if queue is not None else 0

    def look_message_by_offset(self, commitlog_offset: int) -> msgfmt.MessageRecord | None:
        """Decode the record at ``commitlog_offset`` (None when absent or invalid)."""
        mapped = self.commit_log.queue.find(commitlog_offset)
        if mapped is None:
            return None
        position = commitlog_offset - mapped.file_from_offset
        if position >= mapped.wrote:  # past the written end (a bogus offset from a client)
            return None
        status, _size = msgfmt.check_record(mapped.map, position, mapped.wrote, False)
        if status != msgfmt.RECORD_OK:
            return None
        return msgfmt.decode_record(mapped.map, position)

    def get_store_time(self, topic: str, queue_id: int, queue_offset: int) -> int | None:
        """Store timestamp of the message at a logical offset."""
        queue = self._queues.get((topic, queue_id))
        if queue is None:
            return None
        unit = queue.unit(queue_offset)
        if unit is None:
            return None
        record = self.look_message_by_offset(unit[0])
        return record.store_timestamp if record is not None else None

    def get_earliest_message_time(self, topic: str, queue_id: int) -> int | None:
        return self.get_store_time(topic, queue_id, self.get_min_offset_in_queue(topic, queue_id))

    def get_offset_in_queue_by_time(self, topic: str, queue_id: int, timestamp: int) -> int:
        """First logical offset whose store time is >= ``timestamp`` (binary search).

        Returns the max offset when every message is older, the min offset
        when every message is newer.
        """
        low = self.get_min_offset_in_queue(topic, queue_id)
        high = self.get_max_offset_in_queue(topic, queue_id)
        while low < high:
            middle = (low + high) // 2
            stored = self.get_store_time(topic, queue_id, middle)
            if stored is None or stored < timestamp:
                low = middle + 1
            else:
                high = middle
        return low

    def query_message(
        self, topic: str, key: str, max_num: int, begin_ms: int, end_ms: int
    ) -> list[msgfmt.MessageRecord]:
        """Messages of ``topic`` whose KEYS or UNIQ_KEY equal ``key``, stored in [begin, end]."""
        if self.index is None:
            return []
        records = []
        for offset in self.index.lookup(f"{topic}#{key}", max_num, begin_ms, end_ms):
            record = self.look_message_by_offset(offset)
            if record is None or record.topic != topic:
                continue
            if key in record.keys or record.uniq_key == key:
                records.append(record)
        return records


def _wants_wait(message: MessageToStore) -> bool:
    return "WAIT\x01false\x02" not in message.properties
