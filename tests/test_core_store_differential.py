"""The Cython store codecs (message, storefmt) against their pure-Python twins.

Both twins are imported directly, whatever ROCKETMQ_PUREPYTHON says, and fed
the same random and edge inputs: results, bytes and error types must agree.
A missing build fails every test here: a differential suite that skips is a
suite that never runs.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import random
import struct
from pathlib import Path

import pytest

import rocketmq._core as core
from rocketmq._core._pure import message as pure_message
from rocketmq._core._pure import storefmt as pure_storefmt

CORE_DIR = Path(core.__file__).parent
MODULES = ("message", "storefmt")


def _import_compiled(name: str):
    # Importing the submodule binds rocketmq._core.<name>; under
    # ROCKETMQ_PUREPYTHON=1 the switch may have chosen the twin there, so
    # restore whatever was bound before.
    missing = object()
    chosen = getattr(core, name, missing)
    try:
        module = importlib.import_module(f"rocketmq._core.{name}")
    except ImportError as exc:
        return None, f"rocketmq._core.{name} is not built (run `make compile`): {exc}"
    finally:
        if chosen is missing:
            if name in vars(core):
                delattr(core, name)
        else:
            setattr(core, name, chosen)
    if not module.__file__.endswith((".so", ".pyd")):
        return None, f"rocketmq._core.{name} is not an extension module: {module.__file__}"
    return module, None


_COMPILED = {name: _import_compiled(name) for name in MODULES}


def _compiled(name: str):
    module, problem = _COMPILED[name]
    if module is None:
        pytest.fail(problem)
    return module


@pytest.fixture(scope="module")
def cy_message():
    return _compiled("message")


@pytest.fixture(scope="module")
def cy_storefmt():
    return _compiled("storefmt")


PURE = {"message": pure_message, "storefmt": pure_storefmt}


# -- comparing outcomes -------------------------------------------------------------

RECORD_ATTRIBUTES = (
    "total_size magic body_crc queue_id flag queue_offset physical_offset sys_flag "
    "born_timestamp born_host store_timestamp store_host reconsume_times "
    "prepared_transaction_offset body topic properties born_host_str store_host_str tags "
    "keys uniq_key msg_id"
).split()
DISPATCH_ATTRIBUTES = (
    "position total_size queue_id queue_offset physical_offset sys_flag store_timestamp "
    "prepared_transaction_offset tags_code topic keys uniq_key properties"
).split()


def _plain(value):
    name = type(value).__name__
    if name == "MessageRecord":
        return (name, tuple(getattr(value, attr) for attr in RECORD_ATTRIBUTES))
    if name == "DispatchRecord":
        return (name, tuple(getattr(value, attr) for attr in DISPATCH_ATTRIBUTES))
    if name == "IndexHeader":
        return (name, value.pack())
    if isinstance(value, list | tuple):
        return tuple(_plain(item) for item in value)
    return value


def outcome(function, *args, **kwargs):
    try:
        return ("ok", _plain(function(*args, **kwargs)))
    except Exception as exc:  # the type is what both twins must agree on
        return ("error", type(exc).__name__)


def same(pure_module, cy_module, name, *args, **kwargs):
    """Call ``name`` in both twins (with copies of bytearray arguments); return the outcome."""

    def copies():
        return [bytearray(a) if isinstance(a, bytearray) else a for a in args]

    pure_args, cy_args = copies(), copies()
    expected = outcome(getattr(pure_module, name), *pure_args, **kwargs)
    got = outcome(getattr(cy_module, name), *cy_args, **kwargs)
    assert got == expected, (name, args, kwargs)
    for pure_arg, cy_arg in zip(pure_args, cy_args, strict=True):
        if isinstance(pure_arg, bytearray):
            assert pure_arg == cy_arg, (name, "buffer contents differ")
    return expected


# -- API parity ----------------------------------------------------------------------


def _stub_names(module_name: str) -> tuple[set[str], set[str], dict[str, set[str]]]:
    tree = ast.parse((CORE_DIR / f"{module_name}.pyi").read_text())
    constants, functions, classes = set(), set(), {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign):
            constants.add(node.target.id)
        elif isinstance(node, ast.FunctionDef):
            functions.add(node.name)
        elif isinstance(node, ast.ClassDef):
            classes[node.name] = {
                item.name for item in node.body if isinstance(item, ast.FunctionDef)
            }
    return constants, functions, classes


@pytest.mark.parametrize("module_name", MODULES)
def test_same_public_api_and_constants(module_name: str) -> None:
    cy = _compiled(module_name)
    pure = PURE[module_name]
    constants, functions, classes = _stub_names(module_name)
    for name in constants:
        assert getattr(cy, name) == getattr(pure, name), name
        assert type(getattr(cy, name)) is type(getattr(pure, name)), name
    for name in functions:
        cy_signature = inspect.signature(getattr(cy, name))
        pure_signature = inspect.signature(getattr(pure, name))
        cy_params = [(p.name, p.kind, p.default) for p in cy_signature.parameters.values()]
        pure_params = [(p.name, p.kind, p.default) for p in pure_signature.parameters.values()]
        assert cy_params == pure_params, name
    for name, members in classes.items():
        for member in members - {"__init__", "__eq__"}:
            assert hasattr(getattr(cy, name), member), (name, member)
            assert hasattr(getattr(pure, name), member), (name, member)
    public = {n for n in dir(cy) if not n.startswith("_")}
    assert public <= constants | functions | set(classes) | {"ProtocolError"}, public


# -- records ---------------------------------------------------------------------------

ALPHABET = ["a", "Z", " ", "\x01", "\x02", "\u00e9", "\u4e2d", "\U0001f600", "#", "T"]


def random_text(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(size))


def random_properties(rng: random.Random) -> bytes:
    pairs = []
    for _ in range(rng.randrange(0, 5)):
        name = rng.choice(["TAGS", "KEYS", "UNIQ_KEY", "x", "", "TAGS"])
        value = random_text(rng, rng.randrange(0, 6)).replace("\x02", "")
        pairs.append(f"{name}\x01{value}\x02")
    text = "".join(pairs)
    if rng.random() < 0.2:
        text += random_text(rng, 5)
    raw = text.encode("utf-8")
    if rng.random() < 0.1:
        raw += b"TAGS\x01\xff\xfe\xe4\xb8\x02"  # invalid UTF-8 in the tag
    return raw


def random_fields(rng: random.Random) -> dict:
    born_v6 = rng.random() < 0.3
    store_v6 = rng.random() < 0.3
    topic_size = rng.choice([0, 1, 9, 127, 128, 200, rng.randrange(300)])
    return {
        "queue_id": rng.randrange(-(1 << 31), 1 << 31),
        "flag": rng.randrange(-(1 << 31), 1 << 31),
        "queue_offset": rng.randrange(-(1 << 63), 1 << 63),
        "physical_offset": rng.randrange(-(1 << 63), 1 << 63),
        "sys_flag": (rng.randrange(1 << 16) & ~0x30)
        | (0x10 if born_v6 else 0)
        | (0x20 if store_v6 else 0),
        "born_timestamp": rng.randrange(-(1 << 63), 1 << 63),
        "born_host": (rng.randbytes(16 if born_v6 else 4), rng.randrange(65536)),
        "store_timestamp": rng.randrange(-(1 << 63), 1 << 63),
        "store_host": (rng.randbytes(16 if store_v6 else 4), rng.randrange(65536)),
        "reconsume_times": rng.randrange(-(1 << 31), 1 << 31),
        "prepared_transaction_offset": rng.randrange(-(1 << 63), 1 << 63),
        "body": rng.randbytes(rng.choice([0, 1, 7, 8, 9, 100, rng.randrange(3000)])),
        "topic": rng.choice([b"T", b"%RETRY%g", b"t\xc3\xa9"]) * (topic_size // 3 + 1),
        "properties": random_properties(rng),
    }


def test_random_records_encode_decode_the_same(cy_message) -> None:
    rng = random.Random(20240501)
    for _ in range(300):
        kwargs = random_fields(rng)
        if rng.random() < 0.2:
            kwargs["body_crc"] = rng.randrange(-(1 << 31), 1 << 31)
        status, data = same(pure_message, cy_message, "encode_record_bytes", **kwargs)
        assert status == "ok"
        position = rng.randrange(5)
        buffer = bytearray(len(data) + position + rng.randrange(3))
        assert same(pure_message, cy_message, "encode_record", buffer, position, **kwargs) == (
            "ok",
            len(data),
        )
        for check_crc in (False, True):
            same(pure_message, cy_message, "decode_record", data, 0, True, check_crc)
            same(pure_message, cy_message, "check_record", data, 0, len(data), check_crc)
        same(pure_message, cy_message, "decode_record", data, 0, False)
        same(pure_message, cy_message, "scan_records", data, 0, len(data), True)


def test_corrupted_records_are_judged_the_same(cy_message) -> None:
    rng = random.Random(77)
    for _ in range(200):
        data = bytearray(pure_message.encode_record_bytes(**random_fields(rng)))
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            struct.pack_into(">i", data, 0, rng.randrange(-10, len(data) + 10))
        limit = rng.choice([len(data), rng.randrange(len(data) + 1)])
        for check_crc in (False, True):
            same(pure_message, cy_message, "check_record", data, 0, limit, check_crc)
            same(pure_message, cy_message, "decode_record", data, 0, True, check_crc)
        same(pure_message, cy_message, "scan_records", data, 0, limit, True)
    for _ in range(500):
        garbage = rng.randbytes(rng.randrange(0, 120))
        if len(garbage) >= 8 and rng.random() < 0.6:
            magic = rng.choice([pure_message.MAGIC_V1, pure_message.MAGIC_V2, -875286124, 0])
            garbage = struct.pack(">ii", rng.randrange(-3, 130), magic) + garbage[8:]
        same(pure_message, cy_message, "check_record", garbage, 0, len(garbage), True)
        same(pure_message, cy_message, "decode_record", garbage, 0)


def test_segments_scan_the_same(cy_message) -> None:
    rng = random.Random(3)
    for _ in range(40):
        buffer = bytearray(rng.randrange(1000, 8000))
        position = 0
        while True:
            data = pure_message.encode_record_bytes(**random_fields(rng))
            if position + len(data) + 8 > len(buffer):
                break
            buffer[position : position + len(data)] = data
            position += len(data)
        if rng.random() < 0.5:
            pure_message.encode_blank(buffer, position, len(buffer) - position)
        if rng.random() < 0.3:
            buffer[rng.randrange(position)] ^= 0xFF
        for max_records in (1, 3, 4096):
            same(
                pure_message, cy_message, "scan_records", buffer, 0, len(buffer), True, max_records
            )
        same(pure_message, cy_message, "scan_records", buffer, 0, rng.randrange(len(buffer)), False)


def test_properties_the_same(cy_message) -> None:
    rng = random.Random(9)
    for _ in range(2000):
        text = random_text(rng, rng.randrange(0, 20))
        same(pure_message, cy_message, "string_to_properties", text)
        pairs = {random_text(rng, 2): random_text(rng, 2) for _ in range(rng.randrange(4))}
        same(pure_message, cy_message, "properties_to_string", pairs)
    for bad in (b"x", 5, {"a": 1}, {1: "a"}, ["a"]):
        same(pure_message, cy_message, "string_to_properties", bad)
        same(pure_message, cy_message, "properties_to_string", bad)


def test_ids_batches_and_crc_the_same(cy_message) -> None:
    rng = random.Random(4)
    for _ in range(300):
        host = (rng.randbytes(rng.choice([4, 16])), rng.randrange(65536))
        _, msg_id = same(
            pure_message, cy_message, "offset_msg_id", host, rng.randrange(-(1 << 63), 1 << 63)
        )
        same(pure_message, cy_message, "decode_offset_msg_id", msg_id)
        same(pure_message, cy_message, "decode_offset_msg_id", msg_id[: rng.randrange(60)])
        items = [
            (
                rng.randrange(-(1 << 31), 1 << 31),
                rng.randbytes(rng.randrange(50)),
                random_text(rng, 5),
            )
            for _ in range(rng.randrange(4))
        ]
        _, body = same(pure_message, cy_message, "encode_batch_body", items)
        same(pure_message, cy_message, "decode_batch_body", body)
        same(pure_message, cy_message, "decode_batch_body", body[: rng.randrange(len(body) + 1)])
        data = rng.randbytes(rng.randrange(200))
        start = rng.randrange(len(data) + 2)
        same(pure_message, cy_message, "crc32", data, start)
        same(pure_message, cy_message, "crc32", data, 0, rng.randrange(len(data) + 2))
        same(pure_message, cy_message, "body_crc", data)
        same(pure_message, cy_message, "record_size", *(rng.randrange(-2, 500) for _ in range(3)))


def test_error_types_the_same(cy_message) -> None:
    rng = random.Random(1)
    good = random_fields(rng)
    good.update(sys_flag=0, born_host=(b"\x01\x02\x03\x04", 1), store_host=(b"\x01\x02\x03\x04", 2))
    bad_fields = [
        {"queue_id": 1 << 31},
        {"queue_offset": -(1 << 63) - 1},
        {"flag": 1.0},
        {"flag": "1"},
        {"body_crc": 1 << 31},
        {"body_crc": 2.5},
        {"born_host": (b"\x01\x02\x03", 1)},
        {"born_host": (b"\x01\x02\x03\x04", -1)},
        {"born_host": (b"\x01\x02\x03\x04", 1 << 70)},
        {"born_host": ("1.2.3.4", 1)},
        {"born_host": (b"\x01\x02\x03\x04",)},
        {"born_host": None},
        {"store_host": (bytes(16), 1)},
        {"sys_flag": 0x10},
        {"body": "text"},
        {"topic": "text"},
        {"topic": b"t" * 32768},
        {"properties": b"p" * 32768},
        {"properties": None},
    ]
    for change in bad_fields:
        kwargs = {**good, **change}
        expected = same(pure_message, cy_message, "encode_record_bytes", **kwargs)
        assert expected[0] == "error", change
        same(pure_message, cy_message, "encode_record", bytearray(500), 0, **kwargs)
    for buffer, position in ((bytes(500), 0), (bytearray(50), 0), (bytearray(500), -1)):
        same(pure_message, cy_message, "encode_record", buffer, position, **good)
    same(pure_message, cy_message, "encode_blank", bytearray(8), 0, 7)
    same(pure_message, cy_message, "encode_blank", bytearray(8), 0, 9)
    same(pure_message, cy_message, "encode_blank", bytes(8), 0, 8)
    same(pure_message, cy_message, "encode_blank", bytearray(8), 0, 8.0)
    same(pure_message, cy_message, "check_record", bytes(10), 0, 11)
    same(pure_message, cy_message, "check_record", bytes(10), 3, 2)
    same(pure_message, cy_message, "check_record", "text", 0, 0)
    same(pure_message, cy_message, "scan_records", bytes(10), 0, 10, False, 0)
    same(pure_message, cy_message, "decode_record", bytes(10), 11)
    same(pure_message, cy_message, "crc32", b"abc", 0, 4)
    same(pure_message, cy_message, "crc32", b"abc", 0.5)
    same(pure_message, cy_message, "offset_msg_id", (b"\x01\x02\x03\x04", 1), 1.5)
    same(pure_message, cy_message, "encode_batch_body", [(1.5, b"", "")])
    same(pure_message, cy_message, "encode_batch_body", [(1, "body", "")])


# -- storefmt ----------------------------------------------------------------------------


def test_hashes_the_same(cy_storefmt) -> None:
    rng = random.Random(12)
    pool = ["a", "\u00ff", "\u0100", "\ud800", "\udfff", "\U0001f600", "\U0010ffff", "\x00"]
    for _ in range(3000):
        text = "".join(rng.choice(pool) for _ in range(rng.randrange(0, 12)))
        for name in ("java_string_hash", "tags_hash", "index_key_hash"):
            same(pure_storefmt, cy_storefmt, name, text)
    for bad in (None, b"x", 1):
        for name in ("java_string_hash", "tags_hash", "index_key_hash"):
            same(pure_storefmt, cy_storefmt, name, bad)


def test_dispatch_tags_code_matches_the_str_hash(cy_message, cy_storefmt) -> None:
    rng = random.Random(13)
    for _ in range(300):
        raw = b"TAGS\x01" + rng.randbytes(rng.randrange(1, 8)).replace(b"\x02", b"").replace(
            b"\x01", b""
        )
        if len(raw) == 5:
            continue
        kwargs = random_fields(rng)
        kwargs["properties"] = raw + b"\x02"
        data = pure_message.encode_record_bytes(**kwargs)
        cy_records = cy_message.scan_records(data, 0, len(data), False)[0]
        pure_records = pure_message.scan_records(data, 0, len(data), False)[0]
        tags = raw[5:].decode("utf-8", "replace")
        assert cy_records[0].tags_code == pure_records[0].tags_code
        assert cy_records[0].tags_code == cy_storefmt.tags_hash(tags)


def random_units(rng: random.Random, count: int) -> bytes:
    tags = [0, 1, -1, 5, (1 << 32) + 5, -(1 << 31) - 1, 1 << 40, rng.randrange(-(1 << 63), 1 << 63)]
    units = []
    for _ in range(count):
        offset = (
            rng.choice([rng.randrange(1 << 40), 0, -1])
            if rng.random() < 0.1
            else rng.randrange(1 << 40)
        )
        size = (
            rng.choice([rng.randrange(1, 5000), 0, 0x7FFFFFFF, -3])
            if rng.random() < 0.1
            else rng.randrange(1, 5000)
        )
        tag = rng.choice(tags)
        if rng.random() < 0.05:
            offset, size, tag = 0, 0x7FFFFFFF, 0
        units.append((offset, size, tag))
    return pure_storefmt.pack_cq_units(units)


def test_cq_the_same(cy_storefmt) -> None:
    rng = random.Random(21)
    for _ in range(400):
        count = rng.randrange(0, 60)
        data = random_units(rng, count)
        code_set = rng.choice(
            [None, set(), {5}, {1, -1, 5}, [0, 5, 1 << 40], set(range(-20, 20)), {-(1 << 31) - 1}]
        )
        max_messages = rng.choice([1, 2, 8, 32, 1000])
        max_bytes = rng.choice([1, 100, 5000, 1 << 20])
        start = rng.randrange(count + 1)
        window = rng.randrange(count - start + 1)
        same(
            pure_storefmt,
            cy_storefmt,
            "scan_cq",
            data,
            start * 20,
            window,
            code_set,
            max_messages,
            max_bytes,
        )
        same(pure_storefmt, cy_storefmt, "cq_valid_units", data, start * 20, len(data))
        same(pure_storefmt, cy_storefmt, "unpack_cq_unit", data, rng.randrange(len(data) + 5))
    for args in (
        (bytes(40), 0, 3),
        (bytes(40), -1, 1),
        (bytes(40), 0, 1, None, 0),
        (bytes(40), 0, 1, None, 1, 0),
        (bytes(40), 0, 1, {"x"}),
        (bytes(40), 0, 1, None, 1, 1.5),
    ):
        same(pure_storefmt, cy_storefmt, "scan_cq", *args)
    same(pure_storefmt, cy_storefmt, "pack_cq_unit", bytearray(20), 0, 1, 1 << 31, 0)
    same(pure_storefmt, cy_storefmt, "pack_cq_unit", bytearray(20), 1, 1, 1, 0)
    same(pure_storefmt, cy_storefmt, "pack_cq_units", [(1, 2, 3.0)])


def test_index_the_same(cy_storefmt) -> None:
    rng = random.Random(33)
    for _ in range(30):
        slots, entries = rng.choice([(1, 5), (7, 30), (100, 400)])
        pure_buffer = bytearray(pure_storefmt.index_file_size(slots, entries))
        if rng.random() < 0.5:
            begin = rng.randrange(-5, 1 << 41)
            offset = rng.randrange(1 << 40)
            pure_storefmt.IndexHeader(begin, begin, offset, offset).pack_into(pure_buffer)
        cy_buffer = bytearray(pure_buffer)
        keys = [f"T#{i}" for i in range(rng.randrange(1, 40))] + ["polygenelubricants"]
        now = rng.randrange(1 << 40, 1 << 41)
        for _ in range(entries + 5):
            key = rng.choice(keys)
            if rng.random() < 0.2:
                key = pure_storefmt.index_key_hash(key)
            now += rng.choice([0, 1, 999, 1000, 1001, 60_000, -5000, 1 << 42])
            args = (slots, entries, key, rng.randrange(1 << 40), now)
            assert pure_storefmt.index_put(pure_buffer, *args) == cy_storefmt.index_put(
                cy_buffer, *args
            )
            assert pure_buffer == cy_buffer
        for _ in range(20):
            key_hash = pure_storefmt.index_key_hash(rng.choice(keys))
            begin = rng.choice([0, now - 100_000, 1 << 40])
            end = rng.choice([1 << 62, now, begin + 5000])
            same(
                pure_storefmt,
                cy_storefmt,
                "index_lookup",
                bytes(pure_buffer),
                slots,
                entries,
                key_hash,
                begin,
                end,
                rng.choice([0, 1, 3, 64]),
            )
        same(pure_storefmt.IndexHeader, cy_storefmt.IndexHeader, "unpack", bytes(pure_buffer))
    for _ in range(100):
        junk = rng.randbytes(pure_storefmt.index_file_size(7, 30))
        same(
            pure_storefmt,
            cy_storefmt,
            "index_lookup",
            junk,
            7,
            30,
            rng.randrange(1 << 31),
            0,
            1 << 62,
            50,
        )
    for args in (
        (bytearray(10), 7, 30, "k", 0, 0),
        (bytearray(1000), 0, 30, "k", 0, 0),
        (bytearray(1000), 7, 30, -1, 0, 0),
        (bytearray(1000), 7, 30, 1 << 31, 0, 0),
        (bytearray(1000), 7, 30, 1.5, 0, 0),
        (bytes(1000), 7, 30, "k", 0, 0),
        (bytearray(1000), 7, 30, "k", 1 << 63, 0),
    ):
        same(pure_storefmt, cy_storefmt, "index_put", *args)


def test_header_and_checkpoint_the_same(cy_storefmt) -> None:
    rng = random.Random(44)
    for _ in range(200):
        values = [rng.randrange(-(1 << 63), 1 << 63) for _ in range(5)]
        same(pure_storefmt, cy_storefmt, "pack_checkpoint", *values)
        data = rng.randbytes(rng.choice([39, 40, 4096]))
        same(pure_storefmt, cy_storefmt, "unpack_checkpoint", data)
        header_values = values[:4] + [rng.randrange(-(1 << 31), 1 << 31) for _ in range(2)]
        pure_header = pure_storefmt.IndexHeader(*header_values)
        cy_header = cy_storefmt.IndexHeader(*header_values)
        assert pure_header.pack() == cy_header.pack()
        begin, end = sorted(rng.randrange(-(1 << 62), 1 << 62) for _ in range(2))
        assert pure_header.is_time_matched(begin, end) == cy_header.is_time_matched(begin, end)
        index_num = rng.randrange(-3, 1 << 31)
        assert pure_header.is_write_full(index_num) == cy_header.is_write_full(index_num)
        assert repr(pure_header) == repr(cy_header)
    for bad in ((1 << 63,), (0, 0, 0, 0, 1 << 31), (0.5,)):
        assert outcome(pure_storefmt.IndexHeader, *bad) == outcome(cy_storefmt.IndexHeader, *bad)
    same(pure_storefmt, cy_storefmt, "pack_checkpoint", 1.5, 0, 0, 0, 0)
    same(pure_storefmt, cy_storefmt, "index_file_size", 0, 5)
    same(pure_storefmt, cy_storefmt, "index_file_size", 3, 5)
