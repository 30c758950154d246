"""Zero-copy replies: file ranges written from the mappings (writev or sendfile), or copied,
arrive byte for byte."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from rocketmq._core import remoting as codec
from rocketmq.remoting import RemotingClient, RemotingCommand, RemotingServer, ServerConfig
from rocketmq.remoting.transfer import (
    SENDFILE_MIN_RANGE_SIZE,
    WRITEV_MAX_BUFFERS,
    FileRange,
    FileRegionResponse,
)

LOOPBACK = "127.0.0.1"
SEGMENT_SIZE = 8 * 1024 * 1024

# Few large ranges go by sendfile; many record-sized ones (more than one
# writev can take) by writev.
LARGE_SPANS = [(0, 100), (4096, 300_000), (5_000_000, 3_000_000), (7_999_999, 1)]
SMALL_SPANS = [(index * 5000 + index % 7, 1000 + index % 300) for index in range(1500)]
SPANS = {"sendfile": LARGE_SPANS, "writev": SMALL_SPANS}


class MappedFixture:
    """A real file with known content, its fd and a mapping of it."""

    def __init__(self, path: Path, size: int) -> None:
        import mmap

        self.data = os.urandom(size)
        path.write_bytes(self.data)
        self.fd = os.open(path, os.O_RDONLY)
        self.map = mmap.mmap(self.fd, size, prot=mmap.PROT_READ)
        self.released = 0

    def ranges(self, spans: list[tuple[int, int]]) -> list[FileRange]:
        view = memoryview(self.map)
        return [
            FileRange(self.fd, start, size, view[start : start + size]) for start, size in spans
        ]

    def expected(self, spans: list[tuple[int, int]]) -> bytes:
        return b"".join(self.data[start : start + size] for start, size in spans)

    def release(self) -> None:
        self.released += 1


def test_the_span_sets_take_the_paths_they_are_named_for() -> None:
    large = sum(size for _, size in LARGE_SPANS)
    assert large >= SENDFILE_MIN_RANGE_SIZE * len(LARGE_SPANS)
    small = sum(size for _, size in SMALL_SPANS)
    assert small < SENDFILE_MIN_RANGE_SIZE * len(SMALL_SPANS)
    assert len(SMALL_SPANS) + 1 > WRITEV_MAX_BUFFERS
    assert max(start + size for start, size in SMALL_SPANS) <= SEGMENT_SIZE


@pytest.mark.parametrize("shape", sorted(SPANS))
@pytest.mark.parametrize("zero_copy", [True, False], ids=["zero_copy", "copy"])
@pytest.mark.parametrize("serialize_type", [codec.SERIALIZE_JSON, codec.SERIALIZE_ROCKETMQ])
async def test_file_ranges_arrive_byte_for_byte(
    tmp_path: Path, shape: str, zero_copy: bool, serialize_type: int
) -> None:
    fixture = MappedFixture(tmp_path / "segment", SEGMENT_SIZE)
    spans = SPANS[shape]

    def pull(connection, request):
        command = RemotingCommand(0, {"nextBeginOffset": "4"})
        return FileRegionResponse(
            command, fixture.ranges(spans), fixture.release, zero_copy=zero_copy
        )

    server = RemotingServer(ServerConfig(listen_host=LOOPBACK, listen_port=0))
    server.register_processor(11, pull)
    async with server, RemotingClient() as client:
        # Several replies in flight at once, so later ones find the buffer busy.
        requests = [
            client.invoke(
                f"{LOOPBACK}:{server.port}",
                RemotingCommand(11, serialize_type=serialize_type),
                10_000,
            )
            for _ in range(6)
        ]
        for response in await asyncio.gather(*requests):
            assert response.code == 0
            assert response.ext_fields == {"nextBeginOffset": "4"}
            assert response.serialize_type == serialize_type
            assert response.body == fixture.expected(spans)
        (connection,) = server.connections
        if zero_copy:
            assert connection.zero_copy_bytes > 0
        else:
            assert connection.zero_copy_bytes == 0
    assert fixture.released == 6


@pytest.mark.parametrize("shape", ["sendfile", "writev"])
async def test_a_slow_reader_gets_every_byte(tmp_path: Path, shape: str) -> None:
    fixture = MappedFixture(tmp_path / "segment", SEGMENT_SIZE)
    # More than the socket buffers hold, so the direct write stops part way.
    spans = [(0, SEGMENT_SIZE)] if shape == "sendfile" else SMALL_SPANS * 4

    def pull(connection, request):
        return FileRegionResponse(RemotingCommand(0), fixture.ranges(spans), fixture.release)

    server = RemotingServer(ServerConfig(listen_host=LOOPBACK, listen_port=0))
    server.register_processor(11, pull)
    async with server:
        reader, writer = await asyncio.open_connection(LOOPBACK, server.port)
        writer.write(codec.encode_frame(RemotingCommand(11, opaque=9)))
        await writer.drain()
        await asyncio.sleep(0.2)  # let the socket buffer fill: the direct write hits EAGAIN
        prefix = await reader.readexactly(4)
        rest = await reader.readexactly(int.from_bytes(prefix, "big"))
        response = codec.decode_frame(prefix + rest)
        assert response.opaque == 9
        assert response.body == fixture.expected(spans)
        (connection,) = server.connections
        # The socket took part of the body directly; the transport carried the rest.
        assert 0 < connection.zero_copy_bytes < len(response.body)
        writer.close()
    assert fixture.released == 1


async def test_a_region_not_sent_is_still_released(tmp_path: Path) -> None:
    fixture = MappedFixture(tmp_path / "segment", 64 * 1024)

    def pull(connection, request):
        return FileRegionResponse(RemotingCommand(0), fixture.ranges([(0, 1000)]), fixture.release)

    server = RemotingServer(ServerConfig(listen_host=LOOPBACK, listen_port=0))
    server.register_processor(11, pull)
    async with server, RemotingClient() as client:
        addr = f"{LOOPBACK}:{server.port}"
        # Oneway: no reply may be sent, but the segments must not stay held.
        await client.invoke_oneway(addr, RemotingCommand(11))
        response = await client.invoke(addr, RemotingCommand(11), 5000)  # ordered after it
        assert response.body == fixture.expected([(0, 1000)])
    assert fixture.released == 2
