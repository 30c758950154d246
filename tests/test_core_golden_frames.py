"""Frames written by the official Java rocketmq-remoting library (tests/data/frames).

Each manifest entry says what Java's own decoder reads from its frame; ours
must read the same, and what we write back must decode to the same command.
A missing manifest fails: the golden files guard the wire compatibility.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from rocketmq._core import remoting

FRAMES = Path(__file__).resolve().parent / "data" / "frames"
MANIFEST = FRAMES / "manifest.json"


def load_manifest() -> list[dict]:
    try:
        return json.loads(MANIFEST.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []


ENTRIES = load_manifest()
SERIALIZE_TYPES = {"JSON": remoting.SERIALIZE_JSON, "ROCKETMQ": remoting.SERIALIZE_ROCKETMQ}


def test_manifest_is_present_and_covers_both_types() -> None:
    assert MANIFEST.is_file(), f"{MANIFEST} is missing: the golden frames are not generated"
    assert ENTRIES, "the manifest lists no frames"
    assert {entry["serialize"] for entry in ENTRIES} == set(SERIALIZE_TYPES)
    for entry in ENTRIES:
        assert frame_path(entry).is_file(), entry["name"]


def expected_ext(entry: dict) -> dict | None:
    ext = entry["extFields"]
    if ext is None or entry["serialize"] == "JSON":
        return ext
    # ROCKETMQ writes "" as length 0, which reads back as absent (README of the data).
    return {key: value for key, value in ext.items() if value != ""}


def frame_path(entry: dict) -> Path:
    return FRAMES / (entry.get("file") or f"{entry['name']}.bin")


def read_frame(entry: dict) -> bytes:
    data = frame_path(entry).read_bytes()
    if "frame_length" in entry:
        assert len(data) == entry["frame_length"]
    return data


def rocketmq_parts(header: bytes) -> tuple:
    """The ROCKETMQ header with its extFields entries sorted (Java uses HashMap order)."""
    (remark_size,) = struct.unpack_from(">i", header, 13)
    position = 17 + remark_size
    (ext_size,) = struct.unpack_from(">i", header, position)
    position += 4
    end = position + ext_size
    entries = []
    while position < end:
        (key_size,) = struct.unpack_from(">h", header, position)
        key = header[position + 2 : position + 2 + key_size]
        position += 2 + key_size
        (value_size,) = struct.unpack_from(">i", header, position)
        value = header[position + 4 : position + 4 + value_size]
        position += 4 + value_size
        entries.append((key, value))
    assert position == end == len(header)
    return header[: 17 + remark_size], ext_size, sorted(entries)


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry["name"] for entry in ENTRIES])
def test_golden_frame_decodes_as_java_reads_it(entry: dict) -> None:
    cmd = remoting.decode_frame(read_frame(entry))
    assert cmd.serialize_type == SERIALIZE_TYPES[entry["serialize"]]
    assert cmd.code == entry["code"]
    assert cmd.flag == entry["flag"]
    assert cmd.opaque == entry["opaque"]
    assert cmd.version == entry["version"]
    assert cmd.language == remoting.LANGUAGE_NAMES.index(entry["language"])
    assert cmd.remark == entry["remark"]
    assert cmd.ext_fields == expected_ext(entry)
    assert cmd.body == (bytes.fromhex(entry["body_hex"]) or None)


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry["name"] for entry in ENTRIES])
def test_golden_frame_survives_our_round_trip(entry: dict) -> None:
    data = read_frame(entry)
    cmd = remoting.decode_frame(data)
    again = remoting.decode_frame(remoting.encode_frame(cmd))
    assert again == cmd
    decoder = remoting.FrameDecoder()
    assert decoder.feed(data[:9]) == []
    assert decoder.feed(data[9:] + data) == [cmd, cmd]


@pytest.mark.parametrize(
    "entry",
    [entry for entry in ENTRIES if entry["serialize"] == "ROCKETMQ"],
    ids=[entry["name"] for entry in ENTRIES if entry["serialize"] == "ROCKETMQ"],
)
def test_our_rocketmq_header_bytes_match_java(entry: dict) -> None:
    data = read_frame(entry)
    (word,) = struct.unpack_from(">I", data, 4)
    java_header = data[8 : 8 + (word & 0xFFFFFF)]
    # Built from the manifest, so "" values are written (as length 0) like Java did.
    cmd = remoting.RemotingCommand(
        entry["code"],
        entry["extFields"],
        remark=entry["remark"],
        opaque=entry["opaque"],
        flag=entry["flag"],
        language=remoting.LANGUAGE_NAMES.index(entry["language"]),
        version=entry["version"],
        serialize_type=remoting.SERIALIZE_ROCKETMQ,
    )
    ours = remoting.encode_header(cmd)
    assert len(ours) == len(java_header)
    assert rocketmq_parts(ours) == rocketmq_parts(java_header)
    # ...and what we decoded from Java's frame encodes to the same, minus empty values.
    decoded = remoting.decode_frame(data)
    reencoded = rocketmq_parts(remoting.encode_header(decoded))
    java_parts = rocketmq_parts(java_header)
    assert reencoded[0] == java_parts[0]
    assert reencoded[2] == [item for item in java_parts[2] if item[1]]


@pytest.mark.parametrize(
    "entry",
    [entry for entry in ENTRIES if entry["serialize"] == "JSON"],
    ids=[entry["name"] for entry in ENTRIES if entry["serialize"] == "JSON"],
)
def test_our_json_header_says_what_java_says(entry: dict) -> None:
    data = read_frame(entry)
    (word,) = struct.unpack_from(">I", data, 4)
    java = json.loads(data[8 : 8 + (word & 0xFFFFFF)])
    java.pop("serializeTypeCurrentRPC", None)  # fastjson-only, ignored on input
    ours = json.loads(remoting.encode_header(remoting.decode_frame(data)))
    assert ours == java
