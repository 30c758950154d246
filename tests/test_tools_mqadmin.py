"""Our mqadmin (a subprocess, real exit codes) against Apache RocketMQ's broker and ours.

One scenario, both brokers: create a topic, send, read the offsets, find the
messages by key / unique key / offsetMsgId / queue offset, watch a Java
consumer's progress, reset it by time, delete the topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rocketmq._testbase.cluster import LocalCluster
from tests.interop import harness
from tests.interop.messages import unique

pytestmark = pytest.mark.interop

CLUSTER = "DefaultCluster"


@contextlib.asynccontextmanager
async def namesrv_of(kind: str, root: Path) -> AsyncIterator[str]:
    if kind == "ours":
        async with LocalCluster(root) as cluster:
            yield cluster.namesrv_addr
        return
    # Its own server (tests change broker config), killed after: the store is thrown away.
    process, namesrv = await harness.start_apache_cluster(root)
    try:
        yield namesrv
    finally:
        await process.kill()


async def mqadmin(namesrv: str, *args: str, expect: int = 0) -> str:
    cmd = [sys.executable, "-m", "rocketmq.tools.admin", "-n", namesrv, *args]
    rc, out, err = await harness.run_command(cmd, f"mqadmin {args[0]}", 120)
    assert rc == expect, f"mqadmin {' '.join(args)}: exit {rc}\n{out}\n{err}"
    if expect == 1:
        assert err.strip(), "a failure must say why on stderr"
    return out


def table(out: str) -> list[list[str]]:
    """Rows (split on whitespace) after the '#' header line."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#"))
    return [line.split() for line in lines[start + 1 :] if line.strip()]


def field(out: str, name: str) -> str:
    match = re.search(rf"^{re.escape(name)}\s+(.*)$", out, re.MULTILINE)
    assert match, f"no {name} in\n{out}"
    return match.group(1).strip()


async def put_total(namesrv: str, broker_addr: str) -> int:
    """The broker's msgPutTotalTodayNow, as brokerStatus prints it."""
    for _ in range(20):
        # Apache's broker answers SYSTEM_ERROR until its stats service took a first sample.
        cmd = [sys.executable, "-m", "rocketmq.tools.admin", "-n", namesrv, "brokerStatus",
               "-b", broker_addr]  # fmt: skip
        rc, out, err = await harness.run_command(cmd, "mqadmin brokerStatus", 120)
        if rc == 0:
            return int(field(out, "msgPutTotalTodayNow").lstrip(": "))
        assert rc == 1 and "SYSTEM_ERROR" in err, f"exit {rc}\n{out}\n{err}"
        await asyncio.sleep(0.5)
    raise AssertionError(f"brokerStatus kept failing: {err}")


@pytest.mark.timeout_s(300)
@pytest.mark.parametrize("kind", ["ours", "apache"])
async def test_mqadmin_scenario(kind: str, tmp_path: Path) -> None:
    harness.ensure_built("client4")
    async with namesrv_of(kind, tmp_path) as namesrv:
        topic = unique("cy_adm")
        group = unique("cy_adm_g")
        out = await mqadmin(namesrv, "updateTopic", "-c", CLUSTER, "-t", topic, "-r", "2",
                            "-w", "2")  # fmt: skip
        assert "create topic to" in out and f"topicName={topic}" in out
        assert topic in (await mqadmin(namesrv, "topicList")).split()
        route = await mqadmin(namesrv, "topicRoute", "-t", topic, "-l")
        broker_name = table(route)[0][1]
        assert table(route)[0][0] == CLUSTER and table(route)[0][3:5] == ["2", "2"]
        brokers = table(await mqadmin(namesrv, "clusterList"))
        broker_addr = next(row[3] for row in brokers if row[1] == broker_name)
        day = datetime.date.today()  # the day counter rolls at local midnight
        puts_before = await put_total(namesrv, broker_addr)

        sent = []
        for index in range(4):
            out = await mqadmin(namesrv, "sendMessage", "-t", topic, "-p", f"body-{index}",
                                "-k", f"key-{index % 2}", "-c", "TagA")  # fmt: skip
            row = table(out)[0]
            assert row[0] == broker_name and row[2] == "SEND_OK", out
            sent.append((int(row[1]), row[3]))

        if datetime.date.today() == day:
            assert await put_total(namesrv, broker_addr) - puts_before == 4
        status = table(await mqadmin(namesrv, "topicStatus", "-t", topic))
        assert sum(int(row[3]) for row in status) == 4
        assert {row[0] for row in status} == {broker_name}

        for _ in range(20):  # the index is built just after the store
            found = table(await mqadmin(namesrv, "queryMsgByKey", "-t", topic, "-k", "key-1"))
            if len(found) == 2:
                break
            await asyncio.sleep(0.25)
        assert sorted(row[0] for row in found) == sorted([sent[1][1], sent[3][1]])

        detail = await mqadmin(namesrv, "queryMsgByUniqueKey", "-i", sent[2][1], "-t", topic)
        assert field(detail, "Topic:") == topic and field(detail, "Keys:") == "[key-0]"
        offset_msg_id = field(detail, "OffsetID:")
        by_id = await mqadmin(namesrv, "queryMsgById", "-i", offset_msg_id)
        assert field(by_id, "Queue ID:") == str(sent[2][0])
        assert Path(field(by_id, "Message Body Path:")).read_bytes() == b"body-2"
        queue_id, queue_offset = field(by_id, "Queue ID:"), field(by_id, "Queue Offset:")
        by_offset = await mqadmin(namesrv, "queryMsgByOffset", "-t", topic, "-b", broker_name,
                                  "-i", queue_id, "-o", queue_offset)  # fmt: skip
        assert field(by_offset, "OffsetID:") == offset_msg_id
        printed = await mqadmin(namesrv, "printMsg", "-t", topic)
        assert sorted(re.findall(r"BODY: (body-\d)", printed)) == [f"body-{i}" for i in range(4)]

        consumer = await harness.start_driver(
            "client4.PushConsumerDriver", "--namesrv", namesrv, "--topic", topic,
            "--group", group, "--timeout-ms", "120000", module="client4",
        )  # fmt: skip
        try:
            await consumer.wait_until(lambda: len(consumer.events("recv")) >= 4, 60, "4 messages")
            # The consumer commits its offsets every 5 s: poll while it runs.
            for _ in range(60):
                progress = await mqadmin(namesrv, "consumerProgress", "-g", group)
                rows = [row for row in table(progress) if row[0] == topic]
                if sum(int(row[4]) for row in rows) == 4:  # consumer offsets
                    break
                await asyncio.sleep(0.5)
        finally:
            await consumer.stop()
        assert len({item["msgId"] for item in consumer.events("recv")}) == 4
        assert "Diff Total: 0" in progress, progress
        assert sum(int(row[4]) for row in rows) == 4, progress

        out = await mqadmin(namesrv, "resetOffsetByTime", "-g", group, "-t", topic, "-s", "0")
        assert sorted(int(row[2]) for row in table(out)) == [0, 0]
        assert "Diff Total: 4" in await mqadmin(namesrv, "consumerProgress", "-g", group)

        out = await mqadmin(namesrv, "deleteTopic", "-t", topic, "-c", CLUSTER)
        assert "from NameServer success" in out
        await mqadmin(namesrv, "topicRoute", "-t", topic, expect=1)
        await mqadmin(namesrv, "queryMsgByOffset", "-t", topic, expect=2)
