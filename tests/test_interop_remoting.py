"""Interop with the official Java rocketmq-remoting library, both directions.

The Java programs live in tests/interop/java/remoting and are built with Maven
on first use (cached in ~/.m2). A missing JDK or Maven fails these tests.
"""

from __future__ import annotations

import pytest

from rocketmq._core import remoting as codec
from rocketmq._testbase.echo import ECHO, ONEWAY_RECORD, ONEWAY_STATS, EchoProcessors
from rocketmq.remoting import RemotingClient, RemotingCommand, RemotingServer, ServerConfig
from tests.interop import harness

pytestmark = pytest.mark.interop

SERIALIZE = {"JSON": codec.SERIALIZE_JSON, "ROCKETMQ": codec.SERIALIZE_ROCKETMQ}
SCENARIOS = ["sync_header", "sync_empty", "oneway", "big_body", "unsupported", "concurrent"]

# What the Java ClientDriver puts in AllTypesHeader, as strings on the wire.
ALL_TYPES_FIELDS = {
    "stringField": 'h\u00e9llo "quoted" \\ back\nslash \u4e2d\u6587 {}[]:,',
    "propertiesField": "KEYS\x01k1 k2\x02TAGS\x01TagA\x02",
    "intField": "-42",
    "integerField": "2147483647",
    "longField": "-9223372036854775808",
    "longObjField": "1700000000000",
    "boolField": "true",
    "boolObjField": "false",
    "doubleField": "3.5",
}


@pytest.fixture(scope="module")
def java_built() -> str:
    return harness.ensure_built()


@pytest.mark.timeout_s(120)
@pytest.mark.parametrize("serialize", ["JSON", "ROCKETMQ"])
async def test_java_client_calls_our_server(java_built: str, serialize: str) -> None:
    server = RemotingServer(ServerConfig(listen_host="127.0.0.1", listen_port=0))
    echo = EchoProcessors()
    echo.record_requests = True
    echo.install(server)
    async with server:
        rc, out, err = await harness.run_java(
            "ClientDriver", "--addr", f"127.0.0.1:{server.port}", "--serialize", serialize
        )
    assert rc == 0, f"ClientDriver failed:\n{out}\n{err[-3000:]}"
    for name in SCENARIOS:
        assert f"OK {name}" in out.splitlines(), out
    # What our server decoded is exactly what the Java client encoded.
    with_header = [r for r in echo.requests if r.ext_fields and "stringField" in r.ext_fields]
    assert with_header, "the sync_header request never reached our processor"
    request = with_header[0]
    assert request.serialize_type == SERIALIZE[serialize]
    assert request.language == codec.LANGUAGE_JAVA
    assert request.remark == "remark-\u00fc"
    expected = dict(ALL_TYPES_FIELDS)
    if "doubleField" not in request.ext_fields:
        expected.pop("doubleField")
    assert {k: v for k, v in request.ext_fields.items() if k in expected} == expected
    assert echo.oneway_seqs == ["1", "2", "3"]
    big = [r for r in echo.requests if r.body is not None and len(r.body) == 4 * 1024 * 1024]
    assert big and big[0].body == bytes(i % 251 for i in range(4 * 1024 * 1024))


@pytest.mark.timeout_s(120)
@pytest.mark.parametrize("serialize", ["JSON", "ROCKETMQ"])
async def test_our_client_calls_java_server(java_built: str, serialize: str) -> None:
    proc, port = await harness.start_echo_server(serialize)
    addr = f"127.0.0.1:{port}"
    try:
        async with RemotingClient() as client:
            for request_type in (codec.SERIALIZE_JSON, codec.SERIALIZE_ROCKETMQ):
                request = RemotingCommand(
                    ECHO,
                    dict(ALL_TYPES_FIELDS),
                    b"small body",
                    remark="remark-\u00fc",
                    serialize_type=request_type,
                )
                response = await client.invoke(addr, request, 5000)
                assert response.code == 0
                assert response.ext_fields == ALL_TYPES_FIELDS
                assert response.body == b"small body"
                assert response.remark == "remark-\u00fc"

            empty = await client.invoke(addr, RemotingCommand(ECHO), 5000)
            assert empty.code == 0 and empty.body is None

            body = bytes(i % 251 for i in range(4 * 1024 * 1024))
            big = await client.invoke(addr, RemotingCommand(ECHO, body=body), 10000)
            assert big.body == body

            for seq in ("1", "2", "3"):
                await client.invoke_oneway(addr, RemotingCommand(ONEWAY_RECORD, {"seq": seq}))
            stats = await client.invoke(addr, RemotingCommand(ONEWAY_STATS), 5000)
            assert stats.ext_fields["onewayCount"] == "3"
            assert stats.ext_fields["onewaySeqs"] == "1,2,3"

            unsupported = await client.invoke(addr, RemotingCommand(9999), 5000)
            assert unsupported.code == 3
            assert "9999" in unsupported.remark
    finally:
        await harness.stop_process(proc)
