"""Store interop with the official Java DefaultMessageStore (rocketmq-store 5.3.3).

Both directions over one store directory:

* ours writes, Java's ``ReadStore`` loads/recovers it and reads every record
  back (getMessage, ConsumeQueue units, lookMessageByOffset, queryMessage),
  appends, shuts down cleanly, and ours reopens and reads Java's appends;
* Java's ``WriteStore`` writes and shuts down cleanly, ours recovers and
  reads every record, appends, and Java reads the mix;
* Java's ``WriteStore --no-shutdown`` halts with the abort file present and
  undispatched records, and ours runs abnormal recovery over it;
* the image of our store at a crash (abort file, undispatched tail) is
  recovered by Java's abnormal recovery;
* each implementation's lock keeps the other out of a store in use.

Both sides describe records in one JSON shape (see StoreSupport.java in
tests/interop/java/store): the writer records what it stored from its inputs
and put results, the reader compares what it decodes. The Java programs are
built with Maven on first use; a missing JDK or Maven fails these tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
import shutil
import zlib
from pathlib import Path

import pytest

from rocketmq._core import message as msgfmt
from rocketmq._core import storefmt
from rocketmq.store.checkpoint import StoreCheckpoint
from rocketmq.store.commit_log import MessageToStore
from rocketmq.store.config import MessageStoreConfig
from rocketmq.store.message_store import MessageStore
from rocketmq.store.status import AppendResult, GetMessageStatus, PutMessageStatus
from tests.interop import harness

pytestmark = pytest.mark.interop

STORE_HOST = (bytes([127, 0, 0, 1]), 10911)
BORN_HOST = (bytes([10, 0, 0, 9]), 52000)
BORN_HOST_V6 = (bytes.fromhex("20010db8000000000000000000000009"), 52000)
BORN_BASE_MS = 1_700_000_000_000
COMMIT_LOG_SIZE = 64 * 1024  # several files: bodies go up to 35 KB
CQ_UNITS = 16  # several ConsumeQueue files per queue
INDEX_SLOTS = 100
# Our writes roll the index over (about 3 keys a message); Java's writes stay
# in one file because WriteStore could create two index files in the same
# millisecond, and IndexFile names have millisecond resolution.
INDEX_ENTRIES_OURS = 400
INDEX_ENTRIES_JAVA = 4000
JAVA_TIMEOUT_S = 120.0
QUERY_MAX = 64  # MessageStoreConfig#maxMsgsNumBatch
TIME_MAX_MS = 2**63 - 1
TRANSACTION_MASK = msgfmt.TRANSACTION_TYPE_MASK
OUR_TOPICS = (("PyTopicA", 3), ("PyTopicB", 2), ("PyTopicC", 1))
TAGS = ("TagA", "TagB", "\u6807\u7b7e\U0001f680", "tag.with-dots")
# Over 127 bytes: stored with MESSAGE_VERSION_V2 (2-byte topic length).
LONG_TOPIC = "%RETRY%" + "".join(chr(ord("a") + i % 26) for i in range(143))
LONG_TOPIC_MESSAGE = 23


@pytest.fixture(scope="module")
def java_store() -> str:
    return harness.ensure_built("store")


def store_config(root: Path, index_entries: int) -> MessageStoreConfig:
    return MessageStoreConfig(
        store_path_root_dir=root,
        commit_log_file_size=COMMIT_LOG_SIZE,
        consume_queue_units_per_file=CQ_UNITS,
        index_slot_count=INDEX_SLOTS,
        index_entry_count=index_entries,
        flush_interval_commit_log_ms=50,
        flush_interval_consume_queue_ms=50,
    )


def store_args(root: Path, index_entries: int) -> list[str]:
    return [
        "--store",
        str(root),
        "--commitlog-size",
        str(COMMIT_LOG_SIZE),
        "--cq-units",
        str(CQ_UNITS),
        "--index-slots",
        str(INDEX_SLOTS),
        "--index-entries",
        str(index_entries),
    ]


def store_command(main: str, *args: str) -> list[str]:
    return harness.java_command(f"store.{main}", *args, module="store")


async def run_store_program(main: str, *args: str, returncode: int = 0) -> list[str]:
    """Run ``io.cyrocketmq.interop.store.<main>``; its stdout lines, or fail with all output."""
    command = store_command(main, *args)
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=JAVA_TIMEOUT_S)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    stdout = out.decode("utf-8", errors="replace")
    stderr = err.decode("utf-8", errors="replace")
    assert process.returncode == returncode, (
        f"{main} exited {process.returncode}\nstdout:\n{stdout}\nstderr:\n{stderr[-6000:]}"
    )
    lines = stdout.splitlines()
    assert not [line for line in lines if line.startswith("FAIL")], stdout
    return lines


# -- one JSON shape for records on both sides ------------------------------------------------


def host_text(host: tuple[bytes, int]) -> str:
    return f"{host[0].hex()}:{host[1]}"


def in_consume_queue(sys_flag: int) -> bool:
    return sys_flag & TRANSACTION_MASK in (0, msgfmt.TRANSACTION_COMMIT_TYPE)


def describe(record: msgfmt.MessageRecord) -> dict:
    """What we decode from a record, in the expectation format."""
    body = record.body or b""
    return {
        "topic": record.topic,
        "queueId": record.queue_id,
        "queueOffset": record.queue_offset,
        "commitLogOffset": record.physical_offset,
        "storeSize": record.total_size,
        "sysFlag": record.sys_flag,
        "flag": record.flag,
        "bornTimestamp": record.born_timestamp,
        "storeTimestamp": record.store_timestamp,
        "reconsumeTimes": record.reconsume_times,
        "preparedTransactionOffset": record.prepared_transaction_offset,
        "bornHost": host_text(record.born_host),
        "storeHost": host_text(record.store_host),
        "body": body.hex(),
        "bodyCrc": record.body_crc,
        "propertiesString": record.properties,
        "properties": record.properties_dict(),
        "msgId": record.msg_id,
    }


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def differences(expected: dict, actual: dict) -> list[str]:
    return [
        f"{field}: expected {_short(value)}, got {_short(actual.get(field))}"
        for field, value in expected.items()
        if actual.get(field) != value
    ]


def expected_records(
    messages: list[MessageToStore], properties: list[dict[str, str]], result: AppendResult
) -> list[dict]:
    """What one put_messages call stored, from its inputs and its AppendResult only."""
    assert result.status is PutMessageStatus.PUT_OK, result.status
    offsets = [msgfmt.decode_offset_msg_id(msg_id)[2] for msg_id in result.msg_ids]
    ends = [*offsets[1:], result.physical_offset + result.size]
    described = []
    queue_offset = result.queue_offset
    for message, props, offset, end, msg_id in zip(
        messages, properties, offsets, ends, result.msg_ids, strict=True
    ):
        sys_flag = message.sys_flag | (msgfmt.BORNHOST_V6 if len(message.born_host[0]) == 16 else 0)
        counted = in_consume_queue(sys_flag)
        described.append(
            {
                "topic": message.topic,
                "queueId": message.queue_id,
                "queueOffset": queue_offset if counted else 0,
                "commitLogOffset": offset,
                "storeSize": end - offset,
                "sysFlag": sys_flag,
                "flag": message.flag,
                "bornTimestamp": message.born_timestamp,
                "storeTimestamp": result.store_timestamp,
                "reconsumeTimes": message.reconsume_times,
                "preparedTransactionOffset": message.prepared_transaction_offset,
                "bornHost": host_text(message.born_host),
                "storeHost": host_text(STORE_HOST),
                "body": message.body.hex(),
                "bodyCrc": msgfmt.body_crc(message.body),
                "propertiesString": message.properties,
                "properties": props,
                "msgId": msg_id,
            }
        )
        queue_offset += counted
    return described


def write_expectation(path: Path, messages: list[dict]) -> None:
    path.write_text(json.dumps({"messages": messages}, ensure_ascii=False), encoding="utf-8")


def read_expectation(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["messages"]


# -- our writer -----------------------------------------------------------------------------------


def our_properties(n: int) -> dict[str, str]:
    if n % 13 == 5:
        return {}  # no properties at all: PROPERTIESLENGTH 0
    properties = {
        "TAGS": TAGS[n % len(TAGS)],
        "KEYS": f"pk-{n} pgroup-{n % 9}",
        "UNIQ_KEY": f"{0x5059000 + n:032X}",
        "seq": str(n),
    }
    if n % 3 == 0:
        properties["note"] = f"\u00fcn\u00efc\u00f6d\u00e9 \u2713 {n}"
    return properties


def our_body(n: int, rng: random.Random) -> bytes:
    if n == 3:
        return b""
    if n % 25 == 7:
        return rng.randbytes(20_000 + rng.randrange(15_000))
    if n % 4 == 0:
        return f"\u6d88\u606f #{n} \U0001f680 h\u00e9llo ".encode() * (1 + n % 9)
    return rng.randbytes(rng.randrange(1500))


def our_message(n: int, rng: random.Random, prepared_offset: int) -> MessageToStore:
    topic, queues = OUR_TOPICS[n % len(OUR_TOPICS)]
    if n == LONG_TOPIC_MESSAGE:
        topic = LONG_TOPIC
    sys_flag = 0
    properties = our_properties(n)
    body = our_body(n, rng)
    prepared_transaction_offset = 0
    if n == 17:
        body = zlib.compress("compressed \u00e9\u00e8 ".encode() * 400, 5)
        sys_flag = msgfmt.COMPRESSED
    if n in (19, 21):
        properties = {**properties, "TRAN_MSG": "true", "PGROUP": "PyTxGroup"}
        if n == 19:
            sys_flag = msgfmt.TRANSACTION_PREPARED_TYPE
        else:
            sys_flag = msgfmt.TRANSACTION_COMMIT_TYPE
            prepared_transaction_offset = prepared_offset
    return MessageToStore(
        topic=topic,
        queue_id=(n // len(OUR_TOPICS)) % queues,
        body=body,
        properties=msgfmt.properties_to_string(properties),
        flag=n % 7,
        sys_flag=sys_flag,
        born_timestamp=BORN_BASE_MS + n,
        born_host=BORN_HOST_V6 if n == 10 else BORN_HOST,
        reconsume_times=3 if n % 11 == 0 else 0,
        prepared_transaction_offset=prepared_transaction_offset,
    )


async def write_ours(store: MessageStore, count: int, seed: int = 7) -> list[dict]:
    """Put ``count`` varied messages plus a 5-message batch; the expectation entries."""
    rng = random.Random(seed)
    expected: list[dict] = []
    prepared_offset = 0
    for n in range(count):
        message = our_message(n, rng, prepared_offset)
        result = await store.put_message(message)
        expected += expected_records([message], [our_properties_of(message)], result)
        if message.sys_flag & TRANSACTION_MASK == msgfmt.TRANSACTION_PREPARED_TYPE:
            prepared_offset = result.physical_offset
        if n == count // 2:
            expected += await put_our_batch(store, "PyTopicB", 1, base=20_000)
    return expected


def our_properties_of(message: MessageToStore) -> dict[str, str]:
    # Parsed back from the stored text; Java parses the same text and must agree.
    return msgfmt.string_to_properties(message.properties)


async def put_our_batch(store: MessageStore, topic: str, queue_id: int, base: int) -> list[dict]:
    batch = [
        MessageToStore(
            topic=topic,
            queue_id=queue_id,
            body=f"batch {i} \u00e9 ".encode() * (1 + 7 * i),
            properties=msgfmt.properties_to_string(our_properties(base + i)),
            flag=i,
            born_timestamp=BORN_BASE_MS + base,
            born_host=BORN_HOST,
        )
        for i in range(5)
    ]
    result = await store.put_messages(batch)
    return expected_records(batch, [our_properties_of(m) for m in batch], result)


async def append_ours(store: MessageStore, topic_queues: list[tuple[str, int]]) -> list[dict]:
    """A few more messages from ours into existing (or new) queues."""
    expected = []
    for i, (topic, queue_id) in enumerate(topic_queues):
        properties = {
            "TAGS": "PyAppended",
            "KEYS": f"py-appended-{i} py-appended",
            "UNIQ_KEY": f"{0x50590000 + i:032X}",
        }
        message = MessageToStore(
            topic=topic,
            queue_id=queue_id,
            body=f"appended by Python \u00e0 {i}".encode(),
            properties=msgfmt.properties_to_string(properties),
            flag=i,
            born_timestamp=BORN_BASE_MS + 50_000 + i,
            born_host=BORN_HOST,
        )
        before = store.get_max_offset_in_queue(topic, queue_id)
        result = await store.put_message(message)
        assert result.queue_offset == before
        expected += expected_records([message], [properties], result)
    return expected


# -- our reader -------------------------------------------------------------------------------


async def verify(store: MessageStore, expected: list[dict]) -> None:
    """Every expected record through every read path of our store."""
    await asyncio.sleep(0)  # let the dispatcher scheduled by puts run
    failures: list[str] = []
    queues: dict[tuple[str, int], dict[int, dict]] = {}
    for entry in expected:
        if in_consume_queue(entry["sysFlag"]):
            queue = queues.setdefault((entry["topic"], entry["queueId"]), {})
            queue[entry["queueOffset"]] = entry

    for (topic, queue_id), by_offset in queues.items():
        name = f"{topic}/{queue_id}"
        low, high = min(by_offset), max(by_offset) + 1
        assert len(by_offset) == high - low, f"{name}: gaps in the expectation"
        got = (
            store.get_min_offset_in_queue(topic, queue_id),
            store.get_max_offset_in_queue(topic, queue_id),
        )
        if got != (low, high):
            failures.append(f"{name}: offsets {got}, expected {(low, high)}")
        offset, seen = low, 0
        consume_queue = store.find_consume_queue(topic, queue_id)
        while offset < high:
            result = store.get_message(topic, queue_id, offset, 32)
            try:
                if result.status is not GetMessageStatus.FOUND:
                    failures.append(f"{name}: get_message at {offset} gave {result.status}")
                    break
                for queue_offset, view in zip(
                    result.message_queue_offsets, result.views(), strict=True
                ):
                    want = by_offset.get(queue_offset)
                    if want is None:
                        failures.append(f"{name}@{queue_offset}: unexpected message")
                        continue
                    record = msgfmt.decode_record(bytes(view), 0, check_crc=True)
                    failures += [
                        f"{name}@{queue_offset}: {d}" for d in differences(want, describe(record))
                    ]
                    unit = consume_queue.unit(queue_offset)
                    tags = want["properties"].get("TAGS")
                    wanted_unit = (
                        want["commitLogOffset"],
                        want["storeSize"],
                        storefmt.tags_hash(tags),
                    )
                    if unit != wanted_unit:
                        failures.append(
                            f"{name}@{queue_offset}: unit {unit}, expected {wanted_unit}"
                        )
                    seen += 1
            finally:
                result.release()
            offset = result.next_begin_offset
        if seen != len(by_offset):
            failures.append(f"{name}: read {seen} messages, expected {len(by_offset)}")

    keys: dict[tuple[str, str], set[int]] = {}
    for entry in expected:
        record = store.look_message_by_offset(entry["commitLogOffset"])
        if record is None:
            failures.append(f"look_message_by_offset({entry['commitLogOffset']}): None")
            continue
        failures += [
            f"look {entry['commitLogOffset']}: {d}" for d in differences(entry, describe(record))
        ]
        if entry["sysFlag"] & TRANSACTION_MASK == msgfmt.TRANSACTION_ROLLBACK_TYPE:
            continue
        properties = entry["properties"]
        for key in [*properties.get("KEYS", "").split(" "), properties.get("UNIQ_KEY", "")]:
            if key:
                keys.setdefault((entry["topic"], key), set()).add(entry["commitLogOffset"])
    for (topic, key), offsets in keys.items():
        assert len(offsets) <= QUERY_MAX
        found = {
            r.physical_offset for r in store.query_message(topic, key, QUERY_MAX, 0, TIME_MAX_MS)
        }
        if found != offsets:
            failures.append(
                f"query_message({topic}, {key}): {sorted(found)}, expected {sorted(offsets)}"
            )
    assert not failures, "\n".join(failures[:40])


def segment_count(directory: Path) -> int:
    return sum(1 for path in directory.iterdir() if path.name.isdigit())


def units_on_disk(root: Path, topic: str, queue_id: int) -> int:
    """Valid ConsumeQueue units in the files as they are, before any recovery."""
    directory = root / "consumequeue" / topic / str(queue_id)
    units = 0
    for path in sorted(p for p in directory.iterdir() if p.name.isdigit()):
        data = path.read_bytes()
        valid = storefmt.cq_valid_units(data, 0, len(data))
        units += valid
        if valid * storefmt.CQ_UNIT_SIZE < len(data):
            break
    return units


# -- the tests ----------------------------------------------------------------------------------


@pytest.mark.timeout_s(180)
async def test_java_reads_what_we_wrote(java_store: str, tmp_path: Path) -> None:
    root = tmp_path / "store"
    config = store_config(root, INDEX_ENTRIES_OURS)
    store = MessageStore(config, STORE_HOST)
    await store.start()
    expected = await write_ours(store, 180)
    await store.shutdown()
    assert segment_count(root / "commitlog") >= 4
    assert segment_count(root / "index") >= 2
    assert segment_count(root / "consumequeue" / "PyTopicA" / "0") >= 2
    expect_path, appended_path = tmp_path / "expect.json", tmp_path / "appended.json"
    write_expectation(expect_path, expected)

    lines = await run_store_program(
        "ReadStore",
        *store_args(root, INDEX_ENTRIES_OURS),
        "--expect",
        str(expect_path),
        "--appended",
        str(appended_path),
    )
    in_queues = sum(in_consume_queue(entry["sysFlag"]) for entry in expected)
    assert f"OK getMessage {in_queues} messages in 7 queues" in lines, lines
    assert f"OK lookMessageByOffset {len(expected)} records" in lines, lines
    assert "OK putMessage 2 messages appended and read back" in lines, lines
    assert "OK shutdown" in lines, lines
    assert not (root / "abort").exists()

    # Ours reopens what Java closed: Java's appends are there, and ours goes on after them.
    appended = read_expectation(appended_path)
    assert [(e["topic"], e["queueId"]) for e in appended] == [
        (expected[0]["topic"], expected[0]["queueId"]),
        ("JavaAppendedTopic", 1),
    ]
    store = MessageStore(config, STORE_HOST)
    await store.start()
    await verify(store, expected + appended)
    more = await append_ours(store, [("JavaAppendedTopic", 1), ("PyTopicA", 0)])
    await verify(store, expected + appended + more)
    await store.shutdown()


@pytest.mark.timeout_s(180)
async def test_we_read_what_java_wrote(java_store: str, tmp_path: Path) -> None:
    root = tmp_path / "store"
    expect_path = tmp_path / "expect.json"
    lines = await run_store_program(
        "WriteStore",
        *store_args(root, INDEX_ENTRIES_JAVA),
        "--count",
        "200",
        "--out",
        str(expect_path),
    )
    assert "OK shutdown" in lines, lines
    assert not (root / "abort").exists()
    expected = read_expectation(expect_path)
    assert len(expected) == 205
    assert segment_count(root / "commitlog") >= 4

    config = store_config(root, INDEX_ENTRIES_JAVA)
    store = MessageStore(config, STORE_HOST)
    await store.start()
    await verify(store, expected)
    ours = await append_ours(store, [("JavaTopicA", 0), ("JavaTopicB", 1), ("PyNewTopic", 2)])
    ours += await put_our_batch(store, "JavaTopicC", 0, base=30_000)
    await verify(store, expected + ours)
    await store.shutdown()

    # Java recovers the mix (its records, then ours) and reads all of it.
    mixed_path, appended_path = tmp_path / "mixed.json", tmp_path / "appended.json"
    write_expectation(mixed_path, expected + ours)
    await run_store_program(
        "ReadStore",
        *store_args(root, INDEX_ENTRIES_JAVA),
        "--expect",
        str(mixed_path),
        "--appended",
        str(appended_path),
    )
    store = MessageStore(config, STORE_HOST)
    await store.start()
    await verify(store, expected + ours + read_expectation(appended_path))
    await store.shutdown()


@pytest.mark.timeout_s(180)
async def test_we_recover_java_store_after_crash(
    java_store: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "store"
    expect_path = tmp_path / "expect.json"
    lines = await run_store_program(
        "WriteStore",
        *store_args(root, INDEX_ENTRIES_JAVA),
        "--count",
        "120",
        "--pause-ms",
        "3500",
        "--out",
        str(expect_path),
        "--no-shutdown",
    )
    assert "OK halt without shutdown" in lines, lines
    assert (root / "abort").exists()
    expected = read_expectation(expect_path)
    # The checkpoint moved past the first half (3.5 s pause > 3 s safety margin),
    # so abnormal recovery starts in a later CommitLog file and re-dispatches from there.
    first_half_time = expected[0]["storeTimestamp"]
    assert StoreCheckpoint(root / "checkpoint").min_timestamp() > first_half_time
    # The last three records never reached the ConsumeQueues (Java's dispatch was parked).
    for entry in expected[-3:]:
        assert in_consume_queue(entry["sysFlag"])
        assert units_on_disk(root, entry["topic"], entry["queueId"]) <= entry["queueOffset"]

    config = store_config(root, INDEX_ENTRIES_JAVA)
    store = MessageStore(config, STORE_HOST)
    with caplog.at_level(logging.INFO, logger="rocketmq.store"):
        await store.start()
    walked = [
        int(match.group(1))
        for match in (
            re.search(r"recover commitlog \(abnormal\): walked from (\d+)", r.getMessage())
            for r in caplog.records
        )
        if match
    ]
    assert walked and walked[0] > 0, caplog.text
    await verify(store, expected)
    ours = await append_ours(store, [("JavaTopicA", 1), ("JavaTopicB", 0)])
    await verify(store, expected + ours)
    await store.shutdown()

    # A normal restart after our recovery keeps everything.
    store = MessageStore(config, STORE_HOST)
    await store.start()
    await verify(store, expected + ours)
    await store.shutdown()


@pytest.mark.timeout_s(180)
async def test_java_recovers_our_store_after_crash(java_store: str, tmp_path: Path) -> None:
    live, image = tmp_path / "live", tmp_path / "image"
    store = MessageStore(store_config(live, INDEX_ENTRIES_OURS), STORE_HOST)
    await store.start()
    expected = await write_ours(store, 120)
    await asyncio.sleep(0.2)  # dispatch and a few flush rounds
    # Appended without yielding to the loop, so never dispatched: the image has
    # these records in the CommitLog only.
    tail = await append_ours(store, [("PyTopicA", 0), ("PyTopicB", 1)])
    # A copy of the live directory is what a kill -9 leaves behind: the page
    # cache contents, the abort file, the checkpoint as last flushed.
    shutil.copytree(live, image)
    await store.shutdown()
    assert (image / "abort").exists()
    for entry in tail:
        assert units_on_disk(image, entry["topic"], entry["queueId"]) <= entry["queueOffset"]

    expect_path, appended_path = tmp_path / "expect.json", tmp_path / "appended.json"
    write_expectation(expect_path, expected + tail)
    lines = await run_store_program(
        "ReadStore",
        *store_args(image, INDEX_ENTRIES_OURS),
        "--expect",
        str(expect_path),
        "--appended",
        str(appended_path),
    )
    assert "OK shutdown" in lines, lines
    assert not (image / "abort").exists()

    store = MessageStore(store_config(image, INDEX_ENTRIES_OURS), STORE_HOST)
    await store.start()
    await verify(store, expected + tail + read_expectation(appended_path))
    await store.shutdown()


@pytest.mark.timeout_s(120)
async def test_store_locks_exclude_each_other(java_store: str, tmp_path: Path) -> None:
    root = tmp_path / "store"
    config = store_config(root, INDEX_ENTRIES_OURS)
    args = store_args(root, INDEX_ENTRIES_OURS)

    # Java holds the directory: ours refuses to start (before touching any file).
    holder = await asyncio.create_subprocess_exec(
        *store_command("HoldStore", *args),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        first = await asyncio.wait_for(holder.stdout.readline(), timeout=JAVA_TIMEOUT_S)
        assert first.decode().strip() == "OK holding", first
        intruder = MessageStore(config, STORE_HOST)
        try:
            with pytest.raises(OSError, match="lock failed"):
                await intruder.start()
        finally:
            await intruder.shutdown()  # a no-op unless it wrongly started
    finally:
        holder.stdin.close()
        out, err = await asyncio.wait_for(holder.communicate(), timeout=JAVA_TIMEOUT_S)
    assert holder.returncode == 0, (out + err).decode(errors="replace")[-4000:]
    assert "OK shutdown" in out.decode().splitlines()

    # Ours holds it: Java's start() cannot take the lock.
    store = MessageStore(config, STORE_HOST)
    await store.start()
    try:
        lines = await run_store_program("HoldStore", *args, returncode=2)
        assert [line for line in lines if line.startswith("LOCKED ")], lines
    finally:
        await store.shutdown()
