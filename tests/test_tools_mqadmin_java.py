"""The official mqadmin (rocketmq-tools 4.9.7, module tools) against our broker.

It parses our admin bodies (ClusterInfo, KVTable, TopicStatsTable, ConsumeStats,
ConsumerConnection, ProducerConnection, broker properties) and prints them.
"""

from __future__ import annotations

import datetime
import os
import shutil
from pathlib import Path

import pytest

from rocketmq._testbase.cluster import LocalCluster
from rocketmq.client.aio import Message, Producer
from tests.interop import harness
from tests.interop.java_clients import produce
from tests.interop.messages import unique

pytestmark = pytest.mark.interop

TOOLS_HOME = harness.JAVA_DIR / "tools" / "home"  # conf/logback_tools.xml
MAIN = "org.apache.rocketmq.tools.command.MQAdminStartup"


async def java_mqadmin(namesrv: str, *args: str) -> str:
    java = shutil.which("java")
    assert java is not None
    cmd = [java, harness.JAVA_HEAP, f"-Drocketmq.home.dir={TOOLS_HOME}",
           "-cp", harness.ensure_built("tools"), MAIN, *args, "-n", namesrv]  # fmt: skip
    rc, out, err = await harness.run_command(cmd, f"mqadmin {args[0]}", 120)
    assert rc == 0, f"mqadmin {' '.join(args)}: exit {rc}\n{out}\n{err[-3000:]}"
    assert "command failed" not in out + err, f"{out}\n{err[-3000:]}"
    return out


def rows(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines() if line.strip() and line[0] != "#"]


async def broker_status(namesrv: str, broker: str) -> dict[str, str]:
    table = {}
    for line in (await java_mqadmin(namesrv, "brokerStatus", "-b", broker)).splitlines():
        key, _, value = line.partition(":")
        table[key.strip()] = value.strip()
    return table


@pytest.mark.timeout_s(300)
async def test_java_mqadmin_reads_our_broker(tmp_path: Path) -> None:
    harness.ensure_built("client4")
    async with LocalCluster(tmp_path) as cluster:
        namesrv, broker = cluster.namesrv_addr, cluster.broker_addr
        topic, group = unique("cy_jadm"), unique("cy_jadm_g")

        listed = rows(await java_mqadmin(namesrv, "clusterList"))
        assert listed[0][:4] == ["DefaultCluster", "broker-a", "0", broker]

        out = await java_mqadmin(namesrv, "updateTopic", "-c", "DefaultCluster", "-t", topic,
                                 "-r", "3", "-w", "3")  # fmt: skip
        assert f"create topic to {broker} success." in out
        assert topic in (await java_mqadmin(namesrv, "topicList")).split()
        route = await java_mqadmin(namesrv, "topicRoute", "-t", topic)
        assert '"readQueueNums":3' in route.replace(" ", "") and broker in route

        day = datetime.date.today()  # the broker's day counters roll at local midnight
        sent = await produce("client4", namesrv, topic, "--count", "6", "--modes", "sync",
                             "--group", "cy_jadm_p")  # fmt: skip
        status = rows(await java_mqadmin(namesrv, "topicStatus", "-t", topic))
        assert [(r[0], r[1]) for r in status] == [("broker-a", str(q)) for q in range(3)]
        assert sum(int(r[3]) for r in status) == len(sent) == 6

        brokers = await broker_status(namesrv, broker)
        assert brokers["brokerVersionDesc"] == "V4_9_7" and int(brokers["commitLogMaxOffset"]) > 0
        if datetime.date.today() == day:
            assert brokers["msgPutTotalTodayNow"] == "6"
        assert int(brokers["putMessageTimesTotal"]) >= 6
        # Three rates (10 s, 60 s, 600 s); the widest holds the sends however slow the run.
        assert float(brokers["putTps"].split()[2]) > 0, brokers["putTps"]

        config = await java_mqadmin(namesrv, "getBrokerConfig", "-b", broker)
        assert f"============{broker}============" in config
        assert any(line.split("=")[0].strip() == "brokerName" and line.endswith("broker-a")
                   for line in config.splitlines())  # fmt: skip

        driver = await harness.start_driver(
            "client4.PushConsumerDriver", "--namesrv", namesrv, "--topic", topic,
            "--group", group, "--timeout-ms", "120000", module="client4",
        )  # fmt: skip
        try:
            await driver.wait_until(lambda: len(driver.events("recv")) >= 6, 60, "6 messages")
            offsets = cluster.broker.consumer_offset_manager

            def committed() -> bool:
                return sum(max(0, offsets.query_offset(group, topic, q)) for q in range(3)) == 6

            await driver.wait_until(committed, 60, "offsets committed")
            connection = await java_mqadmin(namesrv, "consumerConnection", "-g", group)
            assert "JAVA" in connection and "MessageModel: CLUSTERING" in connection
            assert any(r[:2] == [topic, "*"] for r in rows(connection))
            progress = await java_mqadmin(namesrv, "consumerProgress", "-g", group)
            assert "Diff Total: 0" in progress
            pulled = await broker_status(namesrv, broker)
            if datetime.date.today() == day:
                assert int(pulled["msgGetTotalTodayNow"]) >= 6, pulled
            assert float(pulled["getTransferedTps"].split()[2]) > 0, pulled
            mine = [r for r in rows(progress) if r and r[0] == topic]
            assert sum(int(r[3]) for r in mine) == 6 and sum(int(r[4]) for r in mine) == 6
        finally:
            await driver.stop()

        # An online producer (ours, in process): its heartbeat registered the group.
        async with Producer("cy_jadm_p2", namesrv) as producer:
            await producer.send(Message(topic, b"hello"))
            await producer.instance.send_heartbeats()
            out = await java_mqadmin(namesrv, "producerConnection", "-g", "cy_jadm_p2",
                                     "-t", topic)  # fmt: skip
            assert out.startswith("0001  ") and f"@{os.getpid()}" in out.split()[1], out
