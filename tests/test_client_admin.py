"""Our asyncio Admin against our broker and Apache RocketMQ's (same test bodies)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rocketmq.client.aio import (
    CONSUME_FROM_FIRST_OFFSET,
    Admin,
    LitePullConsumer,
    Message,
    MessageQueue,
    Producer,
)
from rocketmq.errors import ClientError
from tests.interop import harness
from tests.interop.messages import unique
from tests.interop.servers import SERVERS, running_server

pytestmark = pytest.mark.interop

WAIT_S = 60.0


@pytest.mark.timeout_s(240)
@pytest.mark.parametrize("server", SERVERS)
async def test_create_topic_routes_offsets_and_consumers(
    apache_built: None, server: str, tmp_path: Path
) -> None:
    topic = unique("cy_py_admin")
    group = unique("cy_py_ag")
    async with running_server(server, tmp_path) as namesrv, Admin(namesrv) as admin:
        info = await admin.cluster_info()
        assert info.clusters == {"DefaultCluster": ["broker-a"]}
        master = info.masters("DefaultCluster")["broker-a"]
        assert info.brokers["broker-a"][0] == master

        assert await admin.topic_route(topic) is None
        assert await admin.create_topic(topic, 3) == [master]
        routes = []

        async def routed() -> bool:
            route = await admin.topic_route(topic)
            routes.append(route)
            return route is not None

        for _ in range(int(WAIT_S * 5)):
            if await routed():
                break
            await asyncio.sleep(0.2)
        route = routes[-1]
        assert route is not None, "no route after create_topic"
        (data,) = route.queue_datas
        assert (data.broker_name, data.read_queue_nums, data.write_queue_nums, data.perm) == (
            "broker-a", 3, 3, 6,
        )  # fmt: skip
        with pytest.raises(ClientError, match="cluster"):
            await admin.create_topic(unique("cy_py_x"), 1, cluster="NoSuchCluster")

        queues = await admin.topic_queues(topic)
        assert queues == [MessageQueue(topic, "broker-a", i) for i in range(3)]
        assert await admin.topic_offsets(topic) == dict.fromkeys(queues, (0, 0))

        async with Producer(unique("cy_py_apg"), namesrv) as producer:
            for index in range(7):
                await producer.send(Message(topic, f"admin-{index}".encode()))
        offsets = await admin.topic_offsets(topic)
        assert sum(high for _low, high in offsets.values()) == 7
        assert {low for low, _high in offsets.values()} == {0}
        assert await admin.max_offset(queues[0]) == offsets[queues[0]][1]

        lite = LitePullConsumer(group, namesrv, consume_from_where=CONSUME_FROM_FIRST_OFFSET,
                                auto_commit=False)  # fmt: skip
        lite.subscribe(topic)
        async with lite:
            await harness.poll_until(lambda: len(lite.assignment()) == 3, "3 queues", WAIT_S)
            assert await admin.consumer_ids(group) == [lite.instance.client_id]
            got = 0
            for _ in range(100):
                got += len(await lite.poll(200))
                if got == 7:
                    break
            assert got == 7
            await lite.commit()
            stored = await admin.consumer_offsets(group, topic)
            assert stored == {queue: offsets[queue][1] for queue in queues}
            assert await admin.consumer_offset(group, queues[1]) == offsets[queues[1]][1]
        assert await admin.consumer_ids(group) == []
