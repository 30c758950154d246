"""Remoting codec and typed header benchmarks: the Cython core against its pure twin.

    .venv/bin/python -m pytest perf/bench_codec.py --benchmark-only

Every workload runs on both twins (imported directly, whatever
ROCKETMQ_PUREPYTHON says); the run ends with a frames-per-second table and
the cython/pure ratio of each workload. pytest-benchmark's JSON output
(--benchmark-json) records the machine and the commit; never run by the suite.
"""

from __future__ import annotations

import pytest

from perf.twins import TWINS, RateTable, load

BATCH_FRAMES = 64

# SEND_MESSAGE_V2 as the 5.x Java producer fills it (SendMessageRequestHeaderV2).
SEND_V2_EXT = {
    "a": "please_rename_unique_group_name",
    "b": "TopicTest",
    "c": "TBW102",
    "d": "4",
    "e": "1",
    "f": "0",
    "g": "1700000000000",
    "h": "0",
    "i": "TAGS\x01TagA\x02KEYS\x01order-1\x02UNIQ_KEY\x017F00000100002A9F0000000000000001\x02"
    "WAIT\x01true\x02",
    "j": "0",
    "k": "false",
    "l": "16",
    "m": "false",
    "n": "broker-a",
}
PULL_EXT = {
    "consumerGroup": "please_rename_unique_group_name_4",
    "topic": "TopicTest",
    "queueId": "2",
    "queueOffset": "12345",
    "maxMsgNums": "32",
    "sysFlag": "7",
    "commitOffset": "12000",
    "suspendTimeoutMillis": "15000",
    "subscription": "TagA || TagB",
    "subVersion": "1700000000000",
    "expressionType": "TAG",
}
BODY = bytes(range(256)) * 4  # 1 KiB

RATES = RateTable("frames per second")


@pytest.fixture(params=TWINS)
def codec(request):
    """(twin, remoting module, headers module) of one twin."""
    return request.param, load(request.param, "remoting"), load(request.param, "headers")


@pytest.fixture(scope="module", autouse=True)
def report(request):
    """Print the rates and the cython/pure ratios once the module is done."""
    yield
    RATES.print(request)


def record(benchmark, workload: str, twin: str, count: int) -> None:
    RATES.record(benchmark, workload, twin, count)


def send_request(module, serialize_type: int):
    return module.RemotingCommand(
        310, dict(SEND_V2_EXT), BODY, opaque=4242, serialize_type=serialize_type
    )


SERIALIZE = pytest.mark.parametrize("serialize", ["json", "rocketmq"])


def serialize_type(module, name: str) -> int:
    return module.SERIALIZE_JSON if name == "json" else module.SERIALIZE_ROCKETMQ


@SERIALIZE
def test_encode_send_request(benchmark, codec, serialize: str) -> None:
    twin, module, _headers = codec
    cmd = send_request(module, serialize_type(module, serialize))
    frame = benchmark(module.encode_frame, cmd)
    assert module.decode_frame(frame).ext_fields == SEND_V2_EXT
    record(benchmark, f"encode send_v2 {serialize}", twin, 1)


@SERIALIZE
def test_feed_one_frame_per_call(benchmark, codec, serialize: str) -> None:
    twin, module, _headers = codec
    frame = module.encode_frame(send_request(module, serialize_type(module, serialize)))
    decoder = module.FrameDecoder()
    commands = benchmark(decoder.feed, frame)
    assert len(commands) == 1 and commands[0].body == BODY
    record(benchmark, f"feed 1 frame {serialize}", twin, 1)


@SERIALIZE
def test_feed_many_frames_per_call(benchmark, codec, serialize: str) -> None:
    twin, module, _headers = codec
    frame = module.encode_frame(send_request(module, serialize_type(module, serialize)))
    decoder = module.FrameDecoder()
    commands = benchmark(decoder.feed, frame * BATCH_FRAMES)
    assert len(commands) == BATCH_FRAMES
    record(benchmark, f"feed {BATCH_FRAMES} frames {serialize}", twin, BATCH_FRAMES)


@SERIALIZE
def test_encode_send_response(benchmark, codec, serialize: str) -> None:
    twin, module, headers = codec
    kind = serialize_type(module, serialize)

    def respond():
        header = headers.SendMessageResponseHeader(
            "7F00000100002A9F0000000000001000", 1, 4096, "7F00000100002A9F0000000000000001"
        )
        ext = header.to_ext_fields()
        ext["MSG_REGION"] = "DefaultRegion"
        ext["TRACE_ON"] = "true"
        return module.encode_frame(
            module.RemotingCommand(0, ext, opaque=4242, flag=1, serialize_type=kind)
        )

    frame = benchmark(respond)
    assert module.decode_frame(frame).ext_fields["queueOffset"] == "4096"
    record(benchmark, f"encode send response {serialize}", twin, 1)


def test_parse_send_request_header(benchmark, codec) -> None:
    twin, _remoting, headers = codec
    header = benchmark(headers.SendMessageRequestHeader.from_ext_fields, SEND_V2_EXT, True)
    assert header.born_timestamp == 1700000000000
    record(benchmark, "SendMessageRequestHeader parse", twin, 1)


def test_parse_pull_request_header(benchmark, codec) -> None:
    twin, _remoting, headers = codec
    header = benchmark(headers.PullMessageRequestHeader.from_ext_fields, PULL_EXT)
    assert header.queue_offset == 12345
    record(benchmark, "PullMessageRequestHeader parse", twin, 1)
