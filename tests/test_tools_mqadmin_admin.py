"""Our mqadmin's consumeMessage, updateSubGroup, deleteSubGroup and updateBrokerConfig
against Apache RocketMQ's broker and ours.

consumeMessage must print exactly the bodies sent (all, a count, one queue from an
offset). Group and broker config changes are read back from the broker
(GET_ALL_SUBSCRIPTIONGROUP_CONFIG, getBrokerConfig) and checked by their effect on
a PULL_MESSAGE: NO_PERMISSION while consumeEnable is false, SUBSCRIPTION_GROUP_NOT_EXIST
for an unknown group once autoCreateSubscriptionGroup is turned off.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest

from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.tools.commands_message import SUBSCRIPTION_FLAG
from rocketmq.tools.rpc import AdminClient, request
from tests.interop import harness
from tests.interop.messages import unique
from tests.test_tools_mqadmin import CLUSTER, field, mqadmin, namesrv_of, table

pytestmark = pytest.mark.interop


async def group_table(admin: AdminClient, addr: str) -> dict[str, dict]:
    command = request(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG)
    return (await admin.json_call(addr, command))["subscriptionGroupTable"]


async def pull_code(admin: AdminClient, addr: str, group: str, topic: str) -> int:
    """The response code of one pull of queue 0 of ``topic`` by ``group``."""
    fields = {"consumerGroup": group, "topic": topic, "queueId": 0, "queueOffset": 0,
              "maxMsgNums": 1, "sysFlag": SUBSCRIPTION_FLAG, "commitOffset": 0,
              "suspendTimeoutMillis": 0, "subscription": "*", "subVersion": 0,
              "expressionType": "TAG"}  # fmt: skip
    command = request(RequestCode.PULL_MESSAGE, fields)
    return (await admin.remoting.invoke(addr, command, admin.timeout_ms)).code


async def master(admin: AdminClient) -> tuple[str, str]:
    cluster = await admin.cluster_info()
    broker_name = cluster.clusters[CLUSTER][0]
    addr = cluster.brokers[broker_name].master
    assert addr is not None
    return broker_name, addr


def bodies(out: str) -> list[str]:
    assert out.rstrip().endswith("Consume ok"), out
    return sorted(re.findall(r"^MSGID: .* BODY: (.*)$", out, re.MULTILINE))


@pytest.mark.timeout_s(300)
@pytest.mark.parametrize("kind", ["ours", "apache"])
async def test_mqadmin_admin_scenario(kind: str, tmp_path: Path) -> None:
    harness.ensure_built("client4")
    async with namesrv_of(kind, tmp_path) as namesrv, AdminClient([namesrv]) as admin:
        broker_name, addr = await master(admin)
        topic, group = unique("cy_adm2"), unique("cy_adm2_g")

        # consumeMessage: every body, a count limit, one queue from an offset.
        await mqadmin(namesrv, "updateTopic", "-c", CLUSTER, "-t", topic, "-r", "2", "-w", "2")
        sent: dict[int, list[str]] = {0: [], 1: []}
        middle = 0  # a time between the third send and the fourth
        for index in range(5):
            if index == 3:
                await asyncio.sleep(0.3)
                middle = int(time.time() * 1000)
                await asyncio.sleep(0.3)
            body, queue = f"{topic}-{index}", str(index % 2)
            out = await mqadmin(namesrv, "sendMessage", "-t", topic, "-p", body,
                                "-b", broker_name, "-i", queue)  # fmt: skip
            assert table(out)[0][:3] == [broker_name, queue, "SEND_OK"], out
            sent[index % 2].append(body)
        everything = sorted(sent[0] + sent[1])
        assert bodies(await mqadmin(namesrv, "consumeMessage", "-t", topic)) == everything
        limited = bodies(await mqadmin(namesrv, "consumeMessage", "-t", topic, "-c", "2"))
        assert len(limited) == 2 and set(limited) <= set(everything)
        out = await mqadmin(namesrv, "consumeMessage", "-t", topic, "-b", broker_name,
                            "-i", "1", "-o", "1")  # fmt: skip
        assert bodies(out) == sorted(sent[1][1:])
        await mqadmin(namesrv, "consumeMessage", "-t", topic, "-i", "1", expect=1)
        first_three = sorted(f"{topic}-{index}" for index in range(3))
        out = await mqadmin(namesrv, "consumeMessage", "-t", topic, "-e", str(middle))
        assert bodies(out) == first_three
        out = await mqadmin(namesrv, "consumeMessage", "-t", topic, "-s", str(middle))
        assert bodies(out) == sorted(set(everything) - set(first_three))

        # updateSubGroup on the cluster, then on the broker; both read back.
        out = await mqadmin(namesrv, "updateSubGroup", "-c", CLUSTER, "-g", group,
                            "-r", "5", "-q", "1", "-s", "false")  # fmt: skip
        assert f"create subscription group to {addr} success." in out
        config = (await group_table(admin, addr))[group]
        assert (config["retryMaxTimes"], config["retryQueueNums"]) == (5, 1)
        assert (config["consumeEnable"], config["consumeBroadcastEnable"]) == (False, False)
        assert await pull_code(admin, addr, group, topic) == ResponseCode.NO_PERMISSION

        await mqadmin(namesrv, "updateSubGroup", "-b", addr, "-g", group, "-r", "3", "-d", "true")
        config = (await group_table(admin, addr))[group]
        assert (config["retryMaxTimes"], config["consumeEnable"]) == (3, True)
        assert config["consumeBroadcastEnable"] is True
        assert await pull_code(admin, addr, group, topic) == ResponseCode.SUCCESS

        # deleteSubGroup, then updateBrokerConfig read back by getBrokerConfig.
        out = await mqadmin(namesrv, "deleteSubGroup", "-c", CLUSTER, "-g", group)
        assert f"delete subscription group [{group}] from broker [{addr}]" in out
        assert group not in await group_table(admin, addr)
        key = "autoCreateSubscriptionGroup"
        before = await mqadmin(namesrv, "getBrokerConfig", "-b", addr)
        assert field(before, key) == "=  true"
        out = await mqadmin(namesrv, "updateBrokerConfig", "-b", addr, "-k", key, "-v", "false")
        assert f"update broker config success, {addr}" in out
        after = await mqadmin(namesrv, "getBrokerConfig", "-b", addr)
        assert field(after, key) == "=  false"

        if kind == "ours":  # Apache 4.9.7 has no black list: it would take any key
            root = field(after, "storePathRootDir")
            await mqadmin(namesrv, "updateBrokerConfig", "-b", addr, "-k", "storePathRootDir",
                          "-v", str(tmp_path / "elsewhere"), expect=1)  # fmt: skip
            out = await mqadmin(namesrv, "getBrokerConfig", "-b", addr)
            assert field(out, "storePathRootDir") == root


@pytest.mark.timeout_s(300)
@pytest.mark.parametrize("kind", ["ours", "apache"])
async def test_changes_take_effect(kind: str, tmp_path: Path) -> None:
    """consumeMessage pulls as its -g group; autoCreateSubscriptionGroup=false holds at once."""
    harness.ensure_built("client4")
    async with namesrv_of(kind, tmp_path) as namesrv, AdminClient([namesrv]) as admin:
        _broker_name, addr = await master(admin)
        topic, group = unique("cy_adm3"), unique("cy_adm3_g")
        await mqadmin(namesrv, "updateTopic", "-b", addr, "-t", topic)
        await mqadmin(namesrv, "sendMessage", "-t", topic, "-p", topic)
        await mqadmin(namesrv, "updateSubGroup", "-b", addr, "-g", group, "-s", "false")
        await mqadmin(namesrv, "consumeMessage", "-t", topic, "-g", group, expect=1)

        await mqadmin(namesrv, "updateBrokerConfig", "-b", addr,
                      "-k", "autoCreateSubscriptionGroup", "-v", "false")  # fmt: skip
        unknown = unique("cy_adm3_unknown")
        code = await pull_code(admin, addr, unknown, topic)
        assert code == ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST
        assert unknown not in await group_table(admin, addr)
