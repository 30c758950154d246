"""Store benchmarks: append throughput against dd, pull scan rate, recovery time.

    .venv/bin/python perf/store_append.py [--megabytes 256] [--dir /var/tmp]

For each body size (128 B, 1 KiB, 4 KiB) and flush mode, appends messages to
a fresh store until ``--megabytes`` of CommitLog are written, printing a line
per second, then writes the same number of bytes with ``dd bs=1M
conv=fdatasync`` in the same run and prints the ratio. SYNC_FLUSH runs 64
concurrent writers so group commit has something to group. Then it measures
a tag-filtered pull scan over the store and the recovery time per GiB after
a clean and after an unclean stop. Results go to perf/results/ as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rocketmq._core import IMPLEMENTATION, storefmt  # noqa: E402
from rocketmq._core import message as msgfmt  # noqa: E402
from rocketmq.remoting.loop import run  # noqa: E402
from rocketmq.store.commit_log import MessageToStore  # noqa: E402
from rocketmq.store.config import ASYNC_FLUSH, SYNC_FLUSH, MessageStoreConfig  # noqa: E402
from rocketmq.store.message_store import MessageStore  # noqa: E402
from rocketmq.store.status import GetMessageStatus  # noqa: E402

STORE_HOST = (bytes([127, 0, 0, 1]), 10911)
SEGMENT_SIZE = 128 * 1024 * 1024
SYNC_WRITERS = 64


def config(root: Path, flush: str) -> MessageStoreConfig:
    return MessageStoreConfig(
        store_path_root_dir=root,
        commit_log_file_size=SEGMENT_SIZE,
        flush_disk_type=flush,
        index_slot_count=500_000,
        index_entry_count=2_000_000,
    )


def message(body: bytes, n: int) -> MessageToStore:
    tag = "TagA" if n % 2 else "TagB"
    return MessageToStore(
        topic="BenchTopic",
        queue_id=n % 8,
        body=body,
        properties=f"TAGS\x01{tag}\x02UNIQ_KEY\x01{n:032X}\x02",
        born_timestamp=1_700_000_000_000,
    )


class Progress:
    def __init__(self, label: str) -> None:
        self.label = label
        self.start = self.last = time.perf_counter()
        self.last_count = 0

    def tick(self, count: int, size: int) -> None:
        now = time.perf_counter()
        if now - self.last >= 1.0:
            rate = (count - self.last_count) / (now - self.last)
            print(
                f"  {self.label}: {rate:>10.0f} msg/s  {rate * size / 1e6:>8.1f} MB/s", flush=True
            )
            self.last, self.last_count = now, count


async def append_run(root: Path, flush: str, body_size: int, megabytes: int) -> dict:
    store = MessageStore(config(root, flush), STORE_HOST)
    await store.start()
    body = os.urandom(body_size)
    record_size = msgfmt.record_size(body_size, len("BenchTopic"), 60)
    target = megabytes * 1024 * 1024
    count = 0
    progress = Progress(f"{flush} {body_size}B")
    begin = time.perf_counter()
    if flush == ASYNC_FLUSH:
        while store.commit_log.max_offset < target:
            await store.put_message(message(body, count))
            count += 1
            if count % 1024 == 0:
                await asyncio.sleep(0)  # let dispatch and flush run, as a broker loop would
                progress.tick(count, record_size)
    else:

        async def writer(first: int) -> int:
            n = first
            done = 0
            while store.commit_log.max_offset < target:
                await store.put_message(message(body, n))
                n += SYNC_WRITERS
                done += 1
            return done

        ticker = asyncio.ensure_future(_tick_while(store, progress, record_size))
        count = sum(await asyncio.gather(*(writer(i) for i in range(SYNC_WRITERS))))
        ticker.cancel()
    await store.flush_service.flush_logics()
    store.commit_log.flush()
    elapsed = time.perf_counter() - begin
    written = store.commit_log.max_offset
    await store.shutdown()
    return {
        "flush": flush,
        "body_size": body_size,
        "messages": count,
        "seconds": elapsed,
        "msgs_per_s": count / elapsed,
        "mb_per_s": written / elapsed / 1e6,
        "bytes": written,
    }


async def _tick_while(store: MessageStore, progress: Progress, size: int) -> None:
    start = store.commit_log.max_offset
    while True:
        await asyncio.sleep(0.25)
        progress.tick((store.commit_log.max_offset - start) // size, size)


def dd_run(directory: Path, size_bytes: int) -> float:
    """MB/s of dd writing the same bytes sequentially, synced at the end."""
    path = directory / "dd.out"
    blocks = max(1, size_bytes // (1024 * 1024))
    begin = time.perf_counter()
    subprocess.run(
        ["dd", "if=/dev/zero", f"of={path}", "bs=1M", f"count={blocks}", "conv=fdatasync"],
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - begin
    path.unlink()
    return blocks * 1024 * 1024 / elapsed / 1e6


async def scan_run(root: Path) -> dict:
    """Pull every TagA message of the store (half of them) through get_message."""
    store = MessageStore(config(root, ASYNC_FLUSH), STORE_HOST)
    await store.start()
    codes = {storefmt.tags_hash("TagA")}
    found = scanned = 0
    begin = time.perf_counter()
    for queue_id in range(8):
        offset = 0
        while True:
            result = store.get_message("BenchTopic", queue_id, offset, 32, codes)
            found += result.message_count
            result.release()
            if result.status not in (GetMessageStatus.FOUND, GetMessageStatus.NO_MATCHED_MESSAGE):
                break
            scanned += result.next_begin_offset - offset
            offset = result.next_begin_offset
    elapsed = time.perf_counter() - begin
    await store.shutdown()
    return {"units_scanned": scanned, "messages_found": found, "seconds": elapsed,
            "units_per_s": scanned / elapsed, "found_per_s": found / elapsed}  # fmt: skip


async def recovery_run(root: Path, abnormal: bool) -> dict:
    if abnormal:
        (root / "abort").write_text("benchmark")
        checkpoint = root / "checkpoint"
        checkpoint.write_bytes(storefmt.pack_checkpoint(0, 0, 0, 0, 0))  # forces a full walk
    begin = time.perf_counter()
    store = MessageStore(config(root, ASYNC_FLUSH), STORE_HOST)
    await store.start()
    elapsed = time.perf_counter() - begin
    size = store.commit_log.max_offset
    await store.shutdown()
    return {"abnormal": abnormal, "bytes": size, "seconds": elapsed,
            "seconds_per_gib": elapsed / (size / 2**30)}  # fmt: skip


async def main_async(args: argparse.Namespace) -> dict:
    base = Path(tempfile.mkdtemp(prefix="rmq-bench-", dir=args.dir))
    results: dict = {"append": [], "dd_mb_per_s": []}
    try:
        for flush in (ASYNC_FLUSH, SYNC_FLUSH):
            for body_size in (128, 1024, 4096):
                root = base / f"{flush}-{body_size}"
                row = await append_run(root, flush, body_size, args.megabytes)
                dd = dd_run(base, row["bytes"])
                row["dd_mb_per_s"] = dd
                row["ratio_to_dd"] = row["mb_per_s"] / dd
                results["append"].append(row)
                print(
                    f"{flush:11} {body_size:>5} B  {row['msgs_per_s']:>10.0f} msg/s"
                    f"  {row['mb_per_s']:>7.1f} MB/s   dd {dd:>7.1f} MB/s"
                    f"   ratio {row['ratio_to_dd']:.2f}",
                    flush=True,
                )
                if not (flush == ASYNC_FLUSH and body_size == 1024):
                    shutil.rmtree(root)
        kept = base / f"{ASYNC_FLUSH}-1024"
        results["scan"] = await scan_run(kept)
        print(f"pull scan with tag filter: {results['scan']['units_per_s']:.0f} units/s,"
              f" {results['scan']['found_per_s']:.0f} messages/s found")  # fmt: skip
        results["recovery"] = [await recovery_run(kept, False), await recovery_run(kept, True)]
        for row in results["recovery"]:
            kind = "abnormal" if row["abnormal"] else "normal"
            print(f"recovery ({kind}): {row['seconds']:.2f} s for {row['bytes'] / 2**20:.0f} MiB"
                  f" = {row['seconds_per_gib']:.2f} s/GiB")  # fmt: skip
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=256)
    parser.add_argument("--dir", default=None, help="where to put the stores (default: TMPDIR)")
    args = parser.parse_args()
    results = run(main_async(args))
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    results.update(
        benchmark="store_append",
        commit=commit,
        implementation=IMPLEMENTATION,
        machine={"cpus": os.cpu_count(), "platform": platform.platform()},
        megabytes=args.megabytes,
    )
    out_dir = ROOT / "perf" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"store_append-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
