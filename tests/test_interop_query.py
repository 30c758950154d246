"""Query by key, unique key and offsetMsgId; reset offset by time; batch and compressed
messages, judged by the official Java clients."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from rocketmq._core import remoting as codec
from rocketmq._testbase.cluster import LocalCluster
from rocketmq.common import json_body
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.remoting import RemotingClient
from tests.interop import harness
from tests.interop.java_clients import CONSUMER_WAIT_S, consume_push, produce
from tests.interop.messages import assert_same_messages, unique

pytestmark = pytest.mark.interop

CLIENTS = ["client4", "client5"]
COMPRESSED_FLAG = 0x1  # MessageSysFlag.COMPRESSED_FLAG


@pytest.fixture(scope="module", params=CLIENTS)
def client(request: pytest.FixtureRequest) -> str:
    harness.ensure_built(request.param)
    return request.param


async def query(client: str, namesrv: str, topic: str, *by: str) -> list[dict]:
    args = []
    for item in by:
        args += ["--by", item]
    rc, out, err = await harness.run_java(
        "client4.QueryDriver", "--namesrv", namesrv, "--topic", topic, *args, module=client
    )
    assert rc == 0 and "OK query" in out.splitlines(), f"{out}\n{err[-3000:]}"
    return [line for line in harness.DriverProcess.parse(out) if line["event"] == "query"]


@pytest.mark.timeout_s(120)
async def test_query_by_key_unique_key_and_offset_msg_id(client: str, tmp_path: Path) -> None:
    async with LocalCluster(tmp_path) as cluster:
        namesrv = cluster.namesrv_addr
        topic = unique("cy_query")
        run = unique("run")
        sent = await produce(client, namesrv, topic, "--count", "8", "--modes", "sync",
                             "--run", run)  # fmt: skip
        by_index = {int(item["props"]["u_index"]): item for item in sent}
        results = await query(
            client, namesrv, topic,
            "key:alt-3",
            f"key:key-{run}-sync-5",
            f"uniq:{by_index[2]['msgId']}",
            f"offset:{by_index[7]['offsetMsgId']}",
            "key:no-such-key",
        )  # fmt: skip
        alt3, key5, uniq2, offset7, missing = results
        assert_same_messages([by_index[3]], alt3["found"])
        assert_same_messages([by_index[5]], key5["found"])
        assert_same_messages([by_index[2]], uniq2["found"])
        assert_same_messages([by_index[7]], offset7["found"])
        assert "found" not in missing and "no message" in missing["error"], missing


@pytest.mark.timeout_s(180)
async def test_reset_offset_by_time_makes_consumers_read_again(tmp_path: Path) -> None:
    """INVOKE_BROKER_TO_RESET_OFFSET: the online Java consumer goes back and re-reads."""
    client = "client4"
    harness.ensure_built(client)
    async with LocalCluster(tmp_path) as cluster, RemotingClient() as admin:
        namesrv = cluster.namesrv_addr
        topic = unique("cy_reset")
        group = unique("cy_reset_g")
        before_any = int(time.time() * 1000) - 1000
        sent = await produce(client, namesrv, topic, "--count", "10", "--modes", "sync")
        consumer = await harness.start_driver(
            "client4.PushConsumerDriver", "--namesrv", namesrv, "--topic", topic,
            "--group", group, "--timeout-ms", "120000", module=client,
        )  # fmt: skip
        try:
            await consumer.wait_until(
                lambda: len(consumer.events("recv")) >= 10, CONSUMER_WAIT_S, "first pass"
            )
            broker = cluster.broker
            offsets = broker.consumer_offset_manager

            def committed() -> bool:
                return sum(max(0, offsets.query_offset(group, topic, q)) for q in range(4)) == 10

            await consumer.wait_until(committed, CONSUMER_WAIT_S, "offsets committed")
            request = codec.RemotingCommand(
                RequestCode.INVOKE_BROKER_TO_RESET_OFFSET,
                {"topic": topic, "group": group, "timestamp": str(before_any), "isForce": "true"},
            )
            response = await admin.invoke(cluster.broker_addr, request, 5000)
            assert response.code == ResponseCode.SUCCESS, response.remark
            table = json_body.loads(response.body)["offsetTable"]
            assert sorted(table.values()) == [0, 0, 0, 0]
            await consumer.wait_until(
                lambda: len(consumer.events("recv")) >= 20, CONSUMER_WAIT_S, "second pass"
            )
        finally:
            await consumer.stop()
        deliveries = consumer.events("recv")
        counts: dict[str, int] = {}
        for got in deliveries:
            counts[got["msgId"]] = counts.get(got["msgId"], 0) + 1
        assert counts == {item["msgId"]: 2 for item in sent}

        # Resetting a group nobody consumes with is refused, with a reason.
        request = codec.RemotingCommand(
            RequestCode.INVOKE_BROKER_TO_RESET_OFFSET,
            {"topic": topic, "group": "nobody", "timestamp": "0", "isForce": "true"},
        )
        response = await admin.invoke(cluster.broker_addr, request, 5000)
        assert response.code == ResponseCode.SYSTEM_ERROR
        assert "not exist" in response.remark


@pytest.mark.timeout_s(180)
async def test_batch_and_compressed_messages(client: str, tmp_path: Path) -> None:
    """A batch is stored as separate messages with their own ids; compressed bodies are
    stored compressed (sysflag bit) and arrive as sent."""
    async with LocalCluster(tmp_path) as cluster:
        namesrv = cluster.namesrv_addr
        topic = unique("cy_batch")
        batch = await produce(client, namesrv, topic, "--count", "12", "--modes", "batch",
                              "--run", "batch")  # fmt: skip
        assert len({item["msgId"] for item in batch}) == 12
        assert len({(item["queueId"], item["queueOffset"]) for item in batch}) == 12
        big = await produce(client, namesrv, topic, "--count", "4", "--modes", "sync",
                            "--body-size", "20000", "--run", "big")  # fmt: skip
        received = await consume_push(client, namesrv, topic, 16, "--group", unique("cy_bg"))
        assert_same_messages(batch + big, received)
        store = cluster.broker.store
        for item in big:
            commitlog_offset = next(
                got["commitLogOffset"] for got in received if got["msgId"] == item["msgId"]
            )
            record = store.look_message_by_offset(commitlog_offset)
            assert record.sys_flag & COMPRESSED_FLAG
            assert len(record.body) < 20000  # stored as the client compressed it
