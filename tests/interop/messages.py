"""What the client interop tests share: comparing the messages clients sent and received.

Drivers (Java, Go) print one JSON object per message sent (``event: sent``)
or received (``event: recv``); ``assert_same_messages`` checks one side
against the other.
"""

from __future__ import annotations

import ipaddress
import uuid

# Properties the clients and the broker set themselves (MessageConst); every
# other property is a user property and must arrive exactly as it was sent.
SYSTEM_PROPERTIES = frozenset(
    {
        "KEYS",
        "TAGS",
        "WAIT",
        "DELAY",
        "RETRY_TOPIC",
        "REAL_TOPIC",
        "REAL_QID",
        "TRAN_MSG",
        "PGROUP",
        "MIN_OFFSET",
        "MAX_OFFSET",
        "BUYER_ID",
        "ORIGIN_MESSAGE_ID",
        "TRANSFER_FLAG",
        "CORRECTION_FLAG",
        "MQ2_FLAG",
        "RECONSUME_TIME",
        "MSG_REGION",
        "TRACE_ON",
        "UNIQ_KEY",
        "MAX_RECONSUME_TIMES",
        "CONSUME_START_TIME",
        "TRAN_PREPARED_QUEUE_OFFSET",
        "TRANSACTION_CHECK_TIMES",
        "CHECK_IMMUNITY_TIME_IN_SECONDS",
        "SHARDING_KEY",
        "CLUSTER",
        "INSTANCE_ID",
        "CORRELATION_ID",
        "REPLY_TO_CLIENT",
        "TTL",
        "ARRIVE_TIME",
        "MSG_TYPE",
        "__transactionId__",
        # 5.x timer messages (system properties there, not yet in 4.x clients)
        "TIMER_DELIVER_MS",
        "TIMER_DELAY_SEC",
        "TIMER_DELAY_MS",
        "TIMER_OUT_MS",
        "TIMER_ENQUEUE_MS",
        "TIMER_DEQUEUE_MS",
        "TIMER_ROLL_TIMES",
        "TIMER_DEL_UNIQKEY",
        "TIMER_DELAY_LEVEL",
        "__STARTDELIVERTIME",
    }
)


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def user_props(props: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in props.items() if key not in SYSTEM_PROPERTIES}


def decode_offset_msg_id(offset_msg_id: str) -> tuple[str, int, int]:
    """(store IP, store port, commit log offset) of an IPv4 offsetMsgId."""
    assert len(offset_msg_id) == 32, offset_msg_id
    raw = bytes.fromhex(offset_msg_id)
    ip = str(ipaddress.IPv4Address(raw[:4]))
    return ip, int.from_bytes(raw[4:8], "big"), int.from_bytes(raw[8:], "big")


def assert_same_messages(sent: list[dict], received: list[dict]) -> None:
    """Every delivery equals the sent message with its msgId; all sent arrived once."""
    by_id = {item["msgId"]: item for item in sent}
    assert len(by_id) == len(sent), "producer reported a msgId twice"
    seen: dict[str, int] = {}
    for got in received:
        want = by_id.get(got["msgId"])
        assert want is not None, f"received a message that was never sent: {got}"
        seen[got["msgId"]] = seen.get(got["msgId"], 0) + 1
        assert got["topic"] == want["topic"], got["msgId"]
        assert got["body"] == want["body"], got["msgId"]
        assert got["tags"] == want["tags"], got["msgId"]
        assert got["keys"] == want["keys"], got["msgId"]
        assert user_props(got["props"]) == user_props(want["props"]), got["msgId"]
        assert got["props"].get("UNIQ_KEY") == want["msgId"], got["msgId"]
        if "queueId" in want:  # sync and async sends report where the message went
            assert (got["queueId"], got["queueOffset"]) == (want["queueId"], want["queueOffset"])
        if "offsetMsgId" in want and "offsetMsgId" in got:
            assert got["offsetMsgId"] == want["offsetMsgId"], got["msgId"]
    missing = set(by_id) - set(seen)
    assert not missing, f"{len(missing)} of {len(sent)} sent messages never arrived"
    twice = {msg_id: n for msg_id, n in seen.items() if n > 1}
    assert not twice, f"delivered more than once: {twice}"
