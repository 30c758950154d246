"""Our asyncio LitePullConsumer against our broker and Apache RocketMQ's (same test bodies)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rocketmq.client.aio import (
    CONSUME_FROM_FIRST_OFFSET,
    LitePullConsumer,
    Message,
    MessageExt,
    MessageQueue,
    Producer,
)
from rocketmq.errors import ClientError
from tests.interop.messages import unique
from tests.interop.servers import SERVERS, running_server

pytestmark = pytest.mark.interop

WAIT_S = 60.0


async def poll_all(consumer: LitePullConsumer, count: int) -> list[MessageExt]:
    """Poll until ``count`` messages came (AssertionError after WAIT_S)."""
    got: list[MessageExt] = []
    polls = 0
    while len(got) < count:
        polls += 1
        assert polls < WAIT_S * 2, f"only {len(got)} of {count} messages"
        got.extend(await consumer.poll(500))
    return got


def indexes(messages: list[MessageExt]) -> list[int]:
    return sorted(int(m.properties["u_index"]) for m in messages)


@pytest.mark.timeout_s(240)
@pytest.mark.parametrize("server", SERVERS)
async def test_subscribe_assign_seek_and_commit(
    apache_built: None, server: str, tmp_path: Path
) -> None:
    topic = unique("cy_py_lite")
    group = unique("cy_py_lg")
    async with running_server(server, tmp_path) as namesrv:
        async with Producer(unique("cy_py_lpg"), namesrv) as producer:

            async def send(first: int, count: int) -> list[MessageQueue]:
                queues = []
                for index in range(first, first + count):
                    msg = Message(topic, f"lite-{index}".encode(), tags="TagL")
                    msg.put_user_property("u_index", str(index))
                    queues.append((await producer.send(msg)).message_queue)
                return queues

            sent_to = await send(0, 20)
            queues = sorted(set(sent_to))
            assert len(queues) == 4

            # Subscribe: all 20, in queue order; commit stores the offsets.
            lite = LitePullConsumer(group, namesrv, consume_from_where=CONSUME_FROM_FIRST_OFFSET,
                                    auto_commit=False, rebalance_interval_ms=1000)  # fmt: skip
            lite.subscribe(topic)
            with pytest.raises(ClientError, match="mutually exclusive"):
                lite.assign(queues)
            async with lite:
                got = await poll_all(lite, 20)
                assert indexes(got) == list(range(20))
                assert lite.assignment() == set(queues)
                for queue in queues:
                    offsets = [m.queue_offset for m in got if m.queue_id == queue.queue_id]
                    assert offsets == sorted(offsets) == list(range(len(offsets)))
                assert got[0].body == f"lite-{got[0].properties['u_index']}".encode()
                await lite.commit()
                committed = {q: await lite.committed(q) for q in queues}
                assert sum(committed.values()) == 20

            # The group goes on from the committed offsets; auto-commit stores new ones.
            again = LitePullConsumer(group, namesrv, auto_commit_interval_ms=200,
                                     rebalance_interval_ms=1000)  # fmt: skip
            again.subscribe(topic, "TagL")
            async with again:
                assert await again.poll(1000) == []
                sent_to += await send(20, 4)
                assert indexes(await poll_all(again, 4)) == [20, 21, 22, 23]

                async def total() -> int:
                    return sum([await again.committed(q) or 0 for q in queues])

                for _ in range(int(WAIT_S * 10)):
                    if await total() == 24:
                        break
                    await asyncio.sleep(0.1)
                assert await total() == 24

            # Assign: one queue only; seek moves back, out-of-range seeks are refused.
            first = queues[0]
            assigned = LitePullConsumer(unique("cy_py_la"), namesrv,
                                        consume_from_where=CONSUME_FROM_FIRST_OFFSET)  # fmt: skip
            assigned.assign([first])
            async with assigned:
                # A new group: none stored, or 0 while the queue's first message is hot (§6).
                assert await assigned.committed(first) in (None, 0)
                got = await poll_all(assigned, sent_to.count(first))
                assert {m.queue_id for m in got} == {first.queue_id}
                await assigned.seek(first, 2)
                again_got = await assigned.poll(20000)  # a failed pull backs off 3 s
                assert again_got and again_got[0].queue_offset == 2
                with pytest.raises(ClientError, match="illegal"):
                    await assigned.seek(first, 1000)
                with pytest.raises(ClientError, match="not in assigned"):
                    await assigned.seek(queues[1], 0)
