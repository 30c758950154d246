"""A store writer process for crash tests: appends until killed.

    python -m rocketmq._testbase.store_writer STORE_DIR FLUSH_DISK_TYPE

Prints ``ACK <n> <physical offset>`` after each append the store acknowledged
(with SYNC_FLUSH: after it is durable). The parent kills it with SIGKILL.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rocketmq._core import message as msgfmt
from rocketmq.remoting.loop import run
from rocketmq.store.commit_log import MessageToStore
from rocketmq.store.config import MessageStoreConfig
from rocketmq.store.message_store import MessageStore

STORE_HOST = (bytes([127, 0, 0, 1]), 10911)


def crash_message(n: int) -> MessageToStore:
    """Message number ``n`` as the writer sends it (tests rebuild it to compare)."""
    return MessageToStore(
        topic="CrashTopic",
        queue_id=n % 4,
        body=(f"message-{n}-".encode() * (1 + n % 37)),
        properties=msgfmt.properties_to_string({"KEYS": f"k{n}", "TAGS": "T"}),
        born_timestamp=1_700_000_000_000 + n,
    )


def crash_config(root: Path, flush_disk_type: str) -> MessageStoreConfig:
    return MessageStoreConfig(
        store_path_root_dir=root,
        commit_log_file_size=256 * 1024,
        consume_queue_units_per_file=500,
        index_slot_count=1000,
        index_entry_count=8000,
        flush_disk_type=flush_disk_type,
        flush_interval_commit_log_ms=20,
        flush_interval_consume_queue_ms=20,
    )


async def _write_forever(root: Path, flush_disk_type: str) -> None:
    store = MessageStore(crash_config(root, flush_disk_type), STORE_HOST)
    await store.start()
    print("READY", flush=True)
    n = 0
    while True:
        result = await store.put_message(crash_message(n))
        if result.status.stored:
            print(f"ACK {n} {result.physical_offset}", flush=True)
        n += 1


def main() -> None:
    run(_write_forever(Path(sys.argv[1]), sys.argv[2]))


if __name__ == "__main__":
    main()
