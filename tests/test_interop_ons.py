"""ali-ons, the Node.js RocketMQ client, against our NameServer and broker.

ali-ons sends with a topic's own route only (no TBW102 fallback), so the
tests create their topics first, as an operator would.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rocketmq._testbase.cluster import LocalCluster
from rocketmq.client.aio import Admin
from tests.interop import harness, node_harness
from tests.interop.java_clients import consume_push, produce
from tests.interop.messages import decode_offset_msg_id, unique
from tests.interop.servers import FAST_DELAYS

pytestmark = pytest.mark.interop

QUEUES = 4


@pytest.fixture(scope="module")
def ons_installed() -> None:
    """ali-ons installed and the Java client built, before any cluster's loop runs."""
    node_harness.ensure_installed()
    harness.ensure_built("client4")


async def create_topic(namesrv: str, topic: str) -> None:
    async with Admin(namesrv) as admin:
        await admin.create_topic(topic, QUEUES, cluster="DefaultCluster")


@pytest.mark.timeout_s(180)
async def test_ali_ons_produces_and_consumes_with_a_retry(
    ons_installed: None, tmp_path: Path
) -> None:
    """Sends come back intact, once each; an ACTION_RETRY answer brings the message
    back through %RETRY%group; the Java client reads the same messages."""
    overrides = {"message_delay_level": FAST_DELAYS}
    async with LocalCluster(tmp_path, store_overrides=overrides) as cluster:
        namesrv, topic = cluster.namesrv_addr, unique("cy_ons")
        await create_topic(namesrv, topic)
        lines = await node_harness.run_ons(
            "produce", "--namesrv", namesrv, "--topic", topic, "--count", "10",
            "--run", "r1", "--tags", "TagA,TagB",
        )  # fmt: skip
        sent = [line for line in lines if line["event"] == "sent"]
        assert [line["index"] for line in sent] == list(range(10))
        for line in sent:
            ip, port, offset = decode_offset_msg_id(line["msgId"])
            assert (ip, port) == ("127.0.0.1", cluster.broker.port)
            assert cluster.broker.store.commit_log.max_offset > offset
        per_queue = {q: sum(1 for s in sent if int(s["queueId"]) == q) for q in range(QUEUES)}
        assert all(cluster.broker.store.get_max_offset_in_queue(topic, q) == n
                   for q, n in per_queue.items())  # fmt: skip

        group = unique("cy_ons_g")
        lines = await node_harness.run_ons(
            "consume", "--namesrv", namesrv, "--topic", topic, "--group", group,
            "--expect", "10", "--retry-first", "true",
        )  # fmt: skip
        received = [line for line in lines if line["event"] == "recv"]
        by_body: dict[str, list[dict]] = {}
        for line in received:
            by_body.setdefault(line["body"], []).append(line)
        assert set(by_body) == {line["body"] for line in sent}
        for line in sent:
            first = by_body[line["body"]][0]
            assert (first["msgId"], first["tags"], first["keys"]) == (
                line["msgId"], line["tags"], f"key-r1-{line['index']}"
            )  # fmt: skip
            assert first["props"]["u_index"] == str(line["index"])
            assert first["reconsumeTimes"] == 0
        # Index 0 was answered ACTION_RETRY once: it came back from the retry topic.
        again = by_body["r1/ons/0"]
        assert len(again) == 2, again
        assert again[1]["reconsumeTimes"] == 1
        assert again[1]["props"]["ORIGIN_MESSAGE_ID"] == sent[0]["msgId"]
        assert again[1]["props"]["RETRY_TOPIC"] == topic
        assert all(len(by_body[line["body"]]) == 1 for line in sent[1:])

        java = await consume_push("client4", namesrv, topic, 10, "--group", unique("cy_ons_j"))
        assert sorted(bytes.fromhex(got["body"]).decode() for got in java) == sorted(
            line["body"] for line in sent
        )
        assert {got["msgId"] for got in java} == {line["msgId"] for line in sent}


@pytest.mark.timeout_s(180)
async def test_java_producer_then_ali_ons_consumer(ons_installed: None, tmp_path: Path) -> None:
    """Messages from the Java client (UNIQ_KEY ids, user properties) reach ali-ons intact."""
    async with LocalCluster(tmp_path) as cluster:
        namesrv, topic = cluster.namesrv_addr, unique("cy_ons_j")
        await create_topic(namesrv, topic)
        sent = await produce("client4", namesrv, topic, "--count", "8", "--modes", "sync,oneway")
        lines = await node_harness.run_ons(
            "consume", "--namesrv", namesrv, "--topic", topic, "--group", unique("cy_ons_g"),
            "--expect", str(len(sent)),
        )  # fmt: skip
        received = {line["props"]["UNIQ_KEY"]: line for line in lines if line["event"] == "recv"}
        assert set(received) == {item["msgId"] for item in sent}
        for item in sent:
            got = received[item["msgId"]]
            assert got["bodyHex"] == item["body"]
            assert (got["tags"], got["keys"]) == (item["tags"], item["keys"])
            for key, value in item["props"].items():
                if key.startswith("u_"):
                    assert got["props"][key] == value
