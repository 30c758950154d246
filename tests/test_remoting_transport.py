"""The asyncio transport over real loopback sockets."""

from __future__ import annotations

import asyncio
import logging
import struct

import pytest

from rocketmq._core import remoting as codec
from rocketmq._testbase.echo import ECHO, ONEWAY_RECORD, ONEWAY_STATS, EchoProcessors
from rocketmq.errors import (
    BrokerError,
    HeaderError,
    RemotingConnectError,
    RemotingTimeoutError,
    RemotingTooMuchRequestError,
    TopicNotExistError,
)
from rocketmq.remoting import (
    ClientConfig,
    RemotingClient,
    RemotingCommand,
    RemotingServer,
    ServerConfig,
)

LOOPBACK = "127.0.0.1"


def make_server(**overrides) -> tuple[RemotingServer, EchoProcessors]:
    server = RemotingServer(ServerConfig(listen_host=LOOPBACK, listen_port=0, **overrides))
    echo = EchoProcessors()
    echo.install(server)
    return server, echo


def addr_of(server: RemotingServer) -> str:
    return f"{LOOPBACK}:{server.port}"


async def read_frame(reader: asyncio.StreamReader) -> RemotingCommand:
    prefix = await reader.readexactly(4)
    (length,) = struct.unpack(">i", prefix)
    return codec.decode_frame(prefix + await reader.readexactly(length))


@pytest.mark.parametrize("serialize_type", [codec.SERIALIZE_JSON, codec.SERIALIZE_ROCKETMQ])
async def test_echo_round_trip(serialize_type: int) -> None:
    server, _ = make_server()
    async with server, RemotingClient() as client:
        fields = {"topic": "TopicTest", "queueId": "3", "props": "KEYS\x01k1\x02"}
        request = RemotingCommand(
            ECHO, dict(fields), b"payload", remark="r\u00e9", serialize_type=serialize_type
        )
        response = await client.invoke(addr_of(server), request, 3000)
        assert response.code == 0
        assert response.is_response
        assert response.opaque == request.opaque
        assert response.ext_fields == fields
        assert response.body == b"payload"
        assert response.remark == "r\u00e9"
        assert response.serialize_type == serialize_type  # reply in the request's type


async def test_big_body_round_trip() -> None:
    server, _ = make_server()
    async with server, RemotingClient() as client:
        body = bytes(i % 251 for i in range(4 * 1024 * 1024))
        response = await client.invoke(addr_of(server), RemotingCommand(ECHO, body=body), 10000)
        assert response.body == body


async def test_oneway_requests_arrive_in_order() -> None:
    server, echo = make_server()
    async with server, RemotingClient() as client:
        for seq in ("1", "2", "3"):
            await client.invoke_oneway(
                addr_of(server), RemotingCommand(ONEWAY_RECORD, {"seq": seq})
            )
        stats = await client.invoke(addr_of(server), RemotingCommand(ONEWAY_STATS))
        assert stats.ext_fields == {"onewayCount": "3", "onewaySeqs": "1,2,3"}
        assert echo.oneway_seqs == ["1", "2", "3"]


async def test_unknown_code_gets_request_code_not_supported() -> None:
    server, _ = make_server()
    async with server, RemotingClient() as client:
        response = await client.invoke(addr_of(server), RemotingCommand(9999))
        assert response.code == 3
        assert "9999" in response.remark


async def test_concurrent_calls_are_matched_by_opaque() -> None:
    server, _ = make_server()

    async def slow_echo(connection, request):
        # Finish out of order so matching cannot rely on arrival order.
        await asyncio.sleep((int(request.ext_fields["n"]) % 7) / 1000)
        return RemotingCommand(0, request.ext_fields, request.body)

    server.register_processor(9100, slow_echo)
    async with server, RemotingClient() as client:
        calls = [
            client.invoke(addr_of(server), RemotingCommand(9100, {"n": str(n)}, f"b{n}".encode()))
            for n in range(500)
        ]
        responses = await asyncio.gather(*calls)
        for n, response in enumerate(responses):
            assert response.ext_fields == {"n": str(n)}
            assert response.body == f"b{n}".encode()


async def test_handler_errors_become_response_codes(caplog: pytest.LogCaptureFixture) -> None:
    server, _ = make_server()

    def broken(connection, request):
        raise RuntimeError("boom")

    def missing_topic(connection, request):
        raise BrokerError(17, "topic[T] not exist")

    async def bad_header(connection, request):
        raise HeaderError("the custom field <topic> is null")

    server.register_processor(9101, broken)
    server.register_processor(9102, missing_topic)
    server.register_processor(9103, bad_header)
    async with server, RemotingClient() as client:
        with caplog.at_level(logging.ERROR, "rocketmq.remoting"):
            response = await client.invoke(addr_of(server), RemotingCommand(9101))
        assert response.code == 1
        assert "boom" in response.remark
        assert "processor of request code=9101" in caplog.text
        response = await client.invoke(addr_of(server), RemotingCommand(9102))
        assert (response.code, response.remark) == (17, "topic[T] not exist")
        assert isinstance(BrokerError(response.code, response.remark), TopicNotExistError)
        response = await client.invoke(addr_of(server), RemotingCommand(9103))
        assert response.code == 1
        assert "<topic>" in response.remark
        # The connection survived all of it.
        assert (await client.invoke(addr_of(server), RemotingCommand(ECHO))).code == 0


async def test_malformed_frame_closes_only_that_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, _ = make_server()
    async with server, RemotingClient() as client:
        healthy = await client.get_connection(addr_of(server))
        reader, writer = await asyncio.open_connection(LOOPBACK, server.port)
        with caplog.at_level(logging.WARNING, "rocketmq.remoting"):
            # Length 8, header word says type 5: not JSON, not ROCKETMQ.
            writer.write(struct.pack(">iI", 8, (5 << 24) | 4) + b"xxxx")
            await writer.drain()
            assert await reader.read() == b""  # the server closed it
        assert "malformed frame" in caplog.text
        assert "unknown serialize type 5" in caplog.text
        writer.close()
        response = await client.invoke(addr_of(server), RemotingCommand(ECHO, {"k": "v"}))
        assert response.ext_fields == {"k": "v"}
        assert healthy.is_open


@pytest.mark.parametrize(
    "garbage",
    [
        struct.pack(">i", -1),  # negative length
        struct.pack(">i", 16 * 1024 * 1024),  # past the 16 MiB frame limit
        struct.pack(">iI", 6, 100) + b"{}",  # header longer than the frame
        struct.pack(">iI", 6, 2) + b"[]",  # JSON header not an object
        struct.pack(">iI", 7, (1 << 24) | 3) + b"abc",  # ROCKETMQ header too short
    ],
    ids=["negative", "too-big", "header-overflow", "json-array", "short-binary"],
)
async def test_bad_frames_are_rejected(garbage: bytes) -> None:
    server, _ = make_server()
    async with server:
        reader, writer = await asyncio.open_connection(LOOPBACK, server.port)
        writer.write(garbage)
        await writer.drain()
        async with asyncio.timeout(5):
            assert await reader.read() == b""
        writer.close()


async def test_reply_uses_the_request_serialize_type_on_a_raw_socket() -> None:
    server, _ = make_server()
    async with server:
        reader, writer = await asyncio.open_connection(LOOPBACK, server.port)
        for serialize_type in (codec.SERIALIZE_ROCKETMQ, codec.SERIALIZE_JSON):
            request = RemotingCommand(ECHO, {"a": "1"}, opaque=77, serialize_type=serialize_type)
            writer.write(codec.encode_frame(request))
            prefix = await reader.readexactly(8)
            length, word = struct.unpack(">iI", prefix)
            rest = await reader.readexactly(length - 4)
            assert word >> 24 == serialize_type
            response = codec.decode_frame(prefix + rest)
            assert (response.opaque, response.flag, response.code) == (77, 1, 0)
        writer.close()


async def test_idle_connections_are_closed() -> None:
    server, _ = make_server(channel_max_idle_time_s=0.2)
    async with server:
        reader, writer = await asyncio.open_connection(LOOPBACK, server.port)
        async with asyncio.timeout(5):
            assert await reader.read() == b""
        writer.close()
        assert not server.connections


async def test_timeout_is_a_timeout_error() -> None:
    server, _ = make_server()

    async def never(connection, request):
        await asyncio.sleep(3600)

    server.register_processor(9104, never)
    async with server, RemotingClient() as client:
        with pytest.raises(RemotingTimeoutError) as info:
            await client.invoke(addr_of(server), RemotingCommand(9104), 100)
        assert isinstance(info.value, TimeoutError)
        # The late handler does not disturb later calls.
        assert (await client.invoke(addr_of(server), RemotingCommand(ECHO))).code == 0


async def test_connect_failure_is_a_connection_error() -> None:
    server, _ = make_server()
    await server.start()
    port = server.port
    await server.stop()
    async with RemotingClient(ClientConfig(connect_timeout_ms=1000)) as client:
        with pytest.raises(RemotingConnectError) as info:
            await client.invoke(f"{LOOPBACK}:{port}", RemotingCommand(ECHO))
        assert isinstance(info.value, ConnectionError)


async def test_client_reconnects_after_the_server_restarts() -> None:
    server, _ = make_server()
    await server.start()
    port = server.port
    async with RemotingClient() as client:
        addr = f"{LOOPBACK}:{port}"
        assert (await client.invoke(addr, RemotingCommand(ECHO))).code == 0
        await server.stop()
        again = RemotingServer(ServerConfig(listen_host=LOOPBACK, listen_port=port))
        EchoProcessors().install(again)
        async with again:
            response = await client.invoke(addr, RemotingCommand(ECHO, {"x": "y"}))
            assert response.ext_fields == {"x": "y"}


async def test_pending_calls_fail_when_the_connection_drops() -> None:
    server, _ = make_server()

    async def hang_then_drop(connection, request):
        connection.abort("test drops the connection")
        await asyncio.sleep(3600)

    server.register_processor(9105, hang_then_drop)
    async with server, RemotingClient() as client:
        with pytest.raises(RemotingConnectError):
            await client.invoke(addr_of(server), RemotingCommand(9105), 5000)


async def test_server_calls_back_into_the_client() -> None:
    server, _ = make_server()
    seen: list[str] = []

    async def ask_client(connection, request):
        # Like CHECK_TRANSACTION_STATE / GET_CONSUMER_RUNNING_INFO: broker -> client.
        answer = await connection.invoke(RemotingCommand(9200, {"q": "ping"}), 3000)
        return RemotingCommand(0, {"client_said": answer.ext_fields["a"]})

    def client_side(connection, request):
        seen.append(request.ext_fields["q"])
        return RemotingCommand(0, {"a": "pong"})

    server.register_processor(9106, ask_client)
    async with server, RemotingClient() as client:
        client.register_processor(9200, client_side)
        response = await client.invoke(addr_of(server), RemotingCommand(9106))
        assert response.ext_fields == {"client_said": "pong"}
        assert seen == ["ping"]


async def test_stop_cancels_and_awaits_handler_tasks() -> None:
    server, _ = make_server()
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def long_poll(connection, request):
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    server.register_processor(9107, long_poll)
    await server.start()
    client = RemotingClient()
    call = asyncio.ensure_future(client.invoke(addr_of(server), RemotingCommand(9107), 10000))
    await started.wait()
    await server.stop()
    assert cancelled.is_set()
    assert not server.connections
    with pytest.raises(RemotingConnectError):
        await call
    await client.close()


async def test_too_many_requests_in_flight() -> None:
    server, _ = make_server()

    async def never(connection, request):
        await asyncio.sleep(3600)

    server.register_processor(9108, never)
    async with server, RemotingClient(ClientConfig(max_requests_in_flight=2)) as client:
        first = [
            asyncio.ensure_future(client.invoke(addr_of(server), RemotingCommand(9108), 5000))
            for _ in range(2)
        ]
        await asyncio.sleep(0.05)
        with pytest.raises(RemotingTooMuchRequestError):
            await client.invoke(addr_of(server), RemotingCommand(9108), 5000)
        for call in first:
            call.cancel()
        await asyncio.gather(*first, return_exceptions=True)
