"""SQL92 filtering in the broker: store hook, pull checks and codes, heartbeat filters,
CHECK_CLIENT_CONFIG and long polling (semantics.md §5 and §9)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from rocketmq.broker.client_manager import SubscriptionData
from rocketmq.broker.config import BrokerConfig, broker_config_from_properties
from rocketmq.broker.filter import ConsumerFilterManager
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.filter import compile_selector
from rocketmq.remoting import RemotingClient
from rocketmq.store.status import GetMessageStatus
from tests.interop.harness import poll_until
from tests.test_broker_base import (
    FLAG_SUBSCRIPTION,
    FLAG_SUSPEND,
    RemotingCommand,
    addr_of,
    properties,
    pull_request,
    running_broker,
    send_request,
    split_records,
)

TOPIC = "SqlTopic"
SQL92 = "SQL92"


async def send_indexed(client: RemotingClient, addr: str, count: int, first: int = 0) -> None:
    """Messages u_index = first .. first+count-1 on queue 0, TagA for even indexes."""
    for index in range(first, first + count):
        tags = "TagA" if index % 2 == 0 else "TagB"
        props = properties(tags, u_index=str(index))
        await client.invoke(addr, send_request(TOPIC, b"m%d" % index, props=props))


def sql_pull(offset: int, expression: str | None, **kwargs) -> RemotingCommand:
    return pull_request(TOPIC, 0, offset, subscription=expression, expression_type=SQL92, **kwargs)


def indexes(response: RemotingCommand) -> list[int]:
    return [int(record.properties_dict()["u_index"]) for record in split_records(response.body)]


def heartbeat(group: str, expression: str, sub_version: int, kind: str = SQL92) -> RemotingCommand:
    subscription = {
        "classFilterMode": False,
        "codeSet": [],
        "expressionType": kind,
        "subString": expression,
        "subVersion": sub_version,
        "tagsSet": [],
        "topic": TOPIC,
    }
    body = {
        "clientID": "127.0.0.1@sql",
        "consumerDataSet": [
            {
                "consumeFromWhere": "CONSUME_FROM_FIRST_OFFSET",
                "consumeType": "CONSUME_PASSIVELY",
                "groupName": group,
                "messageModel": "CLUSTERING",
                "subscriptionDataSet": [subscription],
                "unitMode": False,
            }
        ],
        "producerDataSet": [],
    }
    return RemotingCommand(RequestCode.HEART_BEAT, body=json.dumps(body).encode())


def check_client(expression: str | None, kind: str = SQL92) -> RemotingCommand:
    body = {"clientId": "127.0.0.1@sql", "group": "CG"}
    if expression is not None:
        body["subscriptionData"] = {
            "classFilterMode": False,
            "codeSet": [],
            "expressionType": kind,
            "subString": expression,
            "subVersion": 1,
            "tagsSet": [],
            "topic": TOPIC,
        }
    return RemotingCommand(RequestCode.CHECK_CLIENT_CONFIG, body=json.dumps(body).encode())


async def test_store_reads_properties_for_the_filter(tmp_path: Path) -> None:
    async with running_broker(tmp_path) as broker, RemotingClient() as client:
        await send_indexed(client, addr_of(broker), 10)
        store = broker.store
        assert store is not None
        middle = compile_selector("u_index >= 3 AND u_index < 6").matches

        result = store.get_message(TOPIC, 0, 0, 32, message_filter=middle)
        assert result.status is GetMessageStatus.FOUND
        assert result.message_queue_offsets == [3, 4, 5]
        assert result.next_begin_offset == 10  # every unit was looked at
        result.release()

        # The batch limit counts delivered messages; the unit that would overflow
        # it is not consumed.
        result = store.get_message(TOPIC, 0, 0, 2, message_filter=middle)
        assert result.message_queue_offsets == [3, 4]
        assert result.next_begin_offset == 5
        result.release()

        # One byte allowed: the first match is still delivered, alone.
        result = store.get_message(TOPIC, 0, 4, 32, max_bytes=1, message_filter=middle)
        assert (result.message_queue_offsets, result.next_begin_offset) == ([4], 5)
        result.release()

        nothing = store.get_message(TOPIC, 0, 2, 32, message_filter=lambda _props: False)
        assert nothing.status is GetMessageStatus.NO_MATCHED_MESSAGE
        assert (nothing.next_begin_offset, nothing.segments) == (10, [])

        # Offset statuses come before any filtering.
        overflow = store.get_message(TOPIC, 0, 10, 32, message_filter=middle)
        assert overflow.status is GetMessageStatus.OFFSET_OVERFLOW_ONE

        assert store.read_properties(TOPIC, 0, 7)["u_index"] == "7"
        assert store.read_properties(TOPIC, 0, 10) is None
        assert store.read_properties("NoTopic", 0, 0) is None


async def test_pull_with_subscription_flag(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path, enable_property_filter=True) as broker,
        RemotingClient() as client,
    ):
        addr = addr_of(broker)
        await send_indexed(client, addr, 10)
        response = await client.invoke(
            addr, sql_pull(0, "u_index BETWEEN 3 AND 7 AND TAGS IN ('TagA')")
        )
        assert response.code == ResponseCode.SUCCESS
        assert indexes(response) == [4, 6]
        assert response.ext_fields["nextBeginOffset"] == "10"

        missing = await client.invoke(addr, sql_pull(0, "no_such_property = 'x'"))
        assert missing.code == ResponseCode.PULL_RETRY_IMMEDIATELY  # 20: nothing matched
        assert missing.ext_fields["nextBeginOffset"] == "10"

        # A property that is not a number makes the comparison throw: no match.
        text = await client.invoke(addr, sql_pull(0, "TAGS > 1"))
        assert text.code == ResponseCode.PULL_RETRY_IMMEDIATELY

        invalid = await client.invoke(addr, sql_pull(0, "u_index >"))
        assert invalid.code == ResponseCode.SUBSCRIPTION_PARSE_FAILED
        assert "line 1, column 10" in invalid.remark

        empty = await client.invoke(addr, sql_pull(0, None))
        assert empty.code == ResponseCode.SUBSCRIPTION_PARSE_FAILED

        # TAG pulls are untouched.
        tags = await client.invoke(addr, pull_request(TOPIC, 0, 0, subscription="TagB"))
        assert indexes(tags) == [1, 3, 5, 7, 9]


async def test_sql_refused_without_enable_property_filter(tmp_path: Path) -> None:
    async with running_broker(tmp_path) as broker, RemotingClient() as client:
        addr = addr_of(broker)
        await send_indexed(client, addr, 2)
        for expression in ("u_index = 1", "not valid at all ("):
            response = await client.invoke(addr, sql_pull(0, expression))
            assert response.code == ResponseCode.SYSTEM_ERROR
            assert response.remark == (
                "The broker does not support consumer to filter message by SQL92"
            )
        check = await client.invoke(addr, check_client("u_index = 1"))
        assert check.code == ResponseCode.SYSTEM_ERROR
        assert "does not support consumer to filter message by SQL92" in check.remark

        # From a heartbeat: a filter that compiled still meets the switch (1); one that
        # did not is missing first (27), in upstream's order.
        assert (await client.invoke(addr, heartbeat("G_ok", "u_index = 1", 1))).code == 0
        assert (await client.invoke(addr, heartbeat("G_bad", "u_index =", 1))).code == 0
        ok = await client.invoke(addr, sql_pull(0, None, group="G_ok", sys_flag=0, sub_version=1))
        assert ok.code == ResponseCode.SYSTEM_ERROR
        bad = await client.invoke(addr, sql_pull(0, None, group="G_bad", sys_flag=0, sub_version=1))
        assert bad.code == ResponseCode.FILTER_DATA_NOT_EXIST


async def test_heartbeat_filters_serve_pulls(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path, enable_property_filter=True) as broker,
        RemotingClient() as client,
    ):
        addr = addr_of(broker)
        await send_indexed(client, addr, 6)

        async def pull_as(group: str, sub_version: int) -> RemotingCommand:
            return await client.invoke(
                addr, sql_pull(0, None, group=group, sys_flag=0, sub_version=sub_version)
            )

        assert (await client.invoke(addr, heartbeat("G", "u_index > 3", 1))).code == 0
        response = await pull_as("G", 1)
        assert indexes(response) == [4, 5]

        # A bad expression does not fail the heartbeat; the pull says 27.
        assert (await client.invoke(addr, heartbeat("G_bad", "u_index >", 1))).code == 0
        assert (await pull_as("G_bad", 1)).code == ResponseCode.FILTER_DATA_NOT_EXIST

        # A newer version recompiles; an older one changes nothing.
        assert (await client.invoke(addr, heartbeat("G", "u_index < 2", 2))).code == 0
        assert indexes(await pull_as("G", 2)) == [0, 1]
        assert (await client.invoke(addr, heartbeat("G", "u_index = 5", 1))).code == 0
        assert indexes(await pull_as("G", 2)) == [0, 1]
        # The pull is newer than what the broker knows.
        assert (await pull_as("G", 3)).code == ResponseCode.SUBSCRIPTION_NOT_LATEST
        # A newer version that does not compile drops the old filter too.
        assert (await client.invoke(addr, heartbeat("G", "u_index <", 3))).code == 0
        assert (await pull_as("G", 3)).code == ResponseCode.FILTER_DATA_NOT_EXIST


def test_enable_property_filter_is_an_upstream_key() -> None:
    assert not BrokerConfig().enable_property_filter
    config = broker_config_from_properties({"enablePropertyFilter": "true"})
    assert config.enable_property_filter


def test_consumer_filter_manager_versions() -> None:
    manager = ConsumerFilterManager()

    def subscription(expression: str, version: int, kind: str = SQL92) -> SubscriptionData:
        return SubscriptionData.build(TOPIC, expression, kind, version)

    manager.register("G", [subscription("a = 1", 5)])
    first = manager.get(TOPIC, "G")
    assert first is not None and first.client_version == 5
    manager.register("G", [subscription("a = 2", 5)])  # same version: ignored
    assert manager.get(TOPIC, "G") is first and first.expression == "a = 1"
    manager.register("G", [subscription("a = 1", 6)])  # same expression: version only
    assert manager.get(TOPIC, "G") is first and first.client_version == 6
    manager.register("G", [subscription("a = 2", 7)])
    assert manager.get(TOPIC, "G").expression == "a = 2"
    manager.register("G", [subscription("*", 8, "TAG")])  # TAG: no filter data change
    assert manager.get(TOPIC, "G").expression == "a = 2"
    manager.register("G", [])  # topic no longer subscribed
    assert manager.get(TOPIC, "G") is None
    manager.register("G", [subscription("a = 1", 9)])
    manager.unregister("G")
    assert manager.get(TOPIC, "G") is None


async def test_check_client_config(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path, enable_property_filter=True) as broker,
        RemotingClient() as client,
    ):
        addr = addr_of(broker)
        assert (await client.invoke(addr, check_client("a = 1 AND b IS NULL"))).code == 0
        assert (await client.invoke(addr, check_client("TagA", kind="TAG"))).code == 0
        assert (await client.invoke(addr, check_client(None))).code == 0
        bad = await client.invoke(addr, check_client("a = 1 AND (b > 'x')"))
        assert bad.code == ResponseCode.SUBSCRIPTION_PARSE_FAILED
        assert bad.remark.startswith("Invalid MessageSelector. Value ''x'' cannot be compared.")
        assert "line 1, column 14" in bad.remark
        unknown = await client.invoke(addr, check_client("x", kind="GROOVY"))
        assert unknown.code == ResponseCode.SUBSCRIPTION_PARSE_FAILED


@pytest.mark.timeout_s(20)
async def test_long_polling_wakes_only_for_matching_messages(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path, enable_property_filter=True) as broker,
        RemotingClient() as client,
    ):
        addr = addr_of(broker)
        await send_indexed(client, addr, 2)
        flags = FLAG_SUBSCRIPTION | FLAG_SUSPEND
        loop = asyncio.get_running_loop()

        begin = loop.time()
        held = asyncio.ensure_future(
            client.invoke(addr, sql_pull(2, "u_index = 7", sys_flag=flags, suspend_ms=8000), 15000)
        )
        await poll_until(lambda: broker.hold_service.held_count == 1, "held pull")
        await send_indexed(client, addr, 1, first=5)  # does not match: keeps waiting
        await asyncio.sleep(0.3)
        assert not held.done() and broker.hold_service.held_count == 1
        await send_indexed(client, addr, 2, first=6)  # 7 matches
        response = await held
        assert loop.time() - begin < 6  # woken by the arrival, not the 8 s deadline
        assert response.code == ResponseCode.SUCCESS
        assert indexes(response) == [7]
        assert response.ext_fields["nextBeginOffset"] == "5"  # units 2..4 scanned

        # Only non-matching arrivals: the deadline answers, and it answers 20 with the
        # skipped units consumed, so the consumer moves on.
        begin = time.monotonic()
        held = asyncio.ensure_future(
            client.invoke(addr, sql_pull(5, "u_index = 100", sys_flag=flags, suspend_ms=2000))
        )
        await poll_until(lambda: broker.hold_service.held_count == 1, "held pull")
        await send_indexed(client, addr, 1, first=50)
        response = await held
        assert time.monotonic() - begin >= 1.9
        assert response.code == ResponseCode.PULL_RETRY_IMMEDIATELY
        assert response.ext_fields["nextBeginOffset"] == "6"
        assert broker.hold_service.held_count == 0
