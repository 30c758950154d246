"""Recovery: torn tails at every byte of the last record, and kill -9 of a writer."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
from pathlib import Path

import pytest

from rocketmq._core import message as msgfmt
from rocketmq._testbase.store_writer import STORE_HOST, crash_config, crash_message
from rocketmq.store.config import ASYNC_FLUSH, SYNC_FLUSH
from rocketmq.store.message_store import MessageStore
from rocketmq.store.status import GetMessageStatus, PutMessageStatus

ROOT = Path(__file__).resolve().parent.parent


async def read_queue(store: MessageStore, topic: str, queue_id: int) -> list:
    records = []
    offset = 0
    while True:
        result = store.get_message(topic, queue_id, offset, 32)
        try:
            for view in result.views():
                records.append(msgfmt.decode_record(bytes(view), 0, check_crc=True))
        finally:
            result.release()
        if result.status is not GetMessageStatus.FOUND:
            return records
        offset = result.next_begin_offset


async def build_store(root: Path, count: int) -> tuple[int, int]:
    """A cleanly shut-down store of ``count`` messages; returns (last record start, end)."""
    store = MessageStore(crash_config(root, ASYNC_FLUSH), STORE_HOST)
    await store.start()
    last = None
    for n in range(count):
        last = await store.put_message(crash_message(n))
    end = store.commit_log.max_offset
    await store.shutdown()
    return last.physical_offset, end


async def test_torn_tail_at_every_byte_of_the_last_record(tmp_path: Path) -> None:
    pristine = tmp_path / "pristine"
    count = 9
    last_start, end = await build_store(pristine, count)
    segment = pristine / "commitlog" / f"{0:020d}"
    for cut in range(last_start, end):
        damaged = tmp_path / f"cut-{cut}"
        shutil.copytree(pristine, damaged)
        with open(damaged / "commitlog" / segment.name, "r+b") as file:
            file.seek(cut)
            file.write(bytes(end - cut))  # the bytes after the cut never reached the disk
        (damaged / "abort").write_text("crashed")
        store = MessageStore(crash_config(damaged, ASYNC_FLUSH), STORE_HOST)
        await store.start()
        assert store.commit_log.max_offset == last_start, f"cut at {cut}"
        survivors = []
        for queue_id in range(4):
            survivors += await read_queue(store, "CrashTopic", queue_id)
        assert sorted(r.body for r in survivors) == sorted(
            crash_message(n).body for n in range(count - 1)
        ), f"cut at {cut}"
        # The log goes on where the valid data ends, and the queue offset is reused.
        lost = crash_message(count - 1)
        result = await store.put_message(lost)
        assert result.status is PutMessageStatus.PUT_OK
        assert result.physical_offset == last_start
        await asyncio.sleep(0)
        again = await read_queue(store, "CrashTopic", lost.queue_id)
        assert again[-1].body == lost.body
        await store.shutdown()
        shutil.rmtree(damaged)


async def test_flipped_body_byte_is_caught_by_the_crc(tmp_path: Path) -> None:
    last_start, _end = await build_store(tmp_path, 5)
    segment = tmp_path / "commitlog" / f"{0:020d}"
    with open(segment, "r+b") as file:
        file.seek(last_start + 100)  # inside the body of the last record
        byte = file.read(1)
        file.seek(last_start + 100)
        file.write(bytes([byte[0] ^ 0xFF]))
    (tmp_path / "abort").write_text("crashed")
    store = MessageStore(crash_config(tmp_path, ASYNC_FLUSH), STORE_HOST)
    await store.start()
    assert store.commit_log.max_offset == last_start
    await store.shutdown()


@pytest.mark.timeout_s(120)
@pytest.mark.parametrize("flush_disk_type", [SYNC_FLUSH, ASYNC_FLUSH])
async def test_kill_9_mid_append_loses_nothing_acknowledged_as_durable(
    tmp_path: Path, flush_disk_type: str
) -> None:
    writer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rocketmq._testbase.store_writer",
        str(tmp_path),
        flush_disk_type,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    acked = -1
    try:
        assert (await writer.stdout.readline()).strip() == b"READY"
        while acked < 3000:
            line = await writer.stdout.readline()
            assert line.startswith(b"ACK"), line
            acked = int(line.split()[1])
    finally:
        writer.send_signal(signal.SIGKILL)
        await writer.wait()
    assert (tmp_path / "abort").exists()

    store = MessageStore(crash_config(tmp_path, flush_disk_type), STORE_HOST)
    await store.start()
    by_queue = [await read_queue(store, "CrashTopic", q) for q in range(4)]
    # Page cache survives a process kill, so even ASYNC_FLUSH keeps every ack here;
    # SYNC_FLUSH acks promise it. Appends are sequential, so what survives is a
    # gap-free prefix of what was sent, each record whole (CRC checked on read).
    total = sum(len(records) for records in by_queue)
    assert total >= acked + 1
    for queue_id, records in enumerate(by_queue):
        expected = [n for n in range(total) if n % 4 == queue_id]
        assert [r.body for r in records] == [crash_message(n).body for n in expected]
        assert [r.queue_offset for r in records] == list(range(len(expected)))
    await store.shutdown()
