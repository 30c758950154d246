"""CommitLog: the append-only record log every other structure is derived from.

Appends are synchronous (no await inside), so on the event loop each append
is atomic without a lock: logical queue offsets, physical offsets and store
timestamps are assigned in append order. Records are encoded by the Cython
core straight into the mapped segment.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from rocketmq._core import message as msgfmt
from rocketmq.store.mapped_file import MappedFile, is_disk_full
from rocketmq.store.mapped_file_queue import MappedFileQueue
from rocketmq.store.status import AppendResult, PutMessageStatus

logger = logging.getLogger("rocketmq.store")

# Room a segment keeps for the end-of-file blank record (int32 size + int32 magic).
END_FILE_MIN_BLANK_LENGTH = 8
_TRANSACTION_MASK = 0xC


@dataclass
class MessageToStore:
    """One message as the broker hands it to the store (MessageExtBrokerInner)."""

    topic: str
    queue_id: int
    body: bytes
    properties: str = ""
    flag: int = 0
    sys_flag: int = 0
    born_timestamp: int = 0
    born_host: tuple[bytes, int] = (b"\x7f\x00\x00\x01", 0)
    reconsume_times: int = 0
    prepared_transaction_offset: int = 0

    @classmethod
    def from_record(
        cls,
        record: msgfmt.MessageRecord,
        topic: str,
        queue_id: int,
        properties: dict[str, str],
        **changes,
    ) -> MessageToStore:
        """A stored message put again elsewhere (delivery, retry, transaction): its body,
        flags, birth and reconsume count, new properties, and ``changes`` on top."""
        fields = {
            "body": bytes(record.body or b""),
            "flag": record.flag,
            "sys_flag": record.sys_flag,
            "born_timestamp": record.born_timestamp,
            "born_host": record.born_host,
            "reconsume_times": record.reconsume_times,
            **changes,
        }
        return cls(topic, queue_id, properties=msgfmt.properties_to_string(properties), **fields)


class CommitLog:
    def __init__(
        self,
        directory: Path,
        file_size: int,
        store_host: tuple[bytes, int],
        message_size_max: int,
        *,
        warm: bool = False,
    ) -> None:
        self.queue = MappedFileQueue(directory, file_size, warm=warm)
        self.store_host = store_host
        self.message_size_max = message_size_max
        # (topic, queue_id) -> next logical offset (topicQueueTable upstream).
        self.queue_offsets: dict[tuple[str, int], int] = {}

    @property
    def max_offset(self) -> int:
        return self.queue.max_offset

    @property
    def min_offset(self) -> int:
        return self.queue.min_offset

    def _writable_file(self, size: int) -> MappedFile:
        """A segment with room for ``size`` bytes, closing the current one with a blank."""
        mapped = self.queue.writable_file()
        if size + END_FILE_MIN_BLANK_LENGTH > mapped.free_space:
            msgfmt.encode_blank(mapped.map, mapped.wrote, mapped.free_space)
            mapped.wrote = mapped.file_size
            mapped = self.queue.writable_file()
        return mapped

    def append(self, messages: list[MessageToStore]) -> AppendResult:
        """Append one message, or a batch of the same topic and queue, contiguously.

        Returns a status, never raises for expected failures: an oversized body
        gives MESSAGE_ILLEGAL, a full disk CREATE_MAPPED_FILE_FAILED.
        """
        encoded = []
        total = 0
        store_v6 = len(self.store_host[0]) == 16
        for message in messages:
            if len(message.body) > self.message_size_max:
                return AppendResult(PutMessageStatus.MESSAGE_ILLEGAL)
            topic = message.topic.encode("utf-8")
            properties = message.properties.encode("utf-8")
            if properties and not properties.endswith(b"\x02"):
                # Recovery relies on the trailing separator to spot a torn tail.
                properties += b"\x02"
            if len(properties) > msgfmt.MAX_PROPERTIES_SIZE:
                return AppendResult(PutMessageStatus.PROPERTIES_SIZE_EXCEEDED)
            sys_flag = message.sys_flag | (msgfmt.STOREHOST_V6 if store_v6 else 0)
            if len(message.born_host[0]) == 16:
                sys_flag |= msgfmt.BORNHOST_V6
            size = msgfmt.record_size(
                len(message.body),
                len(topic),
                len(properties),
                bool(sys_flag & msgfmt.BORNHOST_V6),
                store_v6,
                len(topic) > 127,
            )
            encoded.append((message, topic, properties, sys_flag, size))
            total += size
        if total + END_FILE_MIN_BLANK_LENGTH > self.queue.file_size:
            return AppendResult(PutMessageStatus.MESSAGE_ILLEGAL)
        try:
            mapped = self._writable_file(total)
        except OSError as exc:
            logger.error("create mapped file failed: %s", exc)
            status = PutMessageStatus.CREATE_MAPPED_FILE_FAILED
            if is_disk_full(exc):
                status = PutMessageStatus.SERVICE_NOT_AVAILABLE
            return AppendResult(status)

        store_timestamp = int(time.time() * 1000)
        physical_offset = mapped.file_from_offset + mapped.wrote
        result = AppendResult(
            PutMessageStatus.PUT_OK,
            physical_offset=physical_offset,
            size=total,
            message_count=len(messages),
            store_timestamp=store_timestamp,
        )
        first = True
        for message, topic, properties, sys_flag, _size in encoded:
            key = (message.topic, message.queue_id)
            queue_offset = self.queue_offsets.get(key, 0)
            transaction = sys_flag & _TRANSACTION_MASK
            # Prepared and rollback records never reach a ConsumeQueue.
            counted = transaction in (0, msgfmt.TRANSACTION_COMMIT_TYPE)
            if not counted:
                queue_offset = 0
            position = mapped.wrote
            written = msgfmt.encode_record(
                mapped.map,
                position,
                queue_id=message.queue_id,
                flag=message.flag,
                queue_offset=queue_offset,
                physical_offset=mapped.file_from_offset + position,
                sys_flag=sys_flag,
                born_timestamp=message.born_timestamp,
                born_host=message.born_host,
                store_timestamp=store_timestamp,
                store_host=self.store_host,
                reconsume_times=message.reconsume_times,
                prepared_transaction_offset=message.prepared_transaction_offset,
                body=message.body,
                topic=topic,
                properties=properties,
            )
            result.msg_ids.append(
                msgfmt.offset_msg_id(self.store_host, mapped.file_from_offset + position)
            )
            if first:
                result.queue_offset = queue_offset
                first = False
            mapped.wrote = position + written
            if counted:
                self.queue_offsets[key] = queue_offset + 1
        mapped.store_timestamp = store_timestamp
        return result

    def append_raw(self, offset: int, data: bytes | memoryview) -> None:
        """Copy replicated CommitLog bytes verbatim to ``offset`` (a slave's appendData).

        ``offset`` must be the current end of the log, or, for an empty log,
        any segment-aligned position (a slave starts at the master's newest
        segment). The bytes land at the same physical offsets as on the
        master; a master's segment ends with its blank record and zero tail,
        so segment boundaries fall where they fall there, and data running
        past a segment's end continues in the next one. Records may arrive
        split across calls. Raises ValueError when ``offset`` does not continue
        the log (the caller drops the stream and resumes from ``max_offset``),
        OSError when a segment cannot be created.
        """
        file_size = self.queue.file_size
        if self.queue.last_file() is None:
            if offset % file_size:
                raise ValueError(f"replica start {offset} is not a segment start")
        elif offset != self.max_offset:
            raise ValueError(
                f"replica offset {offset} does not continue the log at {self.max_offset}"
            )
        view = memoryview(data)
        written = 0
        while written < len(view):
            mapped = self.queue.writable_file(offset + written)
            position = mapped.wrote
            count = min(mapped.free_space, len(view) - written)
            mapped.map[position : position + count] = view[written : written + count]
            mapped.wrote = position + count
            written += count

    def read(self, offset: int, size: int) -> memoryview | None:
        """Bytes at ``offset`` (a view into the mapping) or None outside the log."""
        mapped = self.queue.find(offset)
        if mapped is None:
            return None
        position = offset - mapped.file_from_offset
        if position + size > mapped.wrote:
            return None
        return mapped.view(position, size)

    def flush(self, least_pages: int = 0) -> int:
        return self.queue.flush(least_pages)

    def close(self) -> None:
        self.queue.close()
