"""Behaviour of the remoting codec, through whichever twin the _core switch picked.

`make test` runs this file on the Cython core and again with
ROCKETMQ_PUREPYTHON=1 on the pure-Python twin. Wire layout: spec/remoting.md.
"""

from __future__ import annotations

import json
import os
import struct

import pytest

from rocketmq._core import IMPLEMENTATION, remoting
from rocketmq.errors import FrameError, ProtocolError

RemotingCommand = remoting.RemotingCommand
JSON = remoting.SERIALIZE_JSON
ROCKETMQ = remoting.SERIALIZE_ROCKETMQ
BOTH_TYPES = pytest.mark.parametrize("serialize_type", [JSON, ROCKETMQ], ids=["json", "rocketmq"])


def fields(cmd) -> tuple:
    return (
        cmd.code,
        cmd.language,
        cmd.version,
        cmd.opaque,
        cmd.flag,
        cmd.remark,
        cmd.ext_fields,
        cmd.body,
        cmd.serialize_type,
    )


def frame_of(header: bytes, serialize_type: int = JSON, body: bytes = b"") -> bytes:
    """A frame built by hand, independent of the encoder under test."""
    word = serialize_type << 24 | len(header)
    return struct.pack(">iI", 4 + len(header) + len(body), word) + header + body


def json_frame(header: dict | str, body: bytes = b"") -> bytes:
    text = header if isinstance(header, str) else json.dumps(header)
    return frame_of(text.encode("utf-8"), JSON, body)


def test_the_switch_picked_the_requested_twin() -> None:
    wanted = "python" if os.environ.get("ROCKETMQ_PUREPYTHON") == "1" else "cython"
    assert wanted == IMPLEMENTATION
    pure_module = "rocketmq._core._pure.remoting"
    assert (RemotingCommand.__module__ == pure_module) == (IMPLEMENTATION == "python")


# -- RemotingCommand --------------------------------------------------------------


def test_command_defaults() -> None:
    cmd = RemotingCommand()
    assert fields(cmd) == (0, remoting.LANGUAGE_JAVA, 479, 0, 0, None, None, None, JSON)
    assert remoting.DEFAULT_VERSION == 479
    assert remoting.LANGUAGE_NAMES[remoting.LANGUAGE_PYTHON] == "PYTHON"
    assert remoting.LANGUAGE_NAMES[remoting.LANGUAGE_OTHER] == "OTHER"
    assert len(remoting.LANGUAGE_NAMES) == 14


def test_command_flags() -> None:
    request = RemotingCommand(10, opaque=1)
    response = RemotingCommand(0, flag=remoting.RPC_RESPONSE)
    oneway = RemotingCommand(15, flag=remoting.RPC_ONEWAY)
    assert (request.is_response, request.is_oneway) == (False, False)
    assert (response.is_response, response.is_oneway) == (True, False)
    assert (oneway.is_response, oneway.is_oneway) == (False, True)


def test_command_equality_and_repr() -> None:
    left = RemotingCommand(10, {"a": "1"}, b"xy", remark="r", opaque=3)
    right = RemotingCommand(10, {"a": "1"}, bytearray(b"xy"), remark="r", opaque=3)
    assert left == right
    assert left != RemotingCommand(10, {"a": "1"}, b"xy", remark="r", opaque=4)
    assert RemotingCommand(body=None) != RemotingCommand(body=b"")
    assert left != "not a command"
    with pytest.raises(TypeError):
        hash(left)
    text = repr(RemotingCommand(0, None, b"abc", flag=1, remark="ok"))
    assert text == (
        "RemotingCommand(response code=0 opaque=0 flag=1 remark='ok' ext_fields=None "
        "body=3B serialize_type=0)"
    )


def test_command_has_no_stray_attributes() -> None:
    with pytest.raises(AttributeError):
        RemotingCommand().no_such_field = 1


# -- round trips -------------------------------------------------------------------


@BOTH_TYPES
def test_round_trip(serialize_type: int) -> None:
    ext = {"a": "PG", "i": "TAGS\x01TagA\x02KEYS\x01k1 k2\x02", "q": 'quote " back \\ é 中 😀'}
    cmd = RemotingCommand(
        310,
        ext,
        b"\x00body\xff",
        remark="remark-ü",
        opaque=-7,
        flag=3,
        language=remoting.LANGUAGE_PYTHON,
        version=401,
        serialize_type=serialize_type,
    )
    frame = remoting.encode_frame(cmd)
    assert remoting.decode_frame(frame) == cmd
    assert remoting.decode_frame(bytearray(frame)) == cmd
    assert remoting.encode_frame_header(cmd) + b"\x00body\xff" == frame
    header = remoting.encode_header(cmd)
    decode = (
        remoting.decode_json_header if serialize_type == JSON else remoting.decode_rocketmq_header
    )
    decoded = decode(header)
    assert decoded.ext_fields == ext and decoded.body is None
    assert frame[8:] == header + b"\x00body\xff"


@BOTH_TYPES
def test_round_trip_minimal(serialize_type: int) -> None:
    cmd = RemotingCommand(serialize_type=serialize_type)
    frame = remoting.encode_frame(cmd)
    decoded = remoting.decode_frame(frame)
    assert fields(decoded) == fields(cmd)


@BOTH_TYPES
def test_int32_extremes_round_trip(serialize_type: int) -> None:
    for opaque in (2**31 - 1, -(2**31), 0, -1):
        cmd = RemotingCommand(-32768, opaque=opaque, flag=opaque, version=32767)
        cmd.serialize_type = serialize_type
        assert remoting.decode_frame(remoting.encode_frame(cmd)) == cmd


@BOTH_TYPES
def test_frame_word_carries_type_and_header_length(serialize_type: int) -> None:
    cmd = RemotingCommand(10, {"k": "v"}, b"12345", serialize_type=serialize_type)
    frame = remoting.encode_frame(cmd)
    length, word = struct.unpack_from(">iI", frame)
    header = remoting.encode_header(cmd)
    assert length == len(frame) - 4 == 4 + len(header) + 5
    assert word >> 24 == serialize_type
    assert word & 0xFFFFFF == len(header)


def test_encode_frame_without_body_is_just_the_prefix() -> None:
    cmd = RemotingCommand(10, body=b"")
    assert remoting.encode_frame(cmd) == remoting.encode_frame_header(cmd)
    assert remoting.decode_frame(remoting.encode_frame(cmd)).body is None


def test_unknown_serialize_type_cannot_be_encoded() -> None:
    with pytest.raises(ProtocolError):
        remoting.encode_frame(RemotingCommand(10, serialize_type=2))
    with pytest.raises(ProtocolError):
        remoting.encode_header(RemotingCommand(10, serialize_type=255))


# -- JSON header ------------------------------------------------------------------


def test_json_output_is_compact_sorted_and_stringly() -> None:
    cmd = RemotingCommand(
        310, {"b": "2", "a": 1, "c": True, "d": False, "e": None}, remark="x", opaque=7
    )
    assert remoting.encode_json_header(cmd) == (
        b'{"code":310,"extFields":{"b":"2","a":"1","c":"true","d":"false"},"flag":0,'
        b'"language":"JAVA","opaque":7,"remark":"x","version":479}'
    )


def test_json_omits_absent_remark_and_ext_but_keeps_empty_ones() -> None:
    assert remoting.encode_json_header(RemotingCommand(1)) == (
        b'{"code":1,"flag":0,"language":"JAVA","opaque":0,"version":479}'
    )
    assert remoting.encode_json_header(RemotingCommand(1, {}, remark="")) == (
        b'{"code":1,"extFields":{},"flag":0,"language":"JAVA","opaque":0,"remark":"","version":479}'
    )


def test_json_escapes_like_json_dumps() -> None:
    text = "".join(chr(c) for c in range(0x20)) + '"\\/\x7f é 中 😀 \u2028'
    header = remoting.encode_json_header(RemotingCommand(1, {"k": text}, remark=text))
    escaped = json.dumps(text, ensure_ascii=False).encode("utf-8")
    assert b'"k":' + escaped in header
    assert b'"remark":' + escaped in header
    assert b"\\u001f" in header and b"\\u0001" in header and b"\\b\\t\\n\\u000b\\f\\r" in header
    assert remoting.decode_json_header(header).ext_fields == {"k": text}


def test_json_language_names() -> None:
    assert b'"language":"GO"' in remoting.encode_json_header(RemotingCommand(language=9))
    assert b'"language":"OTHER"' in remoting.encode_json_header(RemotingCommand(language=200))
    assert b'"language":"OTHER"' in remoting.encode_json_header(RemotingCommand(language=-1))
    for code, name in enumerate(remoting.LANGUAGE_NAMES):
        decoded = remoting.decode_json_header(f'{{"language":"{name}"}}'.encode())
        assert decoded.language == code
    assert remoting.decode_json_header(b'{"language":"COBOL"}').language == 7
    assert remoting.decode_json_header(b'{"language":9}').language == 9
    assert remoting.decode_json_header(b'{"language":null}').language == 0
    with pytest.raises(FrameError):
        remoting.decode_json_header(b'{"language":true}')
    with pytest.raises(FrameError):
        remoting.decode_json_header(b'{"language":256}')


def test_json_ext_values_of_other_types_are_coerced() -> None:
    # ali-ons copies JS values verbatim; C++ sends nulls for empty fields.
    header = b'{"code":310,"extFields":{"d":4,"k":true,"m":false,"x":null,"neg":-12,"s":"s"}}'
    assert remoting.decode_json_header(header).ext_fields == {
        "d": "4",
        "k": "true",
        "m": "false",
        "neg": "-12",
        "s": "s",
    }


def test_json_exotic_ext_values_are_coerced_like_the_spec() -> None:
    header = b'{"extFields":{"f":1.5,"big":123456789012345678901234,"n":[1,"a"],"o":{"x":null}}}'
    assert remoting.decode_json_header(header).ext_fields == {
        "f": "1.5",
        "big": "123456789012345678901234",
        "n": '[1,"a"]',
        "o": '{"x":null}',
    }


def test_json_go_style_header() -> None:
    header = (
        b'{"code":11,"language":"GO","version":317,"opaque":5,"flag":0,"remark":"",'
        b'"extFields":{"consumerGroup":"G"}}'
    )
    cmd = remoting.decode_json_header(header)
    assert fields(cmd) == (11, 9, 317, 5, 0, "", {"consumerGroup": "G"}, None, JSON)


def test_json_java_style_header_ignores_unknown_keys() -> None:
    header = (
        b'{"code":0,"flag":1,"language":"JAVA","opaque":7,'
        b'"serializeTypeCurrentRPC":"JSON","version":479,"future":{"nested":[1,2]}}'
    )
    cmd = remoting.decode_json_header(header)
    assert fields(cmd) == (0, 0, 479, 7, 1, None, None, None, JSON)


def test_json_decoder_is_lenient_about_layout() -> None:
    header = b' \n{ "opaque" : 3 ,\t"code":"12", "extFields" : { "a" : "1" } , "flag":null }\r\n'
    cmd = remoting.decode_json_header(header)
    assert (cmd.code, cmd.opaque, cmd.flag, cmd.ext_fields) == (12, 3, 0, {"a": "1"})


def test_json_duplicate_keys_last_wins() -> None:
    cmd = remoting.decode_json_header(b'{"code":1,"code":2,"extFields":{"a":"1","b":"2","a":"3"}}')
    assert cmd.code == 2
    assert list(cmd.ext_fields.items()) == [("a", "3"), ("b", "2")]
    cmd = remoting.decode_json_header(b'{"extFields":{"a":"1","a":null}}')
    assert cmd.ext_fields == {}


def test_json_unicode_escapes() -> None:
    header = rb'{"remark":"\u00e9\ud83d\ude00\n\/","extFields":{"\u0061":"\ud800","b":"\t\u0001"}}'
    cmd = remoting.decode_json_header(header)
    assert cmd.remark == "é😀\n/"
    assert cmd.ext_fields == {"a": "\ud800", "b": "\t\x01"}


@pytest.mark.parametrize(
    "header",
    [
        b"",
        b"[]",
        b'"text"',
        b"null",
        b"{",
        b'{"code":1,}',
        b'{"code":1} trailing',
        b"\xef\xbb\xbf{}",
        b'{"remark":"\xff"}',
        b'{"remark":"raw\x01control"}',
        b'{"code":true}',
        b'{"code":1.5}',
        b'{"code":"12a"}',
        b'{"code":2147483648}',
        b'{"opaque":-2147483649}',
        b'{"remark":7}',
        b'{"extFields":"a=b"}',
        b'{"extFields":[]}',
    ],
)
def test_json_header_errors(header: bytes) -> None:
    with pytest.raises(FrameError):
        remoting.decode_json_header(header)
    with pytest.raises(FrameError):
        remoting.decode_frame(frame_of(header))


def test_json_encoder_refuses_non_string_keys_and_remarks() -> None:
    with pytest.raises(ProtocolError):
        remoting.encode_json_header(RemotingCommand(1, {1: "v"}))
    with pytest.raises(ProtocolError):
        remoting.encode_json_header(RemotingCommand(1, remark=5))


@BOTH_TYPES
def test_lone_surrogates_cannot_be_encoded(serialize_type: int) -> None:
    for cmd in (
        RemotingCommand(1, remark="\ud800"),
        RemotingCommand(1, {"k": "\udfff"}),
        RemotingCommand(1, {"\ud83d": "v"}),
    ):
        cmd.serialize_type = serialize_type
        with pytest.raises(UnicodeEncodeError):
            remoting.encode_frame(cmd)


class _Text(str):
    """A str subclass: headers take exact str only, like the extFields keys."""


@BOTH_TYPES
@pytest.mark.parametrize(
    "remark", [5, 0, False, 1.5, b"bytes", b"", ["x"], _Text("sub")], ids=lambda r: repr(r)
)
def test_non_str_remark_is_a_protocol_error(serialize_type: int, remark: object) -> None:
    cmd = RemotingCommand(1, {"k": "v"}, remark=remark, serialize_type=serialize_type)
    encode_alone = (
        remoting.encode_json_header if serialize_type == JSON else remoting.encode_rocketmq_header
    )
    for encode in (encode_alone, remoting.encode_header, remoting.encode_frame):
        with pytest.raises(ProtocolError, match="header string expected"):
            encode(cmd)


@pytest.mark.parametrize("name", ["code", "opaque", "flag", "version"])
@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, 2**64])
def test_fields_outside_int32_never_reach_the_wire(name: str, value: int) -> None:
    # The decoders reject such a frame, so no encoder may write one.
    cmd = RemotingCommand(1)
    try:
        setattr(cmd, name, value)
    except OverflowError:
        assert IMPLEMENTATION == "cython"  # C int fields refuse the value up front
        return
    for serialize_type in (JSON, ROCKETMQ):
        cmd.serialize_type = serialize_type
        with pytest.raises(ProtocolError):
            remoting.encode_frame(cmd)
        with pytest.raises(ProtocolError):
            remoting.encode_header(cmd)


# -- ROCKETMQ header --------------------------------------------------------------


def test_rocketmq_layout() -> None:
    cmd = RemotingCommand(310, {"a": "PG"}, remark="ok", opaque=5, flag=1, language=9, version=479)
    header = remoting.encode_rocketmq_header(cmd)
    assert header == (
        struct.pack(">hBhiii", 310, 9, 479, 5, 1, 2)
        + b"ok"
        + struct.pack(">i", 2 + 1 + 4 + 2)
        + struct.pack(">h", 1)
        + b"a"
        + struct.pack(">i", 2)
        + b"PG"
    )


def test_rocketmq_empty_values_decode_as_absent() -> None:
    cmd = RemotingCommand(10, {"empty": "", "k": "v"}, remark="", serialize_type=ROCKETMQ)
    decoded = remoting.decode_frame(remoting.encode_frame(cmd))
    assert decoded.remark is None
    assert decoded.ext_fields == {"k": "v"}
    only_empty = RemotingCommand(10, {"empty": ""}, serialize_type=ROCKETMQ)
    assert remoting.decode_frame(remoting.encode_frame(only_empty)).ext_fields == {}
    no_ext = RemotingCommand(10, {}, serialize_type=ROCKETMQ)
    assert remoting.decode_frame(remoting.encode_frame(no_ext)).ext_fields is None


def test_rocketmq_coerces_ext_values_too() -> None:
    cmd = RemotingCommand(10, {"n": 4, "b": True, "x": None}, serialize_type=ROCKETMQ)
    assert remoting.decode_frame(remoting.encode_frame(cmd)).ext_fields == {"n": "4", "b": "true"}


@pytest.mark.parametrize(
    "overrides",
    [{"code": 32768}, {"code": -32769}, {"code": 200050}, {"version": 40000}, {"version": -32769}],
)
def test_rocketmq_code_and_version_must_fit_int16(overrides: dict) -> None:
    cmd = RemotingCommand(serialize_type=ROCKETMQ)
    for name, value in overrides.items():
        setattr(cmd, name, value)
    with pytest.raises(ProtocolError):
        remoting.encode_frame(cmd)
    cmd.serialize_type = JSON  # POP codes need JSON, and JSON carries them
    assert remoting.decode_frame(remoting.encode_frame(cmd)).code == cmd.code


def test_rocketmq_language_must_fit_a_byte() -> None:
    with pytest.raises(ProtocolError):
        remoting.encode_rocketmq_header(RemotingCommand(language=256))
    header = remoting.encode_rocketmq_header(RemotingCommand(language=255))
    assert remoting.decode_rocketmq_header(header).language == 255


def test_rocketmq_key_length_limit() -> None:
    with pytest.raises(ProtocolError):
        remoting.encode_rocketmq_header(RemotingCommand(1, {"k" * 32768: "v"}))
    header = remoting.encode_rocketmq_header(RemotingCommand(1, {"k" * 32767: "v"}))
    assert remoting.decode_rocketmq_header(header).ext_fields == {"k" * 32767: "v"}


@pytest.mark.parametrize(
    "header",
    [
        b"\x00" * 20,
        struct.pack(">hBhiii", 1, 0, 1, 1, 0, 10) + b"\x00" * 4,
        struct.pack(">hBhiii", 1, 0, 1, 1, 0, -1) + b"\x00" * 4,
        struct.pack(">hBhiii", 1, 0, 1, 1, 0, 1) + b"\xff" + struct.pack(">i", 0),
        struct.pack(">hBhiiii", 1, 0, 1, 1, 0, 0, 50),
        struct.pack(">hBhiiii", 1, 0, 1, 1, 0, 0, -5),
        struct.pack(">hBhiiii", 1, 0, 1, 1, 0, 0, 1) + b"\x00",
        struct.pack(">hBhiiiih", 1, 0, 1, 1, 0, 0, 6, -1) + b"\x00" * 4,
        struct.pack(">hBhiiiih", 1, 0, 1, 1, 0, 0, 7, 1) + b"k" + struct.pack(">i", 9),
        struct.pack(">hBhiiiih", 1, 0, 1, 1, 0, 0, 8, 1) + b"\xff" + struct.pack(">i", 1) + b"v",
    ],
)
def test_rocketmq_header_errors(header: bytes) -> None:
    with pytest.raises(FrameError):
        remoting.decode_rocketmq_header(header)
    with pytest.raises(FrameError):
        remoting.decode_frame(frame_of(header, ROCKETMQ))


# -- decode_frame -------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"\x00\x00",
        struct.pack(">i", 0),
        struct.pack(">i", 3) + b"abc",
        struct.pack(">iI", 4, 1 << 24 | 1),
        struct.pack(">iI", 8, 0) + b"{}",
        struct.pack(">iI", 6, 2 << 24 | 2) + b"{}",
        struct.pack(">iI", 6, 5) + b"{}",
    ],
)
def test_decode_frame_errors(frame: bytes) -> None:
    with pytest.raises(FrameError):
        remoting.decode_frame(frame)


# -- FrameDecoder -------------------------------------------------------------------


def sample_frames() -> list[bytes]:
    return [
        remoting.encode_frame(RemotingCommand(10, {"a": str(i)}, b"b" * i, opaque=i))
        for i in range(5)
    ] + [
        remoting.encode_frame(
            RemotingCommand(0, {"k": "v"}, remark="r", flag=1, serialize_type=ROCKETMQ)
        )
    ]


def test_feeding_one_byte_at_a_time() -> None:
    frames = sample_frames()
    stream = b"".join(frames)
    ends = {sum(map(len, frames[: count + 1])) for count in range(len(frames))}
    decoder = remoting.FrameDecoder()
    got = []
    since_last_frame = 0
    for index in range(len(stream)):
        new = decoder.feed(stream[index : index + 1])
        since_last_frame += 1
        if index + 1 in ends:
            assert len(new) == 1
            since_last_frame = 0
        else:
            assert new == []
        got.extend(new)
        assert decoder.buffered_size == since_last_frame
    assert [remoting.encode_frame(cmd) for cmd in got] == frames


def test_many_frames_in_one_feed_and_a_partial_tail() -> None:
    frames = sample_frames() * 20
    stream = b"".join(frames)
    decoder = remoting.FrameDecoder()
    got = decoder.feed(stream + frames[0][:7])
    assert len(got) == len(frames)
    assert [c.opaque for c in got[:6]] == [0, 1, 2, 3, 4, 0]
    assert decoder.buffered_size == 7
    assert decoder.feed(frames[0][7:]) == [remoting.decode_frame(frames[0])]
    assert decoder.buffered_size == 0
    assert decoder.feed(b"") == []


def test_feed_accepts_bytearray_and_memoryview() -> None:
    frame = sample_frames()[1]
    decoder = remoting.FrameDecoder()
    assert len(decoder.feed(bytearray(frame[:10]))) == 0
    assert len(decoder.feed(memoryview(frame)[10:])) == 1


def test_big_body_in_small_chunks() -> None:
    body = bytes(range(256)) * 16384  # 4 MiB
    frame = remoting.encode_frame(RemotingCommand(10, {"a": "b"}, body))
    decoder = remoting.FrameDecoder()
    got = []
    for start in range(0, len(frame), 65536):
        got.extend(decoder.feed(frame[start : start + 65536]))
    assert len(got) == 1 and got[0].body == body
    assert decoder.buffered_size == 0


def test_length_over_the_limit_fails_before_the_bytes_arrive() -> None:
    decoder = remoting.FrameDecoder()
    with pytest.raises(FrameError):
        decoder.feed(struct.pack(">i", remoting.MAX_FRAME_SIZE - 3))


def test_length_exactly_at_the_limit_is_accepted() -> None:
    header = b'{"code":1}'
    body_size = remoting.MAX_FRAME_SIZE - 8 - len(header)
    frame = frame_of(header, JSON, bytes(body_size))
    assert len(frame) == remoting.MAX_FRAME_SIZE
    decoder = remoting.FrameDecoder()
    assert decoder.feed(frame[:8]) == []
    got = decoder.feed(frame[8:])
    assert len(got) == 1 and len(got[0].body) == body_size


def test_custom_limit() -> None:
    frame = json_frame({"code": 1})
    assert len(remoting.FrameDecoder(len(frame)).feed(frame)) == 1
    with pytest.raises(FrameError):
        remoting.FrameDecoder(len(frame) - 1).feed(frame)
    with pytest.raises(ValueError):
        remoting.FrameDecoder(7)
    assert remoting.FrameDecoder().max_frame_size == remoting.MAX_FRAME_SIZE == 16 * 1024 * 1024


@pytest.mark.parametrize("length", [-1, -(2**31), 0, 1, 3])
def test_negative_or_too_small_lengths(length: int) -> None:
    with pytest.raises(FrameError):
        remoting.FrameDecoder().feed(struct.pack(">i", length) + b"\x00" * 8)


@pytest.mark.parametrize(
    "frame",
    [
        struct.pack(">iI", 6, 10) + b"{}",  # header longer than the frame
        struct.pack(">iI", 6, 3 << 24 | 2) + b"{}",  # unknown serialize type
        frame_of(b'{"remark":"\xc3"}'),  # bad UTF-8
        frame_of(b"[1,2]"),  # JSON but not an object
        frame_of(b"\x00" * 5, ROCKETMQ),  # binary header too short
    ],
)
def test_bad_frames_poison_the_decoder(frame: bytes) -> None:
    decoder = remoting.FrameDecoder()
    good = json_frame({"code": 1})
    with pytest.raises(FrameError):
        decoder.feed(good + frame)
    assert decoder.buffered_size == 0
    with pytest.raises(FrameError):
        decoder.feed(good)
    with pytest.raises(FrameError):
        decoder.feed(b"")


def test_poisoned_decoder_raises_the_same_error_again() -> None:
    decoder = remoting.FrameDecoder()
    with pytest.raises(FrameError) as first:
        decoder.feed(struct.pack(">i", -5))
    with pytest.raises(FrameError) as second:
        decoder.feed(json_frame({"code": 1}))
    assert second.value is first.value


# -- hostile input: every decode failure is a FrameError ---------------------------

DEEP = 100_000
HOSTILE_JSON_HEADERS = [
    pytest.param(b'{"x":' + b"[" * DEEP + b"]" * DEEP + b"}", id="nested-arrays"),
    pytest.param(b'{"x":' + b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"}", id="nested-objects"),
    pytest.param(b'{"extFields":{"a":' + b"[" * DEEP + b"]" * DEEP + b"}}", id="nested-ext"),
    pytest.param(b'{"code":' + b"1" * 5000 + b"}", id="int-over-digit-limit"),
    pytest.param(b'{"code":"' + b"1" * 5000 + b'"}', id="int-string-over-digit-limit"),
    pytest.param(b'{"opaque":"-' + b"9" * 5000 + b'"}', id="negative-int-string"),
    pytest.param(b'{"flag":"' + b"1" * 11 + b'"}', id="int-string-past-int32"),
    pytest.param(b'{"extFields":{"a":' + b"1" * 5000 + b"}}", id="ext-int-over-digit-limit"),
]


@pytest.mark.parametrize("header", HOSTILE_JSON_HEADERS)
def test_hostile_json_headers_are_frame_errors(header: bytes) -> None:
    with pytest.raises(FrameError):
        remoting.decode_json_header(header)
    with pytest.raises(FrameError):
        remoting.decode_frame(frame_of(header))


@pytest.mark.parametrize("header", HOSTILE_JSON_HEADERS)
@pytest.mark.parametrize("split", [False, True], ids=["whole", "split"])
def test_hostile_json_headers_poison_the_decoder(header: bytes, split: bool) -> None:
    good = json_frame({"code": 1})
    stream = good + frame_of(header)
    decoder = remoting.FrameDecoder()
    if split:  # the frame completes in the decoder's own buffer
        assert len(decoder.feed(stream[: len(good) + 20])) == 1
        stream = stream[len(good) + 20 :]
    with pytest.raises(FrameError) as first:
        decoder.feed(stream)
    assert decoder.buffered_size == 0
    with pytest.raises(FrameError) as again:
        decoder.feed(good)
    assert again.value is first.value


def test_json_int_strings_take_any_number_of_leading_zeros() -> None:
    # fastjson reads these fields with Integer.parseInt, which ignores leading zeros.
    zeros = b"0" * 5000
    header = b'{"code":"' + zeros + b'12","opaque":"-' + zeros + b'7","flag":"+' + zeros + b'"}'
    cmd = remoting.decode_json_header(header)
    assert (cmd.code, cmd.opaque, cmd.flag) == (12, -7, 0)
    assert remoting.decode_json_header(b'{"version":"-00002147483648"}').version == -(2**31)
    with pytest.raises(FrameError):
        remoting.decode_json_header(b'{"version":"00002147483648"}')
