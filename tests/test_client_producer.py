"""Our asyncio Producer against our broker and against Apache RocketMQ's (same test bodies).

What it sends is judged by the official Java push consumer (rocketmq-client
4.9.8): every message must arrive exactly as sent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rocketmq._testbase.cluster import LocalCluster
from rocketmq.client.aio import Message, Producer, SendStatus
from rocketmq.errors import ClientError
from tests.interop import harness
from tests.interop.java_clients import consume_push
from tests.interop.messages import assert_same_messages, unique
from tests.interop.servers import SERVERS, running_server

pytestmark = pytest.mark.interop

JAVA_CLIENT = "client4"


@pytest.fixture(scope="module")
def java_built() -> None:
    harness.ensure_built(JAVA_CLIENT)
    harness.ensure_built("apache")


def message(topic: str, index: int, mode: str, *, tags: str = "TagA", size: int = 0) -> Message:
    body = f"{mode}/{index}/h\u00e9llo".encode() + bytes([0, 0xFF, 0x80, index & 0xFF])
    if size:
        body = body + bytes((i * 7 + index) & 0xFF for i in range(size - len(body)))
    msg = Message(topic, body, tags=tags, keys=[f"key-{mode}-{index}", f"alt-{index}"])
    msg.put_user_property("u_mode", mode)
    msg.put_user_property("u_index", str(index))
    msg.put_user_property("u_text", "h\u00e9llo \u4e2d\u6587 a=b;c")
    return msg


def sent_line(msg: Message, msg_id: str, queue: tuple[int, int] | None = None) -> dict:
    """What the Java drivers print for a sent message, for assert_same_messages."""
    line = {
        "msgId": msg_id,
        "topic": msg.topic,
        "body": msg.body.hex(),
        "tags": msg.tags,
        "keys": " ".join(msg.keys),
        "props": dict(msg.properties),
    }
    if queue is not None:
        line["queueId"], line["queueOffset"] = queue
    return line


@pytest.mark.timeout_s(240)
@pytest.mark.parametrize("server", SERVERS)
async def test_sync_oneway_batch_orderly_and_compressed_sends(
    java_built: None, server: str, tmp_path: Path
) -> None:
    topic = unique("cy_py_producer")
    async with running_server(server, tmp_path) as namesrv:
        sent: list[dict] = []
        async with Producer(unique("cy_py_pg"), namesrv) as producer:
            for index in range(10):
                msg = message(topic, index, "sync", tags="TagA" if index % 2 else "TagB")
                result = await producer.send(msg)
                assert result.status is SendStatus.SEND_OK
                assert result.message_queue.topic == topic
                assert len(result.offset_msg_id) == 32
                queue = (result.message_queue.queue_id, result.queue_offset)
                sent.append(sent_line(msg, result.msg_id, queue))
            for index in range(5):
                msg = message(topic, index, "oneway")
                await producer.send_oneway(msg)
                sent.append(sent_line(msg, msg.properties["UNIQ_KEY"]))
            batch = [message(topic, index, "batch") for index in range(6)]
            result = await producer.send_batch(batch)
            ids = result.msg_id.split(",")
            assert len(ids) == 6
            for offset, (msg, msg_id) in enumerate(zip(batch, ids, strict=True)):
                position = (result.message_queue.queue_id, result.queue_offset + offset)
                sent.append(sent_line(msg, msg_id, position))
            by_key: dict[str, list[tuple[int, int]]] = {}
            for index in range(8):
                key = f"shard-{index % 2}"
                msg = message(topic, index, "orderly")
                result = await producer.send_orderly(msg, key)
                position = (result.message_queue.queue_id, result.queue_offset)
                by_key.setdefault(key, []).append(position)
                sent.append(sent_line(msg, result.msg_id, position))
            big = message(topic, 0, "big", size=20_000)  # compressed on the wire
            result = await producer.send(big)
            sent.append(sent_line(big, result.msg_id))

            with pytest.raises(ClientError):
                await producer.send(Message(topic, b""))

        # One sharding key -> one queue, offsets in send order.
        for positions in by_key.values():
            assert len({queue_id for queue_id, _ in positions}) == 1
            assert [offset for _, offset in positions] == sorted(offset for _, offset in positions)
        received = await consume_push(
            JAVA_CLIENT, namesrv, topic, len(sent), "--group", unique("cy_py_cg")
        )
        assert_same_messages(sent, received)


@pytest.mark.timeout_s(60)
async def test_a_message_the_client_refuses(tmp_path: Path) -> None:
    async with LocalCluster(tmp_path) as cluster:
        async with Producer("cy_py_refuse", cluster.namesrv_addr, max_message_size=1024) as p:
            with pytest.raises(ClientError, match="over max"):
                await p.send(Message("cy_refused", b"x" * 2048))
            with pytest.raises(ClientError, match="AUTO_CREATE_TOPIC_KEY"):
                await p.send(Message("TBW102", b"x"))
            with pytest.raises(ClientError, match="used by system"):
                Message("t", b"x").put_user_property("TAGS", "x")
