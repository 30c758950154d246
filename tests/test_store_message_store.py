"""MessageStore on a real store directory: append, read, roll over, restart, recover."""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import os
from pathlib import Path

import pytest

from rocketmq._core import message as msgfmt
from rocketmq._core import storefmt
from rocketmq.store.commit_log import MessageToStore
from rocketmq.store.config import SYNC_FLUSH, MessageStoreConfig
from rocketmq.store.message_store import MessageStore
from rocketmq.store.status import GetMessageStatus, PutMessageStatus

STORE_HOST = (bytes([127, 0, 0, 1]), 10911)
BORN_HOST = (bytes([10, 0, 0, 9]), 52000)


def small_config(root: Path, **overrides) -> MessageStoreConfig:
    base = MessageStoreConfig(
        store_path_root_dir=root,
        commit_log_file_size=16 * 1024,
        consume_queue_units_per_file=100,
        index_slot_count=1000,
        index_entry_count=4000,
        flush_interval_commit_log_ms=50,
        flush_interval_consume_queue_ms=50,
    )
    return dataclasses.replace(base, **overrides)


def make_message(topic: str, queue_id: int, n: int, tag: str = "TagA") -> MessageToStore:
    properties = msgfmt.properties_to_string(
        {"TAGS": tag, "KEYS": f"key-{n} shared", "UNIQ_KEY": f"UNIQ{n:028d}"}
    )
    return MessageToStore(
        topic=topic,
        queue_id=queue_id,
        body=f"body-{n}-".encode() * (1 + n % 5),
        properties=properties,
        born_timestamp=1_700_000_000_000 + n,
        born_host=BORN_HOST,
    )


async def dispatched() -> None:
    """Let the dispatcher (scheduled after appends) run, as a turn of the broker's loop does."""
    await asyncio.sleep(0)


async def read_all(store: MessageStore, topic: str, queue_id: int, code_set=None) -> list:
    await dispatched()
    records = []
    offset = store.get_min_offset_in_queue(topic, queue_id)
    while True:
        result = store.get_message(topic, queue_id, offset, 32, code_set)
        try:
            for view in result.views():
                records.append(msgfmt.decode_record(bytes(view), 0, check_crc=True))
        finally:
            result.release()
        if result.status not in (GetMessageStatus.FOUND, GetMessageStatus.NO_MATCHED_MESSAGE):
            return records
        offset = result.next_begin_offset


async def test_append_and_read_back_across_segments(tmp_path: Path) -> None:
    store = MessageStore(small_config(tmp_path), STORE_HOST)
    await store.start()
    sent = []
    for n in range(600):
        message = make_message("TopicTest", n % 3, n, tag="TagA" if n % 2 else "TagB")
        result = await store.put_message(message)
        assert result.status is PutMessageStatus.PUT_OK
        assert result.msg_ids == [msgfmt.offset_msg_id(STORE_HOST, result.physical_offset)]
        sent.append((message, result))
    await store.put_message(make_message("Other", 0, 9999))
    assert len(store.commit_log.queue.files) > 3  # several 16 KiB segments

    for queue_id in range(3):
        expected = [(m, r) for m, r in sent if m.queue_id == queue_id]
        records = await read_all(store, "TopicTest", queue_id)
        assert len(records) == len(expected) == store.get_max_offset_in_queue("TopicTest", queue_id)
        for logical, (record, (message, result)) in enumerate(zip(records, expected, strict=True)):
            assert record.topic == "TopicTest"
            assert record.body == message.body
            assert record.queue_id == queue_id
            assert record.queue_offset == logical == result.queue_offset
            assert record.physical_offset == result.physical_offset
            assert record.born_host == BORN_HOST
            assert record.store_host == STORE_HOST
            assert record.properties == message.properties
    await store.shutdown()


async def test_segment_ends_with_the_blank_record(tmp_path: Path) -> None:
    store = MessageStore(small_config(tmp_path), STORE_HOST)
    await store.start()
    for n in range(200):
        await store.put_message(make_message("TopicTest", 0, n))
    await dispatched()
    first = store.commit_log.queue.files[0]
    # Walk the first segment: records, then the blank that fills the rest.
    position = 0
    while True:
        status, size = msgfmt.check_record(first.map, position, first.file_size, True)
        if status != msgfmt.RECORD_OK:
            break
        position += size
    assert status == msgfmt.RECORD_BLANK
    raw = bytes(first.map[position : position + 8])
    assert int.from_bytes(raw[:4], "big") == first.file_size - position
    assert int.from_bytes(raw[4:], "big", signed=True) == msgfmt.BLANK_MAGIC
    await store.shutdown()


async def test_tag_filter_and_offset_statuses(tmp_path: Path) -> None:
    store = MessageStore(small_config(tmp_path), STORE_HOST)
    await store.start()
    for n in range(40):
        await store.put_message(make_message("T", 0, n, tag="TagA" if n % 4 == 0 else "TagB"))
    await dispatched()
    only_a = await read_all(store, "T", 0, {storefmt.tags_hash("TagA")})
    assert [r.tags for r in only_a] == ["TagA"] * 10
    assert store.get_message("T", 0, 40, 32).status is GetMessageStatus.OFFSET_OVERFLOW_ONE
    badly = store.get_message("T", 0, 41, 32)
    assert (badly.status, badly.next_begin_offset) == (GetMessageStatus.OFFSET_OVERFLOW_BADLY, 0)
    assert store.get_message("T", 9, 0, 32).status is GetMessageStatus.NO_MATCHED_LOGIC_QUEUE
    none = store.get_message("T", 0, 1, 32, {storefmt.tags_hash("TagC")})
    assert none.status is GetMessageStatus.NO_MATCHED_MESSAGE
    assert none.next_begin_offset == 40
    await store.shutdown()


async def test_queries_by_key_time_and_offset(tmp_path: Path) -> None:
    store = MessageStore(small_config(tmp_path), STORE_HOST)
    await store.start()
    results = [await store.put_message(make_message("T", 1, n)) for n in range(50)]
    await dispatched()
    found = store.query_message("T", "key-7", 10, 0, 2**62)
    assert [r.body for r in found] == [make_message("T", 1, 7).body]
    assert len(store.query_message("T", "shared", 100, 0, 2**62)) == 50
    unique = store.query_message("T", f"UNIQ{12:028d}", 10, 0, 2**62)
    assert [r.physical_offset for r in unique] == [results[12].physical_offset]
    assert store.query_message("Other", "key-7", 10, 0, 2**62) == []
    record = store.look_message_by_offset(results[3].physical_offset)
    assert record is not None and record.body == make_message("T", 1, 3).body
    first_time = store.get_earliest_message_time("T", 1)
    assert first_time == results[0].store_timestamp
    assert store.get_offset_in_queue_by_time("T", 1, 0) == 0
    assert store.get_offset_in_queue_by_time("T", 1, 2**62) == 50
    await store.shutdown()


async def test_clean_restart_keeps_everything(tmp_path: Path) -> None:
    config = small_config(tmp_path)
    store = MessageStore(config, STORE_HOST)
    await store.start()
    for n in range(300):
        await store.put_message(make_message("T", n % 2, n))
    end = store.commit_log.max_offset
    await store.shutdown()
    assert not (tmp_path / "abort").exists()

    again = MessageStore(config, STORE_HOST)
    await again.start()
    assert again.commit_log.max_offset == end
    assert again.get_max_offset_in_queue("T", 0) == 150
    result = await again.put_message(make_message("T", 0, 300))
    assert result.queue_offset == 150  # logical offsets continue
    assert len(await read_all(again, "T", 0)) == 151
    assert len(again.query_message("T", "key-5", 5, 0, 2**62)) == 1
    await again.shutdown()


async def test_second_store_on_same_directory_is_refused(tmp_path: Path) -> None:
    store = MessageStore(small_config(tmp_path), STORE_HOST)
    await store.start()
    with pytest.raises(OSError, match="lock failed"):
        await MessageStore(small_config(tmp_path), STORE_HOST).start()
    await store.shutdown()


async def test_sync_flush_puts_are_durable_when_acked(tmp_path: Path) -> None:
    store = MessageStore(small_config(tmp_path, flush_disk_type=SYNC_FLUSH), STORE_HOST)
    await store.start()
    for n in range(20):
        result = await store.put_message(make_message("T", 0, n))
        assert result.status is PutMessageStatus.PUT_OK
        assert store.commit_log.queue.flushed_offset >= result.physical_offset + result.size
    await store.shutdown()


async def test_sync_flush_group_commit_covers_concurrent_writers(tmp_path: Path) -> None:
    """Writers arriving while a sync runs or waits are covered by a later one, none stalls."""
    store = MessageStore(small_config(tmp_path, flush_disk_type=SYNC_FLUSH), STORE_HOST)
    await store.start()

    async def put(n: int) -> None:
        result = await store.put_message(make_message("T", n % 4, n))
        assert result.status is PutMessageStatus.PUT_OK
        assert store.commit_log.queue.flushed_offset >= result.physical_offset + result.size

    for wave in range(5):  # bursts, then quiet: the last writer of a burst is not left behind
        await asyncio.gather(*(put(wave * 100 + n) for n in range(100)))
    stored = [len(await read_all(store, "T", queue_id)) for queue_id in range(4)]
    assert stored == [125] * 4
    await store.shutdown()


async def test_failed_sync_answers_its_writers_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fdatasync failing (EIO) gives FLUSH_DISK_TIMEOUT now, not after the timeout."""
    config = small_config(tmp_path, flush_disk_type=SYNC_FLUSH, sync_flush_timeout_ms=30_000)
    store = MessageStore(config, STORE_HOST)
    await store.start()

    def broken(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fdatasync", broken)
    async with asyncio.timeout(5):
        results = await asyncio.gather(*(store.put_message(make_message("T", 0, n))
                                         for n in range(10)))  # fmt: skip
    assert {r.status for r in results} == {PutMessageStatus.FLUSH_DISK_TIMEOUT}
    monkeypatch.undo()
    result = await store.put_message(make_message("T", 0, 10))
    assert result.status is PutMessageStatus.PUT_OK
    assert len(await read_all(store, "T", 0)) == 11  # the unsynced ones are stored all the same
    await store.shutdown()


async def test_oversized_body_is_refused_without_damage(tmp_path: Path) -> None:
    store = MessageStore(small_config(tmp_path, message_size_max=1024), STORE_HOST)
    await store.start()
    await store.put_message(make_message("T", 0, 1))
    big = dataclasses.replace(make_message("T", 0, 2), body=b"x" * 1025)
    assert (await store.put_message(big)).status is PutMessageStatus.MESSAGE_ILLEGAL
    await store.put_message(make_message("T", 0, 3))
    assert [r.body for r in await read_all(store, "T", 0)] == [
        make_message("T", 0, 1).body,
        make_message("T", 0, 3).body,
    ]
    await store.shutdown()


async def test_sync_flush_timeout_is_a_status_and_the_message_stays(tmp_path: Path) -> None:
    config = small_config(tmp_path, flush_disk_type=SYNC_FLUSH, sync_flush_timeout_ms=0)
    store = MessageStore(config, STORE_HOST)
    await store.start()
    result = await store.put_message(make_message("T", 0, 1))
    assert result.status is PutMessageStatus.FLUSH_DISK_TIMEOUT
    assert result.status.stored
    assert [r.body for r in await read_all(store, "T", 0)] == [make_message("T", 0, 1).body]
    await store.shutdown()


async def test_warm_segments_and_upstream_config_keys(tmp_path: Path) -> None:
    from rocketmq.store.config import store_config_from_properties

    config = store_config_from_properties(
        {
            "storePathRootDir": str(tmp_path),
            "mappedFileSizeCommitLog": "16384",
            "mappedFileSizeConsumeQueue": "2000",
            "flushDiskType": "SYNC_FLUSH",
            "warmMapedFileEnable": "true",
            "fileReservedTime": "48",
            "deleteWhen": "04;16",
        }
    )
    assert (config.commit_log_file_size, config.consume_queue_units_per_file) == (16384, 100)
    assert (config.flush_disk_type, config.file_reserved_time_hours) == (SYNC_FLUSH, 48)
    store = MessageStore(config, STORE_HOST)
    await store.start()
    for n in range(100):
        assert (await store.put_message(make_message("T", 0, n))).status is PutMessageStatus.PUT_OK
    assert len(store.commit_log.queue.files) > 1
    assert len(await read_all(store, "T", 0)) == 100
    await store.shutdown()
    with pytest.raises(ValueError, match="flushDiskType"):
        store_config_from_properties({"flushDiskType": "SOMETIMES"})


async def test_a_failed_start_releases_the_lock(tmp_path: Path) -> None:
    store = MessageStore(small_config(tmp_path), STORE_HOST)
    await store.start()
    await store.put_message(make_message("T", 0, 1))
    await store.shutdown()
    segment = tmp_path / "commitlog" / f"{0:020d}"
    with open(segment, "r+b") as file:
        file.truncate(1000)  # a segment of the wrong size refuses the load
    broken = MessageStore(small_config(tmp_path), STORE_HOST)
    with pytest.raises(ValueError, match="not matched"):
        await broken.start()
    segment.unlink()
    again = MessageStore(small_config(tmp_path), STORE_HOST)
    await again.start()  # the lock was released by the failed start
    await again.shutdown()
