"""Fill a small filesystem through the store; report what survived as JSON.

    python -m rocketmq._testbase.disk_fill STORE_DIR

Run by the tests inside a private mount namespace on a size-limited tmpfs.
Appends until the store refuses, checks it keeps refusing instead of
corrupting anything, restarts the store and reads every message back.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from rocketmq._core import message as msgfmt
from rocketmq.remoting.loop import run
from rocketmq.store.commit_log import MessageToStore
from rocketmq.store.config import MessageStoreConfig
from rocketmq.store.message_store import MessageStore
from rocketmq.store.status import GetMessageStatus

STORE_HOST = (bytes([127, 0, 0, 1]), 10911)
APPENDS_MAX = 100_000


def _config(root: Path) -> MessageStoreConfig:
    return MessageStoreConfig(
        store_path_root_dir=root,
        commit_log_file_size=64 * 1024,
        consume_queue_units_per_file=1000,
        index_slot_count=100,
        index_entry_count=400,
        message_index_enable=False,
        clean_resource_interval_ms=3_600_000,  # run by hand below
        delete_when="99",  # never time to delete: keep every message for the check
        disk_max_used_space_ratio_percent=100,
        disk_space_clean_forcibly_ratio_percent=100,
    )


def _message(n: int) -> MessageToStore:
    return MessageToStore(
        topic="FullDisk",
        queue_id=0,
        body=bytes([n % 251]) * 900,
        properties=msgfmt.properties_to_string({"KEYS": f"k{n}"}),
    )


async def _fill(root: Path) -> dict:
    store = MessageStore(_config(root), STORE_HOST)
    await store.start()
    stored = 0
    refused = None
    for n in range(APPENDS_MAX):
        result = await store.put_message(_message(n))
        if not result.status.stored:
            refused = result.status.value
            break
        stored += 1
        if n % 10 == 0:
            store.cleanup.run_once()  # the disk guard may refuse before ENOSPC
    again = (await store.put_message(_message(stored))).status.value
    await asyncio.sleep(0)
    await store.shutdown()

    reopened = MessageStore(_config(root), STORE_HOST)
    await reopened.start()
    bodies_ok = True
    read_back = 0
    offset = 0
    while True:
        result = reopened.get_message("FullDisk", 0, offset, 32)
        try:
            for view in result.views():
                record = msgfmt.decode_record(bytes(view), 0, check_crc=True)
                bodies_ok &= record.body == _message(record.queue_offset).body
                read_back += 1
        finally:
            result.release()
        if result.status is not GetMessageStatus.FOUND:
            break
        offset = result.next_begin_offset
    await reopened.shutdown()
    return {
        "stored": stored,
        "refused": refused,
        "refused_again": again,
        "read_back": read_back,
        "bodies_ok": bodies_ok,
    }


def main() -> None:
    print(json.dumps(run(_fill(Path(sys.argv[1])))), flush=True)


if __name__ == "__main__":
    main()
