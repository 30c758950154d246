"""Queue allocation strategies (rocketmq.client.rebalance) against the Java client's.

The interop test feeds a few hundred deterministic pseudo-random cases to
AllocateDriver (the Java strategies of rocketmq-client 4.9.8 and 5.3.3) and
requires the same queues, in the same order, or the same error, for every case,
strategy and consumer. The other tests pin edge cases and properties without Java.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rocketmq.client.rebalance import (
    AllocateMachineRoomNearby,
    AllocateMessageQueueAveragely,
    AllocateMessageQueueAveragelyByCircle,
    AllocateMessageQueueByConfig,
    AllocateMessageQueueByMachineRoom,
    AllocateMessageQueueConsistentHash,
    AllocateMessageQueueStrategy,
    MessageQueue,
)
from rocketmq.errors import ClientError
from tests.interop import harness

CASE_COUNT = 300
SEED = 20250601
ROOMS = ["hz", "sh", "bj"]
ABSENT_CID = "10.9.9.9@absent"
GROUP = "cy_rebalance_group"

AVG = AllocateMessageQueueAveragely()
CIRCLE = AllocateMessageQueueAveragelyByCircle()
HASH = AllocateMessageQueueConsistentHash()


@dataclass(frozen=True)
class DictResolver:
    """A MachineRoomResolver from two tables; a missing entry resolves to None."""

    broker_rooms: dict[str, str]
    consumer_rooms: dict[str, str]

    def broker_deploy_in(self, mq: MessageQueue) -> str | None:
        return self.broker_rooms.get(mq.broker_name)

    def consumer_deploy_in(self, client_id: str) -> str | None:
        return self.consumer_rooms.get(client_id)


def mqs(*triples: tuple[str, str, int]) -> list[MessageQueue]:
    return [MessageQueue(*triple) for triple in triples]


def queues(count: int, topic: str = "T", broker: str = "b") -> list[MessageQueue]:
    return [MessageQueue(topic, broker, i) for i in range(count)]


def allocation(
    strategy: AllocateMessageQueueStrategy, mq_all: list[MessageQueue], cid_all: list[str]
) -> dict[str, list[MessageQueue]]:
    return {cid: strategy.allocate(GROUP, cid, mq_all, cid_all) for cid in cid_all}


# ---------------------------------------------------------------------------
# Cases shared with the Java driver (see AllocateDriver's javadoc for the format)


def _broker_name(rng: random.Random, index: int) -> str:
    room = rng.choice(ROOMS)
    shape = rng.random()
    if shape < 0.6:
        return f"{room}@broker-{index}"
    if shape < 0.8:
        return f"broker-{index}"
    # String.split("@") edge shapes: trailing empty parts drop, others count.
    return rng.choice(
        [f"{room}@", f"@broker-{index}", f"{room}@broker-{index}@", f"{room}@a@{index}"]
    )


def make_case(rng: random.Random, case_id: int) -> dict[str, Any]:
    topics = rng.sample(["TopicA", "TopicB", "%RETRY%cy_group", "orders"], rng.randint(1, 3))
    brokers = [_broker_name(rng, index) for index in range(rng.randint(1, 3))]
    next_queue_id: dict[tuple[str, str], int] = {}
    triples = []
    for _ in range(rng.randint(1, 40)):
        pair = (rng.choice(topics), rng.choice(brokers))
        queue_id = next_queue_id.get(pair, 0)
        next_queue_id[pair] = queue_id + 1
        triples.append([pair[0], pair[1], queue_id])
    if rng.random() < 0.9:
        triples.sort()  # RebalanceImpl sorts; the strategies must not rely on it
    else:
        rng.shuffle(triples)

    cids = sorted(
        {
            f"192.168.{rng.randint(0, 3)}.{rng.randint(1, 254)}@{rng.randint(1000, 99999)}"
            for _ in range(rng.randint(1, 12))
        }
    )
    if rng.random() < 0.1:
        rng.shuffle(cids)
    if rng.random() < 0.06:
        cids.insert(rng.randrange(len(cids) + 1), rng.choice(cids))  # listed twice
    currents = [*dict.fromkeys(cids), ABSENT_CID]
    if rng.random() < 0.1:
        currents.append("")
    if rng.random() < 0.03:
        triples = []
    if rng.random() < 0.03:
        cids = []

    broker_rooms = {}
    for broker in brokers:
        prefix = broker.split("@")[0]
        broker_rooms[broker] = prefix if prefix in ROOMS else rng.choice(ROOMS)
    consumer_rooms = {cid: rng.choice(ROOMS[: rng.randint(1, 3)]) for cid in cids}
    if rng.random() < 0.05:
        unresolved = rng.choice(brokers)
        if rng.random() < 0.5:
            broker_rooms[unresolved] = ""  # isNoneEmpty fails on "" like on null
        else:
            del broker_rooms[unresolved]
    if rng.random() < 0.05 and cids:
        consumer_rooms.pop(rng.choice(cids))
    all_mqs = triples or [["TopicA", "broker-0", 0]]
    strategies: list[dict[str, Any]] = [
        {"kind": "AVG"},
        {"kind": "AVG_BY_CIRCLE"},
        {"kind": "CONSISTENT_HASH"},
        {"kind": "CONSISTENT_HASH", "virtualNodes": rng.randint(0, 4)},
        {"kind": "CONFIG", "queues": rng.sample(all_mqs, rng.randint(0, len(all_mqs)))},
        {"kind": "MACHINE_ROOM", "idcs": rng.sample([*ROOMS, ""], rng.randint(0, 3))},
        {
            "kind": "MACHINE_ROOM_NEARBY",
            "inner": {"kind": rng.choice(["AVG", "AVG_BY_CIRCLE", "CONSISTENT_HASH"])},
            "brokerRooms": broker_rooms,
            "consumerRooms": consumer_rooms,
        },
    ]
    return {
        "id": case_id,
        "group": GROUP,
        "queues": triples,
        "cids": cids,
        "currents": currents,
        "strategies": strategies,
    }


def make_cases() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    return [make_case(rng, case_id) for case_id in range(CASE_COUNT)]


def build_strategy(spec: dict[str, Any]) -> AllocateMessageQueueStrategy:
    kind = spec["kind"]
    if kind == "AVG":
        return AllocateMessageQueueAveragely()
    if kind == "AVG_BY_CIRCLE":
        return AllocateMessageQueueAveragelyByCircle()
    if kind == "CONSISTENT_HASH":
        if "virtualNodes" in spec:
            return AllocateMessageQueueConsistentHash(spec["virtualNodes"])
        return AllocateMessageQueueConsistentHash()
    if kind == "CONFIG":
        return AllocateMessageQueueByConfig([MessageQueue(*t) for t in spec["queues"]])
    if kind == "MACHINE_ROOM":
        return AllocateMessageQueueByMachineRoom(spec["idcs"])
    assert kind == "MACHINE_ROOM_NEARBY", kind
    resolver = DictResolver(spec["brokerRooms"], spec["consumerRooms"])
    return AllocateMachineRoomNearby(build_strategy(spec["inner"]), resolver)


def python_lines(case: dict[str, Any]) -> list[dict[str, Any]]:
    """What AllocateDriver prints for ``case``, computed by rocketmq.client.rebalance."""
    mq_all = [MessageQueue(*t) for t in case["queues"]]
    out = []
    for index, spec in enumerate(case["strategies"]):
        strategy = build_strategy(spec)
        for cid in case["currents"]:
            line: dict[str, Any] = {
                "case": case["id"],
                "strategy": index,
                "name": strategy.name,
                "cid": cid,
            }
            try:
                result = strategy.allocate(case["group"], cid, mq_all, case["cids"])
            except ClientError as exc:
                line["error"] = f"IllegalArgumentException: {exc}"
            else:
                line["queues"] = [[mq.topic, mq.broker_name, mq.queue_id] for mq in result]
            out.append(line)
    return out


@pytest.mark.interop
@pytest.mark.timeout_s(300)
@pytest.mark.parametrize("module", ["client4", "client5"])
async def test_matches_java_strategies(module: str, tmp_path: Path) -> None:
    cases = make_cases()
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(case) + "\n" for case in cases), encoding="utf-8")
    harness.ensure_built(module)
    code, out, err = await harness.run_java(
        "client4.AllocateDriver", "--cases", str(path), module=module
    )
    assert code == 0, out[-2000:] + err[-2000:]
    lines = out.splitlines()
    assert lines[-1] == "OK allocate", lines[-3:]
    java = [json.loads(line) for line in lines if line.startswith("{")]
    ours = [line for case in cases for line in python_lines(case)]
    assert len(java) == len(ours)
    mismatches = [(j, o) for j, o in zip(java, ours, strict=True) if j != o]
    assert not mismatches, f"{len(mismatches)} differ, first: {mismatches[:3]}"
    # The cases reach every outcome the strategies have.
    assert any("error" in line for line in java)
    assert any(line.get("queues") == [] for line in java)
    assert {line["name"] for line in java} >= {
        "AVG",
        "AVG_BY_CIRCLE",
        "CONSISTENT_HASH",
        "CONFIG",
        "MACHINE_ROOM",
        "MACHINE_ROOM_NEARBY-AVG",
        "MACHINE_ROOM_NEARBY-AVG_BY_CIRCLE",
        "MACHINE_ROOM_NEARBY-CONSISTENT_HASH",
    }


# ---------------------------------------------------------------------------
# Edge cases and properties (no Java)


def test_names_match_java_get_name() -> None:
    resolver = DictResolver({}, {})
    assert AVG.name == "AVG"
    assert CIRCLE.name == "AVG_BY_CIRCLE"
    assert HASH.name == "CONSISTENT_HASH"
    assert AllocateMessageQueueByConfig([]).name == "CONFIG"
    assert AllocateMessageQueueByMachineRoom(set()).name == "MACHINE_ROOM"
    assert AllocateMachineRoomNearby(CIRCLE, resolver).name == "MACHINE_ROOM_NEARBY-AVG_BY_CIRCLE"


def test_message_queue_text_and_order() -> None:
    mq = MessageQueue("TopicA", "hz@broker-a", 3)
    assert str(mq) == "MessageQueue [topic=TopicA, brokerName=hz@broker-a, queueId=3]"
    unordered = mqs(("B", "a", 0), ("A", "b", 0), ("A", "a", 10), ("A", "a", 2))
    assert sorted(unordered) == mqs(("A", "a", 2), ("A", "a", 10), ("A", "b", 0), ("B", "a", 0))


@pytest.mark.parametrize("strategy", [AVG, CIRCLE, HASH, AllocateMessageQueueByMachineRoom({"hz"})])
def test_argument_checks(strategy: AllocateMessageQueueStrategy) -> None:
    mq_all = queues(2)
    with pytest.raises(ClientError, match=r"^currentCID is empty$"):
        strategy.allocate(GROUP, "", mq_all, ["c1"])
    with pytest.raises(ClientError, match=r"^currentCID is empty$"):
        strategy.allocate(GROUP, None, mq_all, ["c1"])  # type: ignore[arg-type]
    with pytest.raises(ClientError, match=r"^mqAll is null or mqAll empty$"):
        strategy.allocate(GROUP, "c1", [], ["c1"])
    with pytest.raises(ClientError, match=r"^cidAll is null or cidAll empty$"):
        strategy.allocate(GROUP, "c1", mq_all, [])
    # Java checks in this order: an empty cid wins over empty lists.
    with pytest.raises(ClientError, match=r"^currentCID is empty$"):
        strategy.allocate(GROUP, "", [], [])
    assert isinstance(ClientError("x"), ValueError)


def test_absent_consumer_gets_nothing_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="rocketmq.client"):
        assert AVG.allocate(GROUP, "c9", queues(4), ["c1", "c2"]) == []
    assert caplog.records[-1].getMessage() == (
        f"[BUG] ConsumerGroup: {GROUP} The consumerId: c9 not in cidAll: ['c1', 'c2']"
    )


def test_averagely_blocks() -> None:
    mq_all = queues(8)
    assert allocation(AVG, mq_all, ["a", "b", "c"]) == {
        "a": mq_all[0:3],
        "b": mq_all[3:6],
        "c": mq_all[6:8],
    }
    few = queues(2)
    assert allocation(AVG, few, ["a", "b", "c", "d"]) == {
        "a": few[0:1],
        "b": few[1:2],
        "c": [],
        "d": [],
    }


def test_averagely_by_circle_round_robin() -> None:
    mq_all = queues(7)
    assert allocation(CIRCLE, mq_all, ["a", "b", "c"]) == {
        "a": [mq_all[0], mq_all[3], mq_all[6]],
        "b": [mq_all[1], mq_all[4]],
        "c": [mq_all[2], mq_all[5]],
    }


def test_client_id_listed_twice_like_java() -> None:
    # The allocations AllocateDriver printed on rocketmq-client 4.9.8 and 5.3.3.
    mq_all = mqs(
        ("T", "b1", 0), ("T", "b1", 1), ("T", "b2", 0), ("T", "r1@b3", 0), ("T", "r2@b4", 0)
    )
    cid_all = ["c1", "c2", "c2"]
    # indexOf finds the first c2: r2@b4 (the second c2's share) is nobody's.
    assert allocation(AVG, mq_all, cid_all) == {"c1": mq_all[0:2], "c2": mq_all[2:4]}
    # The second c2 adds virtual nodes c2-10 .. c2-19.
    assert allocation(HASH, mq_all, cid_all) == {"c1": mq_all[0:1], "c2": mq_all[1:5]}


def test_consistent_hash_virtual_nodes() -> None:
    with pytest.raises(ClientError, match=r"^illegal virtualNodeCnt :-1$"):
        AllocateMessageQueueConsistentHash(-1)
    assert AllocateMessageQueueConsistentHash(0).allocate(GROUP, "a", queues(3), ["a"]) == []
    assert AllocateMessageQueueConsistentHash(1).allocate(GROUP, "a", queues(3), ["a"]) == queues(3)


def test_consistent_hash_custom_function() -> None:
    # Ring points: a-0 at 10, b-0 at 20. Queue 0 hashes to 15 and goes to b;
    # queue 1 hashes to 25 and wraps around to a.
    points = {"a-0": 10, "b-0": 20, str(MessageQueue("T", "b", 0)): 15}
    strategy = AllocateMessageQueueConsistentHash(1, lambda key: points.get(key, 25))
    assert allocation(strategy, queues(2), ["a", "b"]) == {
        "a": [MessageQueue("T", "b", 1)],
        "b": [MessageQueue("T", "b", 0)],
    }


def _random_cases(count: int) -> list[tuple[list[MessageQueue], list[str]]]:
    rng = random.Random(SEED + 1)
    out = []
    for _ in range(count):
        mq_all = [
            MessageQueue(f"T{rng.randint(0, 2)}", f"{rng.choice(ROOMS)}@b{rng.randint(0, 2)}", i)
            for i in range(rng.randint(1, 40))
        ]
        cid_all = sorted({f"cid-{rng.randint(0, 99)}" for _ in range(rng.randint(1, 12))})
        out.append((mq_all, cid_all))
    return out


@pytest.mark.parametrize("strategy", [AVG, CIRCLE, HASH], ids=lambda s: s.name)
def test_every_queue_assigned_exactly_once(strategy: AllocateMessageQueueStrategy) -> None:
    for mq_all, cid_all in _random_cases(100):
        taken = [mq for share in allocation(strategy, mq_all, cid_all).values() for mq in share]
        assert sorted(taken) == sorted(mq_all)


def test_averagely_shares_differ_by_at_most_one() -> None:
    for mq_all, cid_all in _random_cases(100):
        shares = list(allocation(AVG, mq_all, cid_all).values())
        sizes = [len(share) for share in shares]
        assert max(sizes) - min(sizes) <= 1
        assert sizes == sorted(sizes, reverse=True)
        assert [mq for share in shares for mq in share] == mq_all  # contiguous, in order


def test_consistent_hash_moves_only_the_leavers_queues() -> None:
    for mq_all, cid_all in _random_cases(50):
        if len(cid_all) < 2:
            continue
        before = allocation(HASH, mq_all, cid_all)
        leaver = cid_all[len(cid_all) // 2]
        after = allocation(HASH, mq_all, [cid for cid in cid_all if cid != leaver])
        for cid, share in after.items():
            assert set(before[cid]) <= set(share)


def test_config_ignores_arguments() -> None:
    fixed = mqs(("T", "b", 5), ("T", "a", 1))
    strategy = AllocateMessageQueueByConfig(fixed)
    assert strategy.allocate(GROUP, "", [], []) == fixed
    assert strategy.allocate(GROUP, "c1", queues(3), ["c2"]) == fixed


def test_machine_room_broker_name_split() -> None:
    mq_all = mqs(
        ("T", "hz@b", 0),
        ("T", "hz@b@", 0),  # trailing empty part dropped: room hz
        ("T", "hz@", 0),  # one part: ignored
        ("T", "hz@a@b", 0),  # three parts: ignored
        ("T", "sh@b", 0),  # other room
        ("T", "b", 0),  # no room
        ("T", "@b", 0),  # room ""
    )
    strategy = AllocateMessageQueueByMachineRoom({"hz", ""})
    assert strategy.allocate(GROUP, "c1", mq_all, ["c1"]) == [mq_all[0], mq_all[1], mq_all[6]]


def test_machine_room_blocks_then_leftovers() -> None:
    mq_all = queues(8, broker="hz@b")
    strategy = AllocateMessageQueueByMachineRoom({"hz"})
    assert allocation(strategy, mq_all, ["a", "b", "c"]) == {
        "a": [mq_all[0], mq_all[1], mq_all[6]],
        "b": [mq_all[2], mq_all[3], mq_all[7]],
        "c": [mq_all[4], mq_all[5]],
    }
    for mq_all, cid_all in _random_cases(100):
        strategy = AllocateMessageQueueByMachineRoom({"hz", "bj"})
        taken = [mq for share in allocation(strategy, mq_all, cid_all).values() for mq in share]
        expected = [mq for mq in mq_all if mq.broker_name.split("@")[0] in ("hz", "bj")]
        assert sorted(taken) == sorted(expected)


def test_machine_room_nearby() -> None:
    mq_all = mqs(("T", "a1", 0), ("T", "a1", 1), ("T", "b1", 0), ("T", "c1", 0), ("T", "d1", 0))
    resolver = DictResolver(
        {"a1": "A", "b1": "B", "c1": "C", "d1": "D"}, {"x": "A", "y": "A", "z": "B"}
    )
    strategy = AllocateMachineRoomNearby(AVG, resolver)
    # Own room first; rooms C and D have no consumer and are split among all three.
    assert allocation(strategy, mq_all, ["x", "y", "z"]) == {
        "x": [mq_all[0], mq_all[3], mq_all[4]],
        "y": [mq_all[1]],
        "z": [mq_all[2]],
    }
    for inner in (AVG, CIRCLE, HASH):
        for mq_all, cid_all in _random_cases(50):
            # Consumers in hz and sh only: queues in bj are shared by all.
            rooms = DictResolver(
                {mq.broker_name: mq.broker_name.split("@")[0] for mq in mq_all},
                {cid: ROOMS[int(cid.split("-")[1]) % 2] for cid in cid_all},
            )
            strategy = AllocateMachineRoomNearby(inner, rooms)
            taken = [mq for share in allocation(strategy, mq_all, cid_all).values() for mq in share]
            assert sorted(taken) == sorted(mq_all)


def test_machine_room_nearby_unresolved_room() -> None:
    strategy = AllocateMachineRoomNearby(AVG, DictResolver({"a1": "A"}, {"x": "A"}))
    with pytest.raises(
        ClientError, match=r"^Machine room is null for mq MessageQueue \[topic=T, brokerName=b1"
    ):
        strategy.allocate(GROUP, "x", mqs(("T", "a1", 0), ("T", "b1", 0)), ["x"])
    with pytest.raises(ClientError, match=r"^Machine room is null for consumer id y$"):
        strategy.allocate(GROUP, "x", mqs(("T", "a1", 0)), ["x", "y"])
    with pytest.raises(ClientError):
        AllocateMachineRoomNearby(None, DictResolver({}, {}))  # type: ignore[arg-type]
