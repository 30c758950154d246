"""The Cython remoting codec against its pure-Python twin (headers: test_core_headers.py).

Random and edge inputs must give the same values, bytes and exception types.
Both twins of each module are imported directly, whatever ROCKETMQ_PUREPYTHON
says. A missing build fails every test here: a differential suite that skips
is a suite that never runs.
"""

from __future__ import annotations

import importlib
import json
import random
import struct

import pytest

import rocketmq._core as core
from rocketmq._core._pure import headers as pure_headers
from rocketmq._core._pure import remoting as pure
from rocketmq.errors import FrameError, ProtocolError

PURE_TWINS = {"remoting": pure, "headers": pure_headers}


def _import_compiled(name: str):
    # Importing the submodule rebinds rocketmq._core.<name>; under
    # ROCKETMQ_PUREPYTHON=1 the switch chose the twin, so put it back.
    chosen = getattr(core, name)
    try:
        module = importlib.import_module(f"rocketmq._core.{name}")
    except ImportError as exc:
        return None, f"rocketmq._core.{name} is not built (run `make compile`): {exc}"
    finally:
        setattr(core, name, chosen)
    if not module.__file__.endswith((".so", ".pyd")):
        return None, f"rocketmq._core.{name} is not an extension module: {module.__file__}"
    return module, None


_COMPILED = {name: _import_compiled(name) for name in PURE_TWINS}


def compiled(name: str):
    """The extension module ``rocketmq._core.<name>``; fails the test when it is not built."""
    module, problem = _COMPILED[name]
    if module is None:
        pytest.fail(problem)
    return module


@pytest.fixture(scope="module")
def cy():
    return compiled("remoting")


@pytest.fixture(scope="module")
def cyh():
    return compiled("headers")


@pytest.mark.parametrize("name", PURE_TWINS)
def test_compiled_module_is_built(name: str) -> None:
    module, problem = _COMPILED[name]
    assert module is not None, problem


TWINS = ("pure", "cython")

PUBLIC_CONSTANTS = (
    "SERIALIZE_JSON",
    "SERIALIZE_ROCKETMQ",
    "RPC_RESPONSE",
    "RPC_ONEWAY",
    "MAX_FRAME_SIZE",
    "MAX_HEADER_SIZE",
    "DEFAULT_VERSION",
    "LANGUAGE_NAMES",
    "LANGUAGE_JAVA",
    "LANGUAGE_PYTHON",
    "LANGUAGE_OTHER",
)

PUBLIC_CALLABLES = {
    "remoting": (
        "RemotingCommand",
        "encode_json_header",
        "decode_json_header",
        "encode_rocketmq_header",
        "decode_rocketmq_header",
        "encode_header",
        "encode_frame_header",
        "encode_frame",
        "decode_frame",
        "FrameDecoder",
    ),
    "headers": (
        "parse_java_int",
        "parse_java_long",
        "parse_java_bool",
        "SendMessageRequestHeader",
        "SendMessageResponseHeader",
        "PullMessageRequestHeader",
        "PullMessageResponseHeader",
    ),
}

COMMAND_FIELDS = (
    "code",
    "language",
    "version",
    "opaque",
    "flag",
    "remark",
    "ext_fields",
    "body",
    "serialize_type",
)


def command_key(cmd) -> tuple:
    """Every field, with the Python type of each value (True is not 1 here)."""
    values = []
    for name in COMMAND_FIELDS:
        value = getattr(cmd, name)
        if name == "ext_fields" and value is not None:
            value = [(type(k), k, type(v), v) for k, v in value.items()]  # order matters too
        values.append((type(value), value))
    return tuple(values)


def outcome(function, *args, key=None):
    """("ok", value) or ("raise", exception type): what the twins must agree on."""
    try:
        result = function(*args)
    except Exception as exc:  # the type is the observation
        return ("raise", type(exc))
    return ("ok", key(result) if key else result)


def both(cy, function_name: str, *args, key=None):
    """Call ``function_name`` of the compiled module ``cy`` and of its pure twin."""
    twin = PURE_TWINS[cy.__name__.rpartition(".")[2]]
    left = outcome(getattr(twin, function_name), *args, key=key)
    right = outcome(getattr(cy, function_name), *args, key=key)
    assert left == right, (function_name, args)
    return left


def decode_both(cy, function_name: str, data) -> tuple:
    """``both`` for a decoder: whatever the bytes, a failure must be a FrameError.

    The transport closes the connection on FrameError; anything else (a
    RecursionError from json, a ValueError from int()) would escape it.
    """
    result = both(cy, function_name, data, key=command_key)
    assert result[0] == "ok" or issubclass(result[1], FrameError), (function_name, result)
    return result


# -- random inputs ------------------------------------------------------------------

INT32_EDGES = (0, 1, -1, 255, 256, 32767, 32768, -32768, -32769, 2**31 - 1, -(2**31))
TEXT_PIECES = (
    "a",
    "Z",
    "0",
    " ",
    "TopicTest",
    '"',
    "\\",
    "/",
    "\x00",
    "\x01",
    "\x02",
    "\x08",
    "\t",
    "\n",
    "\x0c",
    "\r",
    "\x1f",
    "\x7f",
    "\x80",
    "é",
    "ü",
    "\xff",
    "中文",
    "\u2028",
    "\ufeff",
    "\uffff",
    "😀",
    "\U0010ffff",
    "{}[]:,",
    "u0041",
)


def random_int32(rng: random.Random) -> int:
    if rng.random() < 0.4:
        return rng.choice(INT32_EDGES)
    return rng.randint(-(2**31), 2**31 - 1)


def random_text(rng: random.Random, max_pieces: int = 6) -> str:
    return "".join(rng.choice(TEXT_PIECES) for _ in range(rng.randint(0, max_pieces)))


def random_ext_value(rng: random.Random):
    roll = rng.random()
    if roll < 0.75:
        return random_text(rng)
    return rng.choice([None, True, False, 0, -7, 2**40, 1.5, -0.0, [1, "x"], {"k": None}])


def random_ext_fields(rng: random.Random):
    roll = rng.random()
    if roll < 0.15:
        return None
    if roll < 0.25:
        return {}
    return {random_text(rng, 3): random_ext_value(rng) for _ in range(rng.randint(1, 8))}


def random_command_spec(rng: random.Random) -> dict:
    return {
        "code": random_int32(rng) if rng.random() < 0.3 else rng.randint(-40000, 40000),
        "ext_fields": random_ext_fields(rng),
        "body": rng.choice([None, b"", b"x", bytes(rng.randrange(256) for _ in range(40))]),
        "remark": rng.choice([None, "", random_text(rng)]),
        "opaque": random_int32(rng),
        "flag": random_int32(rng) if rng.random() < 0.3 else rng.randint(0, 3),
        "language": rng.choice([0, 3, 7, 9, 13, 14, 255, 256, -1]),
        "version": rng.choice([479, 0, -1, 32767, 32768, -32769, random_int32(rng)]),
        "serialize_type": rng.choice([0, 0, 1, 1, 2]),
    }


def build(module, spec: dict):
    spec = dict(spec)
    ext = spec.pop("ext_fields")
    return module.RemotingCommand(
        spec.pop("code"), None if ext is None else dict(ext), spec.pop("body"), **spec
    )


def valid_frames(rng: random.Random, count: int) -> list[bytes]:
    frames = []
    while len(frames) < count:
        spec = random_command_spec(rng)
        spec["code"] = rng.randint(-32768, 32767)
        spec["version"] = rng.randint(-32768, 32767)
        spec["language"] = rng.randint(0, 13)
        spec["serialize_type"] = rng.choice([0, 1])
        try:
            frames.append(pure.encode_frame(build(pure, spec)))
        except UnicodeEncodeError:
            continue
    return frames


# -- the surface ----------------------------------------------------------------


def defined_names(module) -> set[str]:
    """The public functions and classes ``module`` defines itself (not imports)."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
    }


def test_public_names_and_constants_match(cy, cyh) -> None:
    for name in PUBLIC_CONSTANTS:
        assert getattr(cy, name) == getattr(pure, name), name
        assert type(getattr(cy, name)) is type(getattr(pure, name)), name
    for module in (cy, cyh):
        module_name = module.__name__.rpartition(".")[2]
        expected = set(PUBLIC_CALLABLES[module_name])
        assert defined_names(module) == expected, module_name
        assert defined_names(PURE_TWINS[module_name]) == expected, module_name
    assert cy.RemotingCommand.__module__ == "rocketmq._core.remoting"
    assert cyh.SendMessageRequestHeader.__module__ == "rocketmq._core.headers"


def test_constructor_defaults_match(cy) -> None:
    assert command_key(cy.RemotingCommand()) == command_key(pure.RemotingCommand())
    assert cy.FrameDecoder().max_frame_size == pure.FrameDecoder().max_frame_size
    assert cy.FrameDecoder().buffered_size == pure.FrameDecoder().buffered_size == 0
    for bad in (7, 0, -1):
        assert outcome(cy.FrameDecoder, bad) == outcome(pure.FrameDecoder, bad)


def test_repr_and_properties_match(cy) -> None:
    rng = random.Random(11)
    for _ in range(200):
        spec = random_command_spec(rng)
        left, right = build(pure, spec), build(cy, spec)
        assert repr(left) == repr(right)
        assert left.is_response == right.is_response
        assert left.is_oneway == right.is_oneway


# -- encoders ---------------------------------------------------------------------


def test_random_commands_encode_identically(cy) -> None:
    rng = random.Random(20240601)
    encoders = ("encode_json_header", "encode_rocketmq_header", "encode_header")
    for _ in range(2500):
        spec = random_command_spec(rng)
        left, right = build(pure, spec), build(cy, spec)
        for name in encoders:
            assert outcome(getattr(pure, name), left) == outcome(getattr(cy, name), right), (
                name,
                spec,
            )
        framed = outcome(pure.encode_frame, left)
        assert framed == outcome(cy.encode_frame, right), spec
        assert outcome(pure.encode_frame_header, left) == outcome(cy.encode_frame_header, right)
        if framed[0] == "ok":
            frame = framed[1]
            assert decode_both(cy, "decode_frame", frame)[0] == "ok", spec
            left.serialize_type = right.serialize_type = 1 - left.serialize_type
            assert outcome(pure.encode_frame, left) == outcome(cy.encode_frame, right), spec


class _Text(str):
    pass


def test_encode_edge_cases_match(cy) -> None:
    cases = [
        {"remark": "\ud800"},
        {"remark": "ok", "ext_fields": {"k": "\udfff"}},
        {"ext_fields": {"\ud83d": "v"}},
        {"ext_fields": {"k": "\ud800"}, "remark": 5},
        {"ext_fields": {"k": "\ud800", 1: "v"}},
        {"ext_fields": {1: "v"}},
        {"ext_fields": {1: None}},
        {"ext_fields": {"k": b"bytes"}},
        {"ext_fields": {"k": object()}},
        {"ext_fields": {"k": float("nan")}},
        {"ext_fields": {"k": {"nested": [1, None, "é"]}}},
        {"ext_fields": {"k" * 32768: "v"}},
        {"ext_fields": {"é" * 16384: "v"}},
        {"ext_fields": {"k" * 32767: ""}},
        {"remark": 5},
        {"remark": b"bytes"},
        {"remark": ""},
        {"remark": 0},
        {"remark": b""},
        {"remark": False},
        {"remark": _Text("sub")},
        {"remark": 5, "ext_fields": {"k" * 32768: "v"}},
        {"remark": 5, "code": 40000},
        {"code": 40000},
        {"version": -40000},
        {"language": 300},
        {"language": -5},
        {"serialize_type": 7},
        {"body": bytearray(b"abc")},
        {"body": memoryview(b"abcdef")[1:3]},
        {"body": "text"},
    ]
    for case in cases:
        for serialize_type in (0, 1):
            spec = {"serialize_type": serialize_type, **case}
            left, right = build(pure, _spec(spec)), build(cy, _spec(spec))
            for name in ("encode_header", "encode_frame_header", "encode_frame"):
                result = outcome(getattr(pure, name), left)
                assert result == outcome(getattr(cy, name), right), (name, case, serialize_type)
                if "remark" in case and type(case["remark"]) is not str:
                    assert result[0] == "raise" and issubclass(result[1], ProtocolError), case


def _spec(overrides: dict) -> dict:
    spec = {
        "code": 10,
        "ext_fields": None,
        "body": None,
        "remark": None,
        "opaque": 1,
        "flag": 0,
        "language": 0,
        "version": 479,
        "serialize_type": 0,
    }
    spec.update(overrides)
    return spec


def test_non_dict_mappings_encode_identically(cy) -> None:
    class Ordered(dict):
        pass

    for serialize_type in (0, 1):
        ext = Ordered(b="2", a="1", c=None)
        left = pure.RemotingCommand(1, ext, serialize_type=serialize_type)
        right = cy.RemotingCommand(1, ext, serialize_type=serialize_type)
        assert pure.encode_header(left) == cy.encode_header(right)


# -- decoders ---------------------------------------------------------------------


def mutate(rng: random.Random, frame: bytes) -> bytes:
    data = bytearray(frame)
    for _ in range(rng.randint(1, 3)):
        roll = rng.random()
        if roll < 0.3 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif roll < 0.45:
            data[rng.randint(0, len(data)) :] = b""
        elif roll < 0.6:
            position = rng.randint(0, len(data))
            data[position:position] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
        elif roll < 0.7 and data:
            position = rng.randrange(len(data))
            del data[position : position + rng.randint(1, 4)]
        elif roll < 0.8 and len(data) >= 8:
            # keep the length field honest so the header itself gets exercised
            struct.pack_into(">i", data, 0, len(data) - 4)
            data[rng.randrange(8, len(data) + 1) - 1] ^= 1 << rng.randrange(8)
        elif roll < 0.9 and len(data) >= 8:
            word = rng.choice([0, 1, 2, 255]) << 24 | rng.randrange(len(data))
            struct.pack_into(">I", data, 4, word)
        elif len(data) >= 4:
            struct.pack_into(">i", data, 0, rng.choice([-1, 0, 3, 4, len(data) - 4, 2**31 - 1]))
    return bytes(data)


def test_random_frame_mutations_decode_identically(cy) -> None:
    rng = random.Random(77)
    frames = valid_frames(rng, 300)
    for frame in frames:
        assert decode_both(cy, "decode_frame", frame)[0] == "ok"
        for _ in range(8):
            damaged = mutate(rng, frame)
            decode_both(cy, "decode_frame", damaged)
            decode_both(cy, "decode_frame", bytearray(damaged))
            body = damaged[8:] if len(damaged) >= 8 else b""
            decode_both(cy, "decode_json_header", body)
            decode_both(cy, "decode_rocketmq_header", body)


def feed_all(module, chunks: list[bytes]) -> list:
    """The observable behaviour of a FrameDecoder over a sequence of feeds."""
    decoder = module.FrameDecoder()
    events = []
    for chunk in chunks:
        result = outcome(decoder.feed, chunk, key=lambda cmds: [command_key(c) for c in cmds])
        events.append((result, decoder.buffered_size))
    return events


def test_random_streams_split_identically(cy) -> None:
    rng = random.Random(5)
    frames = valid_frames(rng, 120)
    for _ in range(300):
        picked = [rng.choice(frames) for _ in range(rng.randint(1, 6))]
        if rng.random() < 0.4:
            victim = rng.randrange(len(picked))
            picked[victim] = mutate(rng, picked[victim])
        stream = b"".join(picked) + b"\x00" * rng.choice([0, 0, 1, 3])
        cuts = sorted(rng.sample(range(len(stream) + 1), min(len(stream), rng.randint(0, 6))))
        chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
        chunks.append(b"more")  # a poisoned decoder must raise again
        events = feed_all(pure, chunks)
        assert events == feed_all(cy, chunks), chunks
        for result, _buffered in events:
            assert result[0] == "ok" or issubclass(result[1], FrameError), result


def json_header(rng: random.Random) -> bytes:
    """A JSON header as Java, Go, ali-ons or a fuzzer might write it."""
    pairs = []
    int_values = [
        0,
        1,
        -1,
        479,
        2**31 - 1,
        -(2**31),
        2**31,
        -(2**31) - 1,
        10**30,
        "12",
        "+7",
        "-0",
        "1_0",
        "x",
        "",
        True,
        None,
        1.5,
        [1],
    ]
    for field in ("code", "opaque", "flag", "version"):
        if rng.random() < 0.85:
            value = rng.choice(int_values) if rng.random() < 0.4 else rng.randint(-500, 500)
            pairs.append((field, value))
    if rng.random() < 0.8:
        languages = ["JAVA", "GO", "CPP", "NODE_JS", "PYTHON", "cobol", "", 3, 255, 256, -1]
        pairs.append(("language", rng.choice([*languages, True, None, 2.0])))
    if rng.random() < 0.6:
        pairs.append(("remark", rng.choice(["", "oops", random_text(rng), None, 7, ["x"]])))
    if rng.random() < 0.8:
        ext = {}
        for _ in range(rng.randint(0, 8)):
            ext[random_text(rng, 3)] = rng.choice(
                [
                    random_text(rng),
                    random_text(rng),
                    12,
                    -3,
                    0,
                    10**20,
                    True,
                    False,
                    None,
                    1.25,
                    1e300,
                    [],
                    {"a": 1},
                    "",
                ]
            )
        pairs.append(("extFields", rng.choice([ext, ext, ext, None, "str", 3, []])))
    if rng.random() < 0.4:
        pairs.append(("serializeTypeCurrentRPC", rng.choice(["JSON", "é\n", 5, None, {"x": 1}])))
    rng.shuffle(pairs)
    if pairs and rng.random() < 0.15:
        pairs.append((rng.choice(pairs)[0], rng.choice([None, 5, "x", {}])))  # duplicate key
    spaced = rng.random() < 0.2
    items = []
    for key, value in pairs:
        text = json.dumps(value, ensure_ascii=rng.random() < 0.3)
        items.append(json.dumps(key) + (" : " if spaced else ":") + text)
    body = ("{ " if spaced else "{") + (", " if spaced else ",").join(items) + "}"
    if rng.random() < 0.1:
        body = "\n " + body + " \t"
    return body.encode("utf-8", "surrogatepass")


def mutate_text(rng: random.Random, data: bytes) -> bytes:
    data = bytearray(data)
    junk = [b"\\", b'"', b"\\u", b"\\ud83d", b"\\udc00", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x01"]
    junk += [b",", b"}", b"{", b"[", b"0", b"-", b".", b"e", b" ", b"null", b"\\u00e9", b"\xe2\x82"]
    for _ in range(rng.randint(1, 2)):
        position = rng.randint(0, len(data))
        if rng.random() < 0.6:
            data[position:position] = rng.choice(junk)
        else:
            del data[position : position + rng.randint(1, 3)]
    return bytes(data)


def test_random_json_headers_decode_identically(cy) -> None:
    rng = random.Random(1234)
    accepted = 0
    for _ in range(3000):
        data = json_header(rng)
        if decode_both(cy, "decode_json_header", data)[0] == "ok":
            accepted += 1
        decode_both(cy, "decode_json_header", mutate_text(rng, data))
    assert accepted > 300  # the generator must mostly produce headers that decode


def test_random_json_string_bodies_decode_identically(cy) -> None:
    # Escapes, surrogates and UTF-8 (valid, overlong, truncated, out of range)
    # in every place a string can stand: the scanner's hardest inputs.
    rng = random.Random(8)
    pieces = [bytes([byte]) for byte in range(256)]
    pieces += [
        b"\\u" + bytes(rng.choice(b"0123456789abcdefABCDEFg") for _ in range(4)) for _ in range(64)
    ]
    pieces += [b"\\ud83d", b"\\ude00", b"\\udbff\\udfff", b"\\n", b"\\/", b"\\", b"\\u00"]
    pieces += [b"\xf0\x9f\x98\x80", b"\xe4\xb8\xad", b"\xc3\xa9", b"\xed\xa0\x80", b"\xe0\x80\x80"]
    pieces += [b"\xf4\x8f\xbf\xbf", b"\xf4\x90\x80\x80", b"\xc1\xbf", b"\xf0\x9f\x98"]
    shapes = (
        b'{"extFields":{"k":"%s"}}',
        b'{"extFields":{"%s":"v"}}',
        b'{"remark":"%s","code":1}',
        b'{"serializeTypeCurrentRPC":"%s","code":1}',
        b'{"language":"%s"}',
    )
    for _ in range(4000):
        text = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        decode_both(cy, "decode_json_header", rng.choice(shapes) % text)


JSON_EDGE_CASES = [
    b"",
    b" ",
    b"{}",
    b"[]",
    b"null",
    b'"x"',
    b"{} x",
    b"\xef\xbb\xbf{}",
    b'{"code":01}',
    b'{"code":-}',
    b'{"code":1.0}',
    b'{"code":1e2}',
    b'{"code":-0}',
    b'{"code":NaN}',
    b'{"code":Infinity}',
    b'{"code":-Infinity}',
    b'{"code":"0012"}',
    b'{"code":"  12"}',
    b'{"code":123456789012345678901234567890}',
    b'{"code":1,}',
    b'{"code":1 "flag":2}',
    b'{"code" 1}',
    b"{'code':1}",
    b'{"c\\u006fde":5}',
    b'{"code":5,"code":6}',
    b'{"code":"x","code":6}',
    b'{"extFields":{"a":[1]},"extFields":{"b":"2"}}',
    b'{"extFields":{"a":"1","b":null,"a":null,"a":"3"}}',
    b'{"extFields":{"a":1.5,"b":-0,"c":1E400,"d":-1e-5,"e":true}}',
    b'{"extFields":{"a":NaN,"b":Infinity}}',
    b'{"extFields":{"deep":{"x":[1,{"y":null}]}}}',
    b'{"extFields":{"a":"\\ud83d\\ude00","b":"\\ud83d","c":"\\ude00\\ud83d","d":"\\ud83d\\u0041"}}',
    b'{"extFields":{"a":"\\ud83d\\uzzzz"}}',
    b'{"extFields":{"a":"\\x41"}}',
    b'{"extFields":{"a":"\\/\\b\\f\\n\\r\\t\\"\\\\"}}',
    b'{"extFields":{"a":"raw\x01control"}}',
    b'{"extFields":{"a":"raw\x7fdel"}}',
    b'{"extFields":{"\\u00e9":"\xc3\xa9"}}',
    b'{"extFields":{"a":"\xc0\xaf"}}',
    b'{"extFields":{"a":"\xed\xa0\x80"}}',
    b'{"extFields":{"a":"\xf4\x90\x80\x80"}}',
    b'{"extFields":{"a":"\xf0\x9f\x98\x80"}}',
    b'{"extFields":{"a":"\xe2\x82"}}',
    b'{"extFields":{"a":"\\u00e9\xc3\xa9\\n"}}',
    b'{"extFields":{}, "remark":""}',
    b'{"extFields":null}',
    b'{"extFields":"x"}',
    b'{"language":"GO","remark":"","extFields":{"a":"1"},"code":0}',
    b'{"language":"G\\u004f"}',
    b'{"language":"\xc3\xa9"}',
    b'{"language":true}',
    b'{"language":256}',
    b'{"remark":"\\u0000"}',
    b'{"remark":5}',
    b'{"unknown":"\xff"}',
    b'{"unknown":"\\q"}',
    b'{"unknown":[1,2]}',
    b'{"unknown":{"a":{}}}',
    b'{"\xc3\xa9":1}',
    b'{"code":1}\x00',
    b'{"code":"' + b"1" * 5000 + b'"}',
    b'{"code":' + b"1" * 5000 + b"}",
    b'{"extFields":{"a":' + b"1" * 5000 + b"}}",
    b'{"extFields":' + b"[" * 100000 + b"]" * 100000 + b"}",
]


@pytest.mark.parametrize("data", JSON_EDGE_CASES, ids=range(len(JSON_EDGE_CASES)))
def test_json_edge_cases_decode_identically(cy, data: bytes) -> None:
    decode_both(cy, "decode_json_header", data)
    frame = struct.pack(">iI", 4 + len(data), len(data)) + data
    decode_both(cy, "decode_frame", frame)


def test_rocketmq_edge_cases_decode_identically(cy) -> None:
    def header(remark: bytes, entries: bytes, ext_size: int | None = None) -> bytes:
        size = len(entries) if ext_size is None else ext_size
        fixed = struct.pack(">hBhiii", 10, 9, 479, 1, 0, len(remark))
        return fixed + remark + struct.pack(">i", size) + entries

    def entry(key: bytes, value: bytes) -> bytes:
        return struct.pack(">h", len(key)) + key + struct.pack(">i", len(value)) + value

    cases = [
        header(b"", b""),
        header(b"r\xc3\xa9", entry(b"k", b"v")),
        header(b"\xff", b""),
        header(b"", entry(b"k", b"")),
        header(b"", entry(b"", b"v")),
        header(b"", entry(b"k", b"1") + entry(b"k", b"") + entry(b"k", b"2")),
        header(b"", entry(b"\xff", b"v")),
        header(b"", entry(b"k", b"\xed\xa0\x80")),
        header(b"", entry(b"k", b"v") + b"\x00"),
        header(b"", entry(b"k", b"v"), 100),
        header(b"", entry(b"k", b"v"), -1),
        header(b"", b"\x80\x00" + b"\x00" * 8),
        header(b"", struct.pack(">h", 1) + b"k" + struct.pack(">i", -1)),
        header(b"", entry(b"k", b"v")) + b"trailing",
        struct.pack(">hBhiii", 1, 255, -1, -1, -1, -1) + b"\x00" * 4,
        struct.pack(">hBhiii", 1, 200, 2, 3, 4, 2**31 - 1) + b"\x00" * 4,
        b"\x00" * 20,
        b"\x00" * 21,
    ]
    for data in cases:
        decode_both(cy, "decode_rocketmq_header", data)
        frame = struct.pack(">iI", 4 + len(data), 1 << 24 | len(data)) + data
        decode_both(cy, "decode_frame", frame)


def test_frame_decoder_limits_match(cy) -> None:
    for max_size in (8, 9, 64, pure.MAX_FRAME_SIZE):
        for length in (-(2**31), -1, 0, 3, 4, 5, max_size - 5, max_size - 4, max_size - 3):
            prefix = struct.pack(">i", length)
            left, right = pure.FrameDecoder(max_size), cy.FrameDecoder(max_size)
            for chunk in (prefix[:2], prefix[2:], b"\x00\x00\x00\x00"):
                got = outcome(left.feed, chunk, key=lambda cmds: [command_key(c) for c in cmds])
                assert got == outcome(
                    right.feed, chunk, key=lambda cmds: [command_key(c) for c in cmds]
                ), (max_size, length)
                assert left.buffered_size == right.buffered_size


def test_feed_accepts_the_same_buffer_types(cy) -> None:
    frame = pure.encode_frame(pure.RemotingCommand(1, {"a": "b"}, b"body"))
    for data in (frame, bytearray(frame), memoryview(frame), "text", 5, None):
        assert feed_all(pure, [data]) == feed_all(cy, [data]), type(data)


def test_differential_errors_are_the_documented_classes(cy) -> None:
    # Guards the comparisons above against two twins agreeing on a wrong type.
    with pytest.raises(FrameError):
        cy.decode_frame(b"\x00\x00\x00\x04\x07\x00\x00\x00")
