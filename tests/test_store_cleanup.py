"""Expiry of old segments and the disk guard, on real store directories."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import time
from pathlib import Path

from rocketmq.store.config import MessageStoreConfig
from rocketmq.store.message_store import MessageStore
from rocketmq.store.status import GetMessageStatus
from tests.test_store_message_store import STORE_HOST, make_message, read_all, small_config

ROOT = Path(__file__).resolve().parent.parent


async def test_expired_segments_are_deleted_with_their_queue_units(tmp_path: Path) -> None:
    hour = time.localtime().tm_hour
    config: MessageStoreConfig = small_config(
        tmp_path, delete_when=f"{hour};{(hour + 1) % 24}", file_reserved_time_hours=1
    )
    store = MessageStore(config, STORE_HOST)
    await store.start()
    for n in range(400):
        await store.put_message(make_message("T", 0, n))
    await asyncio.sleep(0)
    segments = store.commit_log.queue.files
    assert len(segments) >= 4
    old = time.time() - 2 * 3600
    for mapped in segments[:2]:
        os.utime(mapped.path, (old, old))
    survivors_from = segments[2].file_from_offset

    assert store.cleanup.run_once() == 2
    assert store.commit_log.min_offset == survivors_from
    assert store.cleanup.run_once() == 0  # the rest is younger than fileReservedTime
    min_offset = store.get_min_offset_in_queue("T", 0)
    assert min_offset > 0
    too_small = store.get_message("T", 0, 0, 32)
    assert too_small.status is GetMessageStatus.OFFSET_TOO_SMALL
    assert too_small.next_begin_offset == min_offset
    records = await read_all(store, "T", 0)
    assert [r.queue_offset for r in records] == list(range(min_offset, 400))
    assert all(r.physical_offset >= survivors_from for r in records)
    await store.shutdown()

    again = MessageStore(config, STORE_HOST)
    await again.start()
    assert again.get_min_offset_in_queue("T", 0) == min_offset
    assert again.get_max_offset_in_queue("T", 0) == 400
    await again.shutdown()


async def test_outside_delete_hours_nothing_goes(tmp_path: Path) -> None:
    hour = time.localtime().tm_hour
    config = small_config(
        tmp_path,
        delete_when=str((hour + 12) % 24),
        file_reserved_time_hours=1,
        disk_max_used_space_ratio_percent=100,  # only the hour may trigger deletion here
        disk_space_clean_forcibly_ratio_percent=100,
    )
    store = MessageStore(config, STORE_HOST)
    await store.start()
    for n in range(300):
        await store.put_message(make_message("T", 0, n))
    old = time.time() - 5 * 3600
    for mapped in store.commit_log.queue.files[:-1]:
        os.utime(mapped.path, (old, old))
    assert store.cleanup.run_once() == 0
    assert store.commit_log.min_offset == 0
    store.cleanup.manual_delete_requests = 1  # TRIGGER_DELETE_FILES overrides the hour
    assert store.cleanup.run_once() > 0
    await store.shutdown()


async def test_a_full_filesystem_refuses_writes_and_keeps_every_stored_message(
    tmp_path: Path,
) -> None:
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    unshare = shutil.which("unshare")
    assert unshare, "util-linux unshare is needed to mount a private tmpfs"
    script = (
        f"mount -t tmpfs -o size=1m tmpfs {mount_point} && "
        f"exec {sys.executable} -m rocketmq._testbase.disk_fill {mount_point}/store"
    )
    attempts = [[unshare, "-m", "sh", "-c", script], [unshare, "-r", "-m", "sh", "-c", script]]
    errors = []
    for command in attempts:
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        if process.returncode == 0:
            break
        errors.append(err.decode(errors="replace")[-2000:])
    else:
        raise AssertionError("could not run the store on a 1 MiB tmpfs:\n" + "\n".join(errors))
    report = json.loads(out.decode().strip().splitlines()[-1])
    assert report["stored"] > 100  # most of the 1 MiB was used
    assert report["refused"] == "SERVICE_NOT_AVAILABLE"
    assert report["refused_again"] == "SERVICE_NOT_AVAILABLE"
    assert report["read_back"] == report["stored"]
    assert report["bodies_ok"]
