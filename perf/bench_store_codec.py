"""Store codec benchmarks (record, ConsumeQueue, hashes, index): Cython against pure Python.

    .venv/bin/python -m pytest perf/bench_store_codec.py --benchmark-only

Every workload runs on both twins (imported directly, whatever
ROCKETMQ_PUREPYTHON says); the run ends with an items-per-second table and
the cython/pure ratio of each workload. pytest-benchmark's JSON output
(--benchmark-json) records the machine and the commit; never run by the suite.
"""

from __future__ import annotations

import pytest

from perf.twins import TWINS, RateTable, load

RECORDS_PER_SCAN = 10_000
UNITS_PER_SCAN = 100_000
UNLIMITED = 1 << 40

PROPERTIES = (
    b"TAGS\x01TagA\x02KEYS\x01order-1 order-2\x02UNIQ_KEY\x017F00000100002A9F0000000000000001"
    b"\x02WAIT\x01true\x02CLUSTER\x01DefaultCluster\x02"
)

RATES = RateTable("items per second")


@pytest.fixture(params=TWINS)
def twin(request):
    return request.param, load(request.param, "message"), load(request.param, "storefmt")


@pytest.fixture(scope="module", autouse=True)
def report(request):
    """Print the rates and the cython/pure ratios once the module is done."""
    yield
    RATES.print(request)


def record_rate(benchmark, workload: str, twin: str, count: int) -> None:
    RATES.record(benchmark, workload, twin, count)


def fields(body_size: int, queue_offset: int = 0) -> dict:
    return {
        "queue_id": 1,
        "flag": 0,
        "queue_offset": queue_offset,
        "physical_offset": 1 << 30,
        "sys_flag": 0,
        "born_timestamp": 1_700_000_000_000,
        "born_host": (b"\x7f\x00\x00\x01", 54321),
        "store_timestamp": 1_700_000_000_005,
        "store_host": (b"\xc0\xa8\x01\x0a", 10911),
        "reconsume_times": 0,
        "prepared_transaction_offset": 0,
        "body": bytes(range(256)) * (body_size // 256) + bytes(body_size % 256),
        "topic": b"TopicTest",
        "properties": PROPERTIES,
    }


@pytest.mark.parametrize("body_size", [128, 1024, 4096])
def test_encode_record_into_bytearray(benchmark, twin, body_size: int) -> None:
    name, message, _ = twin
    kwargs = fields(body_size)
    buffer = bytearray(64 * 1024)
    size = benchmark(message.encode_record, buffer, 100, **kwargs)
    assert message.check_record(buffer, 100, len(buffer)) == (message.RECORD_OK, size)
    record_rate(benchmark, f"encode_record {body_size} B", name, 1)


def segment(message, count: int, body_size: int) -> bytearray:
    one = message.encode_record_bytes(**fields(body_size))
    buffer = bytearray(len(one) * count + 8)
    position = 0
    for offset in range(count):
        position += message.encode_record(buffer, position, **fields(body_size, offset))
    message.encode_blank(buffer, position, len(buffer) - position)
    return buffer


@pytest.mark.parametrize("check_crc", [False, True], ids=["reput", "recover-crc"])
def test_scan_records(benchmark, twin, check_crc: bool) -> None:
    name, message, _ = twin
    buffer = segment(message, RECORDS_PER_SCAN, 256)
    records, status, _, _ = benchmark(
        message.scan_records, buffer, 0, len(buffer), check_crc, RECORDS_PER_SCAN + 1
    )
    assert len(records) == RECORDS_PER_SCAN and status == message.RECORD_BLANK
    label = "scan_records 256 B (crc)" if check_crc else "scan_records 256 B"
    record_rate(benchmark, label, name, RECORDS_PER_SCAN)


def test_check_record(benchmark, twin) -> None:
    name, message, _ = twin
    data = message.encode_record_bytes(**fields(1024))
    assert benchmark(message.check_record, data, 0, len(data), True)[0] == message.RECORD_OK
    record_rate(benchmark, "check_record 1 KiB (crc)", name, 1)


def test_scan_cq_with_tag_filter(benchmark, twin) -> None:
    name, _, storefmt = twin
    tags = [storefmt.tags_hash(tag) for tag in ("TagA", "TagB", "TagC", "TagD")]
    units = storefmt.pack_cq_units(
        (index * 300, 300, tags[index % 4]) for index in range(UNITS_PER_SCAN)
    )
    codes = {tags[0], tags[2]}
    selected, scanned, _ = benchmark(
        storefmt.scan_cq, units, 0, UNITS_PER_SCAN, codes, UNLIMITED, UNLIMITED
    )
    assert scanned == UNITS_PER_SCAN and len(selected) == UNITS_PER_SCAN // 2
    record_rate(benchmark, "scan_cq 100k units, tag filter", name, UNITS_PER_SCAN)


def test_scan_cq_pull_batch(benchmark, twin) -> None:
    name, _, storefmt = twin
    tag = storefmt.tags_hash("TagA")
    units = storefmt.pack_cq_units((index * 300, 300, tag) for index in range(800))
    selected, _, _ = benchmark(storefmt.scan_cq, units, 0, 800, {tag}, 32, 256 * 1024)
    assert len(selected) == 32
    record_rate(benchmark, "scan_cq one 32-message pull", name, 1)


@pytest.mark.parametrize("text", ["TagA", "TopicTest#7F00000100002A9F0000000000000001"])
def test_java_string_hash(benchmark, twin, text: str) -> None:
    name, _, storefmt = twin
    benchmark(storefmt.java_string_hash, text)
    record_rate(benchmark, f"java_string_hash {len(text)} chars", name, 1)


def test_index_put(benchmark, twin) -> None:
    name, _, storefmt = twin
    slots, entries = 5000, 1 << 20
    buffer = bytearray(storefmt.index_file_size(slots, entries))
    keys = [f"TopicTest#order-{i}" for i in range(1000)]
    state = {"i": 0}

    def put() -> bool:
        state["i"] += 1
        key = keys[state["i"] % 1000]
        return storefmt.index_put(buffer, slots, entries, key, state["i"], 1_700_000_000_000)

    benchmark.pedantic(put, rounds=20_000, warmup_rounds=100)
    record_rate(benchmark, "index_put", name, 1)
