"""ReputService: follows the CommitLog and derives ConsumeQueue units and index entries.

Runs synchronously in batches (one ``scan_records`` call per stretch of a
segment). The store schedules it right after appends, so everything written
in one event-loop turn is dispatched together.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING

from rocketmq._core import message as msgfmt
from rocketmq.common.topic import SCHEDULE_TOPIC
from rocketmq.store.config import parse_delay_levels

if TYPE_CHECKING:
    from rocketmq.store.message_store import MessageStore

logger = logging.getLogger("rocketmq.store")

_TRANSACTION_MASK = 0xC
_ROLLBACK = msgfmt.TRANSACTION_ROLLBACK_TYPE
_DISPATCHED_TO_QUEUE = (msgfmt.TRANSACTION_NOT_TYPE, msgfmt.TRANSACTION_COMMIT_TYPE)

_RECORD_SIZE = struct.Struct(">i")

# Called with (topic, queue_id, next logical offset, tags code, store timestamp).
ArrivalListener = Callable[[str, int, int, int, int], None]


class ReputService:
    def __init__(self, store: MessageStore) -> None:
        self.store = store
        self.reput_from_offset = 0
        self.last_store_timestamp = 0  # store time of the last record dispatched
        self.listeners: list[ArrivalListener] = []
        self.delay_levels_ms = parse_delay_levels(store.config.message_delay_level)

    @property
    def behind(self) -> int:
        return self.store.commit_log.max_offset - self.reput_from_offset

    def run(self) -> int:
        """Dispatch every record between ``reput_from_offset`` and the CommitLog end.

        Returns the number of records dispatched. A corrupt record stops the
        walk (recovery truncates those; at runtime it means a bug).
        """
        commit_log = self.store.commit_log
        dispatched = 0
        while self.reput_from_offset < commit_log.max_offset:
            mapped = commit_log.queue.find(self.reput_from_offset)
            if mapped is None:
                # Expired under us: continue at the oldest retained segment.
                if self.reput_from_offset < commit_log.min_offset:
                    self.reput_from_offset = commit_log.min_offset
                    continue
                break
            position = self.reput_from_offset - mapped.file_from_offset
            records, status, stop, _size = msgfmt.scan_records(
                mapped.map, position, mapped.wrote, False
            )
            for record in records:
                self._dispatch(record)
            dispatched += len(records)
            self.reput_from_offset = mapped.file_from_offset + stop
            if status == msgfmt.RECORD_OK:
                continue  # max_records reached; keep going
            if status == msgfmt.RECORD_BLANK or (status == msgfmt.RECORD_END and mapped.is_full):
                self.reput_from_offset = mapped.file_from_offset + mapped.file_size
                continue
            if status == msgfmt.RECORD_CORRUPT and not _cut_by_written_end(mapped, stop):
                logger.error(
                    "dispatch stopped at corrupt record, commitlog offset %d",
                    self.reput_from_offset,
                )
            break
        return dispatched

    def _dispatch(self, record: msgfmt.DispatchRecord) -> None:
        store = self.store
        transaction = record.sys_flag & _TRANSACTION_MASK
        if transaction in _DISPATCHED_TO_QUEUE:
            tags_code = record.tags_code
            if record.topic == SCHEDULE_TOPIC:
                # A delayed message's unit holds its delivery time (queue id = level - 1).
                levels = self.delay_levels_ms
                tags_code = record.store_timestamp + levels[min(record.queue_id, len(levels) - 1)]
            queue = store.find_consume_queue(record.topic, record.queue_id)
            if queue.put(record.physical_offset, record.total_size, tags_code, record.queue_offset):
                for listener in self.listeners:
                    listener(
                        record.topic,
                        record.queue_id,
                        record.queue_offset + 1,
                        tags_code,
                        record.store_timestamp,
                    )
        index = store.index
        if (
            index is not None
            and transaction != _ROLLBACK
            and record.physical_offset >= index.indexed_below
        ):
            self._index(index, record)
        self.last_store_timestamp = record.store_timestamp

    @staticmethod
    def _index(index, record: msgfmt.DispatchRecord) -> None:
        topic = record.topic
        offset = record.physical_offset
        stored = record.store_timestamp
        if record.uniq_key:
            index.put(f"{topic}#{record.uniq_key}", offset, stored)
        if record.keys:
            for key in record.keys.split(" "):
                if key:
                    index.put(f"{topic}#{key}", offset, stored)


def _cut_by_written_end(mapped, position: int) -> bool:
    """A record that continues past the written end: a slave has received only its start.

    Replication frames cut records anywhere; the rest arrives with the next
    frame. (A master's written end always falls between records.)
    """
    remaining = mapped.wrote - position
    if remaining < _RECORD_SIZE.size:
        return True
    return _RECORD_SIZE.unpack_from(mapped.map, position)[0] > remaining
