"""Send and pull through a real broker over loopback sockets."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from rocketmq._core import message as msgfmt
from rocketmq.broker.processor.send import SEND_RESPONSE_EXT
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.remoting import RemotingClient
from tests.interop.harness import poll_until
from tests.test_broker_base import (
    FLAG_SUBSCRIPTION,
    FLAG_SUSPEND,
    addr_of,
    properties,
    pull_request,
    running_broker,
    send_request,
    split_records,
)

TOPIC = "TopicTest"


async def test_send_v1_v2_batch_then_pull_back(tmp_path: Path) -> None:
    async with running_broker(tmp_path) as broker, RemotingClient() as client:
        addr = addr_of(broker)
        responses = []
        for code, body in (
            (RequestCode.SEND_MESSAGE, b"one"),
            (RequestCode.SEND_MESSAGE_V2, b"two"),
        ):
            request = send_request(
                TOPIC, body, code=code, props=properties("TagA", UNIQ_KEY=f"U{code}")
            )
            responses.append(await client.invoke(addr, request))
        batch_body = msgfmt.encode_batch_body(
            [(0, f"batch-{n}".encode(), properties("TagB", KEYS=f"k{n}")) for n in range(3)]
        )
        responses.append(
            await client.invoke(
                addr, send_request(TOPIC, batch_body, code=RequestCode.SEND_BATCH_MESSAGE)
            )
        )
        for response in responses:
            assert response.code == ResponseCode.SUCCESS, response.remark
            for key, value in SEND_RESPONSE_EXT.items():
                assert response.ext_fields[key] == value
            assert response.ext_fields["queueId"] == "0"
        assert [r.ext_fields["queueOffset"] for r in responses] == ["0", "1", "2"]
        assert responses[0].ext_fields["transactionId"] == f"U{RequestCode.SEND_MESSAGE}"
        batch_ids = responses[2].ext_fields["msgId"].split(",")
        assert len(batch_ids) == 3
        host, port, physical = msgfmt.decode_offset_msg_id(responses[0].ext_fields["msgId"])
        assert (host, port, physical) == (bytes([127, 0, 0, 1]), broker.port, 0)

        pulled = await client.invoke(addr, pull_request(TOPIC, 0, 0))
        assert pulled.code == ResponseCode.SUCCESS
        fields = pulled.ext_fields
        assert (fields["nextBeginOffset"], fields["minOffset"], fields["maxOffset"]) == (
            "5",
            "0",
            "5",
        )
        assert fields["suggestWhichBrokerId"] == "0"
        stored = broker.store.get_message(TOPIC, 0, 0, 32)
        try:
            assert pulled.body == b"".join(bytes(v) for v in stored.views())
        finally:
            stored.release()
        records = split_records(pulled.body)
        assert [r.body for r in records] == [b"one", b"two", b"batch-0", b"batch-1", b"batch-2"]
        assert [r.queue_offset for r in records] == [0, 1, 2, 3, 4]
        assert {r.topic for r in records} == {TOPIC}
        assert [r.tags for r in records] == ["TagA", "TagA", "TagB", "TagB", "TagB"]
        assert records[3].keys == ["k1"]
        assert records[0].properties_dict()["CLUSTER"] == "DefaultCluster"
        assert records[0].store_host == (bytes([127, 0, 0, 1]), broker.port)
        assert records[0].born_host[0] == bytes([127, 0, 0, 1])
        assert records[0].msg_id == responses[0].ext_fields["msgId"]


async def test_random_queue_and_auto_created_topic(tmp_path: Path) -> None:
    async with running_broker(tmp_path) as broker, RemotingClient() as client:
        seen = set()
        for n in range(20):
            response = await client.invoke(
                addr_of(broker), send_request("AutoTopic", b"x%d" % n, queue_id=-1)
            )
            assert response.code == ResponseCode.SUCCESS
            seen.add(int(response.ext_fields["queueId"]))
        topic = broker.topic_config_manager.select("AutoTopic")
        assert topic is not None and topic.write_queue_nums == 4 and topic.perm == 6
        assert seen <= {0, 1, 2, 3} and len(seen) > 1


async def test_tag_filtering(tmp_path: Path) -> None:
    async with running_broker(tmp_path) as broker, RemotingClient() as client:
        addr = addr_of(broker)
        for n in range(10):
            tag = "TagA" if n % 2 == 0 else "TagB"
            await client.invoke(addr, send_request(TOPIC, b"m%d" % n, tags=tag))
        pulled = await client.invoke(addr, pull_request(TOPIC, 0, 0, subscription="TagA"))
        assert pulled.code == ResponseCode.SUCCESS
        records = split_records(pulled.body)
        assert [r.body for r in records] == [b"m0", b"m2", b"m4", b"m6", b"m8"]
        assert pulled.ext_fields["nextBeginOffset"] == "10"  # skipped units count
        both = await client.invoke(addr, pull_request(TOPIC, 0, 0, subscription="TagB || TagA"))
        assert len(split_records(both.body)) == 10
        none = await client.invoke(addr, pull_request(TOPIC, 0, 0, subscription="TagZ"))
        assert none.code == ResponseCode.PULL_RETRY_IMMEDIATELY
        assert none.ext_fields["nextBeginOffset"] == "10"


async def test_pull_offset_statuses(tmp_path: Path) -> None:
    async with running_broker(tmp_path) as broker, RemotingClient() as client:
        addr = addr_of(broker)

        async def pull(queue_offset: int) -> tuple[int, str, str, str]:
            response = await client.invoke(addr, pull_request(TOPIC, 1, queue_offset))
            fields = response.ext_fields
            return (
                response.code,
                fields["nextBeginOffset"],
                fields["minOffset"],
                fields["maxOffset"],
            )

        await client.invoke(addr, send_request(TOPIC, b"creates the topic", queue_id=0))
        # Unknown queue: 19 at offset 0, 21 elsewhere; next offset 0.
        assert await pull(0) == (ResponseCode.PULL_NOT_FOUND, "0", "0", "0")
        assert await pull(5) == (ResponseCode.PULL_OFFSET_MOVED, "0", "0", "0")
        for n in range(3):
            await client.invoke(addr, send_request(TOPIC, b"x%d" % n, queue_id=1))
        assert (await pull(1))[:2] == (ResponseCode.SUCCESS, "3")
        assert await pull(3) == (ResponseCode.PULL_NOT_FOUND, "3", "0", "3")
        # Overflow badly: upstream corrects to the min offset while it is 0, else the max.
        assert await pull(10) == (ResponseCode.PULL_OFFSET_MOVED, "0", "0", "3")


async def test_pull_validation(tmp_path: Path) -> None:
    async with running_broker(tmp_path, auto_create_subscription_group=False) as broker:
        async with RemotingClient() as client:
            addr = addr_of(broker)
            await client.invoke(addr, send_request(TOPIC, b"x"))
            no_group = await client.invoke(addr, pull_request(TOPIC, 0, 0, group="Nobody"))
            assert no_group.code == ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST
            group = "TOOLS_CONSUMER"  # a system group exists without auto-create
            no_topic = await client.invoke(addr, pull_request("NoSuchTopic", 0, 0, group=group))
            assert no_topic.code == ResponseCode.TOPIC_NOT_EXIST
            bad_queue = await client.invoke(addr, pull_request(TOPIC, 99, 0, group=group))
            assert bad_queue.code == ResponseCode.SYSTEM_ERROR
            assert "queueId[99] is illegal" in bad_queue.remark
            # No subscription in the request and no heartbeat yet.
            no_sub = await client.invoke(
                addr, pull_request(TOPIC, 0, 0, group=group, sys_flag=0, subscription=None)
            )
            assert no_sub.code == ResponseCode.SUBSCRIPTION_NOT_EXIST


@pytest.mark.timeout_s(20)
async def test_long_polling_wakes_on_arrival_and_times_out(tmp_path: Path) -> None:
    async with running_broker(tmp_path) as broker, RemotingClient() as client:
        addr = addr_of(broker)
        await client.invoke(addr, send_request(TOPIC, b"first"))
        flags = FLAG_SUBSCRIPTION | FLAG_SUSPEND
        loop = asyncio.get_running_loop()

        begin = loop.time()
        held = asyncio.ensure_future(
            client.invoke(addr, pull_request(TOPIC, 0, 1, sys_flag=flags, suspend_ms=8000), 15000)
        )
        await poll_until(lambda: broker.hold_service.held_count == 1, "held pull")
        assert not held.done()
        await client.invoke(addr, send_request(TOPIC, b"second"))
        response = await held
        assert loop.time() - begin < 6  # woken by the arrival, not the 8 s deadline
        assert response.code == ResponseCode.SUCCESS
        assert [r.body for r in split_records(response.body)] == [b"second"]

        # A message the filter rejects does not wake the pull; the timeout answers 19.
        begin = time.monotonic()
        held = asyncio.ensure_future(
            client.invoke(
                addr,
                pull_request(TOPIC, 0, 2, sys_flag=flags, subscription="TagZ", suspend_ms=2000),
            )
        )
        await poll_until(lambda: broker.hold_service.held_count == 1, "held pull")
        await client.invoke(addr, send_request(TOPIC, b"third", tags="TagA"))
        response = await held
        assert time.monotonic() - begin >= 1.9
        assert response.code == ResponseCode.PULL_RETRY_IMMEDIATELY  # TagA unit scanned, skipped
        assert response.ext_fields["nextBeginOffset"] == "3"

        begin = time.monotonic()
        response = await client.invoke(
            addr, pull_request(TOPIC, 0, 3, sys_flag=flags, suspend_ms=300)
        )
        assert response.code == ResponseCode.PULL_NOT_FOUND
        assert time.monotonic() - begin >= 0.25
        assert broker.hold_service.held_count == 0


async def test_bad_sends(tmp_path: Path) -> None:
    overrides = {"auto_create_topic_enable": False, "message_size_max": 1024}
    async with running_broker(tmp_path, **overrides) as broker, RemotingClient() as client:
        addr = addr_of(broker)
        missing = await client.invoke(addr, send_request("NotCreated", b"x"))
        assert missing.code == ResponseCode.TOPIC_NOT_EXIST
        assert "NotCreated" in missing.remark
        assert broker.topic_config_manager.select("TBW102") is None

        broker.topic_config_manager.create_in_send_back(TOPIC, 4)
        too_big = await client.invoke(addr, send_request(TOPIC, b"x" * 1025))
        assert too_big.code == ResponseCode.MESSAGE_ILLEGAL
        forbidden = await client.invoke(addr, send_request("SCHEDULE_TOPIC_XXXX", b"x"))
        assert forbidden.code == ResponseCode.NO_PERMISSION
        bad_queue = await client.invoke(addr, send_request(TOPIC, b"x", queue_id=4))
        assert bad_queue.code == ResponseCode.INVALID_PARAMETER

        malformed = send_request(TOPIC, b"x")
        malformed.ext_fields["e"] = "zero"
        response = await client.invoke(addr, malformed)
        assert response.code == ResponseCode.SYSTEM_ERROR
        assert "<e>" in response.remark and "zero" in response.remark
        no_topic = send_request(TOPIC, b"x")
        del no_topic.ext_fields["b"]
        response = await client.invoke(addr, no_topic)
        assert response.code == ResponseCode.SYSTEM_ERROR and "<b>" in response.remark
        bad_batch = send_request(TOPIC, b"\x00\x00\x00\x50abc", code=RequestCode.SEND_BATCH_MESSAGE)
        response = await client.invoke(addr, bad_batch)
        assert response.code == ResponseCode.MESSAGE_ILLEGAL

        # Nothing above was stored; the next good send lands at offset 0 and reads back.
        good = await client.invoke(addr, send_request(TOPIC, b"good"))
        assert good.code == ResponseCode.SUCCESS and good.ext_fields["queueOffset"] == "0"
        pulled = await client.invoke(addr, pull_request(TOPIC, 0, 0))
        assert [r.body for r in split_records(pulled.body)] == [b"good"]


async def test_read_only_broker_refuses_sends(tmp_path: Path) -> None:
    async with running_broker(tmp_path, broker_permission=4) as broker, RemotingClient() as client:
        response = await client.invoke(addr_of(broker), send_request(TOPIC, b"x"))
        assert response.code == ResponseCode.NO_PERMISSION
        assert broker.store.commit_log.max_offset == 0


@pytest.mark.parametrize("transfer_msg_by_heap", [False, True], ids=["sendfile", "heap"])
async def test_pull_body_by_sendfile_or_copy_is_the_stored_bytes(
    tmp_path: Path, transfer_msg_by_heap: bool
) -> None:
    async with (
        running_broker(tmp_path, transfer_msg_by_heap=transfer_msg_by_heap) as broker,
        RemotingClient() as client,
    ):
        addr = addr_of(broker)
        bodies = [bytes([n]) * 3000 for n in range(32)]  # ~100 KiB per pull
        for body in bodies:
            response = await client.invoke(addr, send_request(TOPIC, body))
            assert response.code == ResponseCode.SUCCESS
        await asyncio.sleep(0.05)
        response = await client.invoke(addr, pull_request(TOPIC, 0, 0))
        assert response.code == ResponseCode.SUCCESS
        records = split_records(response.body)
        assert [r.body for r in records] == bodies
        stored = b"".join(
            bytes(broker.store.commit_log.read(r.physical_offset, r.total_size)) for r in records
        )
        assert response.body == stored
        (connection,) = broker.remoting_server.connections
        if transfer_msg_by_heap:
            assert connection.zero_copy_bytes == 0
        else:
            assert connection.zero_copy_bytes > 0
