"""Typed custom headers and Java number parsing.

The first part runs through whichever twin the switch picked: `make test`
runs it on the Cython core and again with ROCKETMQ_PUREPYTHON=1 on the
pure-Python twin. The last part is differential: the Cython module against
its twin, both imported directly, with the helpers of
test_core_remoting_differential.py. Field types: spec/remoting.md §7.
"""

from __future__ import annotations

import os
import random

import pytest

from rocketmq._core import IMPLEMENTATION, headers
from rocketmq._core._pure import headers as pure_headers
from rocketmq.errors import HeaderError
from tests.test_core_remoting_differential import both, compiled, outcome, random_text


def test_the_switch_picked_the_requested_twin() -> None:
    wanted = "python" if os.environ.get("ROCKETMQ_PUREPYTHON") == "1" else "cython"
    assert wanted == IMPLEMENTATION
    pure_module = "rocketmq._core._pure.headers"
    assert (headers.SendMessageRequestHeader.__module__ == pure_module) == (
        IMPLEMENTATION == "python"
    )


# -- Java number and boolean parsing -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("-5", -5), ("+7", 7), ("00012", 12), ("-0", 0), ("2147483647", 2**31 - 1)],
)
def test_parse_java_int(text: str, value: int) -> None:
    assert headers.parse_java_int(text) == value


@pytest.mark.parametrize(
    "text",
    ["12a", " 12", "12 ", "1_000", "", "+", "-", "1.0", "0x1", "١٢", "2147483648", "-2147483649"],
)
def test_parse_java_int_rejects(text: str) -> None:
    with pytest.raises(HeaderError, match="<queueId>"):
        headers.parse_java_int(text, "queueId")


def test_parse_java_long_range() -> None:
    assert headers.parse_java_long("9223372036854775807") == 2**63 - 1
    assert headers.parse_java_long("-9223372036854775808") == -(2**63)
    assert headers.parse_java_long("2147483648") == 2**31
    for text in ("9223372036854775808", "-9223372036854775809", "1" * 40):
        with pytest.raises(HeaderError):
            headers.parse_java_long(text)


PARSERS = pytest.mark.parametrize("parse", ["parse_java_int", "parse_java_long"])


@PARSERS
@pytest.mark.parametrize(
    "text",
    ["1" * 20, "1" * 5000, "-" + "9" * 5000, "+" + "1" * 4301, "0" * 5000 + "1" * 20],
    ids=["20-digits", "5000-digits", "negative-5000", "plus-4301", "zeros-then-20"],
)
def test_parse_java_numbers_with_many_digits_are_out_of_range(parse: str, text: str) -> None:
    with pytest.raises(HeaderError, match="<queueOffset> is out of range"):
        getattr(headers, parse)(text, "queueOffset")


@PARSERS
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0000000000000000000000001", 1),
        ("0" * 5000 + "1", 1),
        ("-" + "0" * 5000 + "42", -42),
        ("+" + "0" * 700, 0),
        ("-" + "0" * 30 + "2147483648", -(2**31)),
    ],
    ids=["25-digits", "5000-zeros", "negative", "all-zeros", "int-min"],
)
def test_parse_java_numbers_ignore_leading_zeros(parse: str, text: str, value: int) -> None:
    # Java's parseInt/parseLong accept any number of leading zeros.
    assert getattr(headers, parse)(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("TRUE", True), ("True", True), ("false", False), ("yes", False), ("", False)],
)
def test_parse_java_bool(text: str, value: bool) -> None:
    assert headers.parse_java_bool(text) is value


# -- typed headers -------------------------------------------------------------------

SEND_V1 = {
    "producerGroup": "PG",
    "topic": "TopicTest",
    "defaultTopic": "TBW102",
    "defaultTopicQueueNums": "4",
    "queueId": "3",
    "sysFlag": "0",
    "bornTimestamp": "1700000000000",
    "flag": "0",
    "properties": "TAGS\x01TagA\x02",
    "reconsumeTimes": "0",
    "unitMode": "false",
    "maxReconsumeTimes": "16",
    "batch": "TRUE",
}
V2_LETTERS = dict(zip(SEND_V1, "abcdefghijklm", strict=True))
SEND_V2 = {V2_LETTERS[key]: value for key, value in SEND_V1.items()}


def test_send_request_header_v1_and_v2_names() -> None:
    for ext, v2 in ((SEND_V1, False), (SEND_V2, True)):
        header = headers.SendMessageRequestHeader.from_ext_fields(ext, v2)
        assert header.producer_group == "PG"
        assert header.topic == "TopicTest"
        assert header.default_topic_queue_nums == 4
        assert header.queue_id == 3
        assert header.born_timestamp == 1700000000000
        assert header.properties == "TAGS\x01TagA\x02"
        assert header.reconsume_times == 0
        assert header.unit_mode is False
        assert header.max_reconsume_times == 16
        assert header.batch is True
        assert header.broker_name is None
        assert header.to_ext_fields(v2) == {**ext, "batch" if not v2 else "m": "true"}
    with pytest.raises(HeaderError, match="<a>"):
        headers.SendMessageRequestHeader.from_ext_fields(SEND_V1, True)


def test_send_request_header_optional_fields_stay_absent() -> None:
    required = {key: SEND_V2[key] for key in "abcdefgh"}
    header = headers.SendMessageRequestHeader.from_ext_fields(required, True)
    assert (header.properties, header.reconsume_times, header.unit_mode, header.batch) == (
        None,
        None,
        None,
        None,
    )
    assert header.to_ext_fields(True) == required
    assert list(header.to_ext_fields(False)) == list(SEND_V1)[:8]


@pytest.mark.parametrize("missing", ["a", "b", "c", "d", "e", "f", "g", "h"])
def test_send_request_header_required_fields(missing: str) -> None:
    ext = {key: value for key, value in SEND_V2.items() if key != missing}
    with pytest.raises(HeaderError, match=f"<{missing}>"):
        headers.SendMessageRequestHeader.from_ext_fields(ext, True)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("e", "12a"),
        ("e", " 12"),
        ("e", "1_000"),
        ("e", ""),
        ("e", "2147483648"),
        ("g", "9223372036854775808"),
        ("g", "1.5"),
        ("j", "x"),
        ("l", "-2147483649"),
    ],
)
def test_send_request_header_malformed_numbers(key: str, value: str) -> None:
    with pytest.raises(HeaderError, match=f"<{key}>"):
        headers.SendMessageRequestHeader.from_ext_fields({**SEND_V2, key: value}, True)


def test_send_request_header_huge_numbers_are_header_errors() -> None:
    for key in "degh":
        ext = {**SEND_V2, key: "9" * 5000}
        with pytest.raises(HeaderError, match=f"<{key}>"):
            headers.SendMessageRequestHeader.from_ext_fields(ext, True)


@pytest.mark.parametrize(("text", "value"), [("TRUE", True), ("yes", False), ("1", False)])
def test_send_request_header_booleans(text: str, value: bool) -> None:
    header = headers.SendMessageRequestHeader.from_ext_fields({**SEND_V2, "k": text}, True)
    assert header.unit_mode is value


def test_send_request_header_defaults_and_repr() -> None:
    header = headers.SendMessageRequestHeader()
    assert (header.default_topic, header.default_topic_queue_nums) == ("TBW102", 4)
    assert repr(header).startswith("SendMessageRequestHeader(producer_group='', topic=''")


def test_send_response_header() -> None:
    ext = {"msgId": "ABC", "queueId": "1", "queueOffset": "7", "MSG_REGION": "DefaultRegion"}
    header = headers.SendMessageResponseHeader.from_ext_fields(ext)
    assert (header.msg_id, header.queue_id, header.queue_offset) == ("ABC", 1, 7)
    assert header.transaction_id is None and header.batch_uniq_id is None
    assert header.to_ext_fields() == {"msgId": "ABC", "queueId": "1", "queueOffset": "7"}
    full = headers.SendMessageResponseHeader("M", 2, 2**40, "T", "B").to_ext_fields()
    assert full == {
        "msgId": "M",
        "queueId": "2",
        "queueOffset": str(2**40),
        "transactionId": "T",
        "batchUniqId": "B",
    }
    with pytest.raises(HeaderError, match="<queueOffset>"):
        headers.SendMessageResponseHeader.from_ext_fields({"msgId": "M", "queueId": "1"})


def test_send_response_header_repr_shows_every_field() -> None:
    header = headers.SendMessageResponseHeader("M", 2, 7, "T", "B")
    assert repr(header) == (
        "SendMessageResponseHeader(msg_id='M', queue_id=2, queue_offset=7, "
        "transaction_id='T', batch_uniq_id='B')"
    )


PULL = {
    "consumerGroup": "CG",
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


def test_pull_request_header() -> None:
    header = headers.PullMessageRequestHeader.from_ext_fields(PULL)
    assert (header.queue_id, header.queue_offset, header.max_msg_nums) == (2, 12345, 32)
    assert (header.sys_flag, header.commit_offset, header.suspend_timeout_millis) == (
        7,
        12000,
        15000,
    )
    assert (header.subscription, header.sub_version, header.expression_type) == (
        "TagA || TagB",
        1700000000000,
        "TAG",
    )
    assert header.max_msg_bytes is None and header.proxy_forward_client_id is None
    assert header.to_ext_fields() == PULL
    forwarded = headers.PullMessageRequestHeader.from_ext_fields(
        {**PULL, "proxyFrowardClientId": "c1", "maxMsgBytes": "1024"}
    )
    assert (forwarded.proxy_forward_client_id, forwarded.max_msg_bytes) == ("c1", 1024)
    assert headers.PullMessageRequestHeader().max_msg_nums == 32


@pytest.mark.parametrize("missing", ["consumerGroup", "queueOffset", "subVersion"])
def test_pull_request_header_required_fields(missing: str) -> None:
    ext = {key: value for key, value in PULL.items() if key != missing}
    with pytest.raises(HeaderError, match=f"<{missing}>"):
        headers.PullMessageRequestHeader.from_ext_fields(ext)


def test_pull_response_header() -> None:
    header = headers.PullMessageResponseHeader(0, 10, 0, 20)
    ext = header.to_ext_fields()
    assert ext == {
        "suggestWhichBrokerId": "0",
        "nextBeginOffset": "10",
        "minOffset": "0",
        "maxOffset": "20",
    }
    parsed = headers.PullMessageResponseHeader.from_ext_fields({**ext, "topicSysFlag": "3"})
    assert (parsed.next_begin_offset, parsed.max_offset, parsed.topic_sys_flag) == (10, 20, 3)
    assert parsed.offset_delta is None
    with pytest.raises(HeaderError, match="<minOffset>"):
        headers.PullMessageResponseHeader.from_ext_fields({**ext, "minOffset": "-"})


PULL_RESPONSE = {"suggestWhichBrokerId": "0", "nextBeginOffset": "10", "minOffset": "0"}
PULL_RESPONSE["maxOffset"] = "20"


@pytest.mark.parametrize("key", ["topicSysFlag", "groupSysFlag", "forbiddenType"])
def test_pull_response_flags_are_java_integers(key: str) -> None:
    attribute = {"topicSysFlag": "topic_sys_flag", "groupSysFlag": "group_sys_flag"}.get(
        key, "forbidden_type"
    )
    for text, value in (("2147483647", 2**31 - 1), ("-2147483648", -(2**31)), ("0", 0)):
        parsed = headers.PullMessageResponseHeader.from_ext_fields({**PULL_RESPONSE, key: text})
        assert getattr(parsed, attribute) == value
    for text in ("2147483648", "-2147483649", str(2**40)):
        with pytest.raises(HeaderError, match=f"<{key}> is out of range"):
            headers.PullMessageResponseHeader.from_ext_fields({**PULL_RESPONSE, key: text})


def test_pull_response_offsets_are_java_longs() -> None:
    ext = {key: str(2**63 - 1) for key in PULL_RESPONSE} | {"offsetDelta": str(-(2**40))}
    parsed = headers.PullMessageResponseHeader.from_ext_fields(ext)
    offsets = (parsed.suggest_which_broker_id, parsed.next_begin_offset, parsed.min_offset)
    assert offsets == (2**63 - 1,) * 3
    assert (parsed.max_offset, parsed.offset_delta) == (2**63 - 1, -(2**40))
    with pytest.raises(HeaderError, match="<offsetDelta>"):
        headers.PullMessageResponseHeader.from_ext_fields({**ext, "offsetDelta": str(2**63)})


# -- differential: the Cython twin against the pure twin ----------------------------


@pytest.fixture(scope="module")
def cyh():
    return compiled("headers")


HEADER_FIELDS = {
    "SendMessageRequestHeader": (
        "producer_group",
        "topic",
        "default_topic",
        "default_topic_queue_nums",
        "queue_id",
        "sys_flag",
        "born_timestamp",
        "flag",
        "properties",
        "reconsume_times",
        "unit_mode",
        "max_reconsume_times",
        "batch",
        "broker_name",
    ),
    "SendMessageResponseHeader": (
        "msg_id",
        "queue_id",
        "queue_offset",
        "transaction_id",
        "batch_uniq_id",
    ),
    "PullMessageRequestHeader": (
        "consumer_group",
        "topic",
        "queue_id",
        "queue_offset",
        "max_msg_nums",
        "sys_flag",
        "commit_offset",
        "suspend_timeout_millis",
        "subscription",
        "sub_version",
        "expression_type",
        "max_msg_bytes",
        "request_source",
        "proxy_forward_client_id",
    ),
    "PullMessageResponseHeader": (
        "suggest_which_broker_id",
        "next_begin_offset",
        "min_offset",
        "max_offset",
        "offset_delta",
        "topic_sys_flag",
        "group_sys_flag",
        "forbidden_type",
    ),
}


def header_key(header, name: str) -> tuple:
    return tuple((type(getattr(header, f)), getattr(header, f)) for f in HEADER_FIELDS[name])


def test_constructor_defaults_match(cyh) -> None:
    for name in HEADER_FIELDS:
        left, right = getattr(pure_headers, name)(), getattr(cyh, name)()
        assert header_key(right, name) == header_key(left, name)
        assert repr(right) == repr(left)


NUMBER_TEXTS = (
    "0",
    "7",
    "-5",
    "+7",
    "-0",
    "00012",
    "12a",
    " 12",
    "12 ",
    "1_000",
    "",
    "+",
    "-",
    "+-1",
    "1.0",
    "1e3",
    "0x10",
    "٣",
    "\uff11\uff12",  # fullwidth digits
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "0000000000000000000000000000001",
    "1" * 30,
    "1" * 700,
    "1" * 5000,
    "0" * 5000 + "1",
    "-" + "0" * 5000 + "7",
    "+" + "0" * 700,
    "9" * 4400,
    "-" + "9" * 5000,
)
BOOL_TEXTS = (
    "true",
    "TRUE",
    "True",
    "tRuE",
    "false",
    "yes",
    "1",
    "",
    "true ",
    "trueé",
    "\uff54\uff52\uff55\uff45",
)
SEND_KEYS_V1 = (
    "producerGroup",
    "topic",
    "defaultTopic",
    "defaultTopicQueueNums",
    "queueId",
    "sysFlag",
    "bornTimestamp",
    "flag",
    "properties",
    "reconsumeTimes",
    "unitMode",
    "maxReconsumeTimes",
    "batch",
    "brokerName",
)
SEND_KEYS_V2 = tuple("abcdefghijklmn")
SEND_KINDS = "sssiiilisibibs"
PULL_KEYS = (
    ("consumerGroup", "s"),
    ("topic", "s"),
    ("queueId", "i"),
    ("queueOffset", "l"),
    ("maxMsgNums", "i"),
    ("sysFlag", "i"),
    ("commitOffset", "l"),
    ("suspendTimeoutMillis", "l"),
    ("subscription", "s"),
    ("subVersion", "l"),
    ("expressionType", "s"),
    ("maxMsgBytes", "i"),
    ("requestSource", "i"),
    ("proxyFrowardClientId", "s"),
)
SEND_RESPONSE_KEYS = (
    ("msgId", "s"),
    ("queueId", "i"),
    ("queueOffset", "l"),
    ("transactionId", "s"),
    ("batchUniqId", "s"),
)
PULL_RESPONSE_KEYS = (
    ("suggestWhichBrokerId", "l"),
    ("nextBeginOffset", "l"),
    ("minOffset", "l"),
    ("maxOffset", "l"),
    ("offsetDelta", "l"),
    ("topicSysFlag", "i"),
    ("groupSysFlag", "i"),
    ("forbiddenType", "i"),
)


def random_field(rng: random.Random, kind: str):
    """A value for one ext field: mostly valid, sometimes missing or malformed."""
    roll = rng.random()
    if roll < 0.08:
        return None
    if roll < 0.1:
        return rng.choice([5, b"12", ["x"]])  # not a str at all
    if kind == "s":
        return random_text(rng)
    if kind == "b":
        return rng.choice(BOOL_TEXTS)
    if roll < 0.5:
        return rng.choice(NUMBER_TEXTS)
    bits = 31 if kind == "i" else 63
    return str(rng.randint(-(2**bits), 2**bits - 1))


def random_ext(rng: random.Random, keys) -> dict:
    ext = {}
    for key, kind in keys:
        value = random_field(rng, kind)
        if value is not None:
            ext[key] = value
    if rng.random() < 0.2:
        ext["unknownKey"] = "x"
    return ext


def check_header(cyh, name: str, ext, *args) -> None:
    pure_class, cy_class = getattr(pure_headers, name), getattr(cyh, name)
    left = outcome(pure_class.from_ext_fields, ext, *args)
    right = outcome(cy_class.from_ext_fields, ext, *args)
    if left[0] == "raise" or right[0] == "raise":
        assert left == right, (name, ext, args)
        if isinstance(ext, dict) and all(type(value) is str for value in ext.values()):
            # What a decoder hands over (str values only) fails as a HeaderError.
            assert issubclass(left[1], HeaderError), (name, ext, left)
        return
    assert header_key(left[1], name) == header_key(right[1], name), (name, ext)
    assert repr(left[1]) == repr(right[1])
    exported = [outcome(h.to_ext_fields, *args) for h in (left[1], right[1])]
    assert exported[0] == exported[1]
    if exported[0][0] == "ok":
        assert list(exported[0][1]) == list(exported[1][1])  # key order


def test_typed_headers_match_on_random_ext_fields(cyh) -> None:
    rng = random.Random(99)
    send_v1 = tuple(zip(SEND_KEYS_V1, SEND_KINDS, strict=True))
    send_v2 = tuple(zip(SEND_KEYS_V2, SEND_KINDS, strict=True))
    for _ in range(1500):
        check_header(cyh, "SendMessageRequestHeader", random_ext(rng, send_v1), False)
        check_header(cyh, "SendMessageRequestHeader", random_ext(rng, send_v2), True)
        check_header(cyh, "SendMessageRequestHeader", random_ext(rng, send_v2), 1)
        check_header(cyh, "SendMessageResponseHeader", random_ext(rng, SEND_RESPONSE_KEYS))
        check_header(cyh, "PullMessageRequestHeader", random_ext(rng, PULL_KEYS))
        check_header(cyh, "PullMessageResponseHeader", random_ext(rng, PULL_RESPONSE_KEYS))


def test_typed_headers_match_on_valid_ext_fields(cyh) -> None:
    rng = random.Random(3)
    accepted = 0
    for _ in range(500):
        ext = {
            key: random_field(rng, kind) for key, kind in zip(SEND_KEYS_V2, SEND_KINDS, strict=True)
        }
        ext = {k: v if type(v) is str else "1" for k, v in ext.items()}
        for key, kind in zip(SEND_KEYS_V2, SEND_KINDS, strict=True):
            if kind in "il":
                ext[key] = str(rng.randint(-(2**31), 2**31 - 1))
        check_header(cyh, "SendMessageRequestHeader", ext, True)
        accepted += pure_headers.SendMessageRequestHeader.from_ext_fields(ext, True) is not None
    assert accepted == 500


def test_typed_headers_accept_other_mappings_alike(cyh) -> None:
    class Fields(dict):
        def get(self, key, default=None):
            return super().get(key.upper(), default)

    ext = Fields({"MSGID": "m", "QUEUEID": "1", "QUEUEOFFSET": "2"})
    check_header(cyh, "SendMessageResponseHeader", ext)
    check_header(cyh, "SendMessageResponseHeader", {"msgId": "m", "queueId": "1"})
    check_header(cyh, "SendMessageResponseHeader", None)


@pytest.mark.parametrize("text", [*NUMBER_TEXTS, None, 5, b"12", 1.0])
def test_java_number_parsers_match(cyh, text) -> None:
    for name in ("parse_java_int", "parse_java_long"):
        both(cyh, name, text)
        both(cyh, name, text, "someKey")


@pytest.mark.parametrize("text", [*BOOL_TEXTS, None, 5, b"TRUE", "İ"])
def test_java_bool_parser_matches(cyh, text) -> None:
    both(cyh, "parse_java_bool", text)


def test_differential_errors_are_the_documented_classes(cyh) -> None:
    # Guards the comparisons above against two twins agreeing on a wrong type.
    with pytest.raises(HeaderError):
        cyh.parse_java_int("12a")
