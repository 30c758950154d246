"""rocketmq.common.json_body: compact writing and fastjson-tolerant reading."""

from __future__ import annotations

import pytest

from rocketmq.common import json_body
from rocketmq.common.json_body import JsonBodyError
from rocketmq.errors import ProtocolError


def test_dumps_is_compact_sorted_utf8() -> None:
    out = json_body.dumps({"b": {1: "x", 0: "y", 10: "z"}, "a": "\u00e9\u4e2d", "c": [True, None]})
    assert out == '{"a":"\u00e9\u4e2d","b":{"0":"y","1":"x","10":"z"},"c":[true,null]}'.encode()
    assert json_body.dumps({"b": 1, "a": 2}, sort_keys=False) == b'{"b":1,"a":2}'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Standard JSON takes the fast path.
        (
            '{"a":[1,2.5,-3e2,true,false,null],"b":"\\u0001"}',
            {"a": [1, 2.5, -300.0, True, False, None], "b": "\x01"},
        ),
        # fastjson Map<Long,String>: unquoted numeric keys.
        (
            '{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"}}',
            {"brokerAddrs": {"0": "10.0.0.1:10911", "1": "10.0.0.2:10911"}},
        ),
        (" { 0 : 7 , -1 : 8 } ", {"0": 7, "-1": 8}),
        ("{abc_$:1}", {"abc_$": 1}),
        # Single quotes, with escapes and embedded double quotes.
        ("{'k':'it\\'s \"q\" \\u00e9\\n'}", {"k": 'it\'s "q" \u00e9\n'}),
        # An object as a map key (ResetOffsetBody.offsetTable).
        (
            '{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:123}}',
            {"offsetTable": {'{"brokerName":"b","queueId":0,"topic":"T"}': 123}},
        ),
        ('{[1,2]:"x"}', {"[1,2]": "x"}),
        ("[{}, [], {0:[]}]", [{}, [], {"0": []}]),
    ],
)
def test_loads_reads_fastjson(text: str, expected: object) -> None:
    assert json_body.loads(text) == expected
    assert json_body.loads(text.encode()) == expected


def test_object_keys_parse_back() -> None:
    table = json_body.loads('{{"topic":"T","queueId":1}:5}')
    (key,) = table
    assert json_body.loads(key) == {"queueId": 1, "topic": "T"}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        '{"a":1',
        '{"a" 1}',
        '{"a":1,}x',
        "[1 2]",
        "{:1}",
        "{'a':'unterminated}",
        '{0:"x"} trailing',
        "nope",
        '{0:"\\x"}',
    ],
)
def test_loads_rejects_garbage(text: str) -> None:
    with pytest.raises(JsonBodyError):
        json_body.loads(text)


def test_errors_are_protocol_errors_and_bounded() -> None:
    assert issubclass(JsonBodyError, ProtocolError)
    with pytest.raises(JsonBodyError, match="UTF-8"):
        json_body.loads(b'{"a":"\xff"}')
    deep = "{0:" * (json_body.JSON_DEPTH_MAX + 1) + "1" + "}" * (json_body.JSON_DEPTH_MAX + 1)
    with pytest.raises(JsonBodyError, match="deeper"):
        json_body.loads(deep)
    very_deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(JsonBodyError):
        json_body.loads(very_deep)
