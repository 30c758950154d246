"""Our asyncio PushConsumer against our broker and Apache RocketMQ's (same test bodies).

The official Java producer (rocketmq-client 4.9.8) sends; every message must
reach our consumer exactly as sent.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rocketmq.client.aio import (
    BROADCASTING,
    CONSUME_FROM_FIRST_OFFSET,
    ConsumeStatus,
    Message,
    MessageExt,
    Producer,
    PushConsumer,
)
from tests.interop import harness
from tests.interop.java_clients import produce
from tests.interop.messages import assert_same_messages, unique
from tests.interop.servers import FAST_DELAYS, SERVERS, running_server

pytestmark = pytest.mark.interop

JAVA_CLIENT = "client4"
WAIT_S = 60.0


@pytest.fixture(scope="module")
def java_built() -> None:
    harness.ensure_built(JAVA_CLIENT)
    harness.ensure_built("apache")


def as_recv(message: MessageExt) -> dict:
    """A MessageExt in the drivers' JSON shape, for assert_same_messages."""
    return {
        "msgId": message.msg_id,
        "topic": message.topic,
        "body": message.body.hex(),
        "tags": message.tags,
        "keys": message.keys,
        "props": dict(message.properties),
        "queueId": message.queue_id,
        "queueOffset": message.queue_offset,
        "reconsumeTimes": message.reconsume_times,
    }


class Collector:
    """A listener that records deliveries; fails the first delivery of chosen indexes."""

    def __init__(self, fail_first: set[str] = frozenset()) -> None:
        self.deliveries: list[MessageExt] = []
        self.fail_first = set(fail_first)
        self.changed = asyncio.Event()

    async def __call__(self, messages: list[MessageExt]) -> ConsumeStatus:
        self.deliveries.extend(messages)
        self.changed.set()
        index = messages[0].properties.get("u_index")
        if index in self.fail_first and messages[0].reconsume_times == 0:
            return ConsumeStatus.RECONSUME_LATER
        return ConsumeStatus.CONSUME_SUCCESS

    def distinct(self) -> int:
        return len({m.msg_id for m in self.deliveries})

    async def wait(self, predicate, what: str) -> None:
        await harness.poll_until(predicate, what, WAIT_S)


def consumer(namesrv: str, group: str, topic: str, listener, expression: str = "*", **kw):
    push = PushConsumer(
        group, namesrv, consume_from_where=CONSUME_FROM_FIRST_OFFSET, rebalance_interval_ms=1000,
        **kw,
    )  # fmt: skip
    push.subscribe(topic, expression)
    push.register_listener(listener)
    return push


@pytest.mark.timeout_s(240)
@pytest.mark.parametrize("server", SERVERS)
async def test_push_consumer_receives_filters_and_retries(
    java_built: None, server: str, tmp_path: Path
) -> None:
    topic = unique("cy_py_push")
    async with running_server(server, tmp_path, {"messageDelayLevel": FAST_DELAYS}) as namesrv:
        sent = await produce(JAVA_CLIENT, namesrv, topic, "--count", "10",
                             "--modes", "sync,async", "--tags", "TagA,TagB")  # fmt: skip
        everything = Collector(fail_first={"3"})
        only_a = Collector()
        async with (
            consumer(namesrv, unique("cy_py_all"), topic, everything),
            consumer(namesrv, unique("cy_py_a"), topic, only_a, "TagA"),
        ):
            await everything.wait(
                lambda: (
                    everything.distinct() == 20
                    and sum(m.reconsume_times == 1 for m in everything.deliveries) == 2
                ),
                "every message, and two retried",
            )
            await only_a.wait(lambda: only_a.distinct() == 10, "the TagA half")
        first = [as_recv(m) for m in everything.deliveries if m.reconsume_times == 0]
        assert_same_messages(sent, first)
        retried = [m for m in everything.deliveries if m.reconsume_times == 1]
        assert {m.properties["u_index"] for m in retried} == {"3"}
        assert all(m.topic == topic for m in retried)  # restored from RETRY_TOPIC
        assert_same_messages(
            [item for item in sent if item["tags"] == "TagA"],
            [as_recv(m) for m in only_a.deliveries],
        )


@pytest.mark.timeout_s(240)
@pytest.mark.parametrize("server", SERVERS)
async def test_two_members_share_then_one_takes_over(
    java_built: None, server: str, tmp_path: Path
) -> None:
    topic = unique("cy_py_share")
    group = unique("cy_py_grp")
    async with running_server(server, tmp_path, {"messageDelayLevel": FAST_DELAYS}) as namesrv:
        await produce(JAVA_CLIENT, namesrv, topic, "--count", "0", "--create-topic", "8")
        first, second = Collector(), Collector()
        one = consumer(namesrv, group, topic, first, instance_name="one")
        two = consumer(namesrv, group, topic, second, instance_name="two")
        await one.start()
        await two.start()
        try:

            def held(push: PushConsumer) -> set[int]:
                return {q.queue_id for q in push.queues if q.topic == topic}

            await harness.poll_until(
                lambda: len(held(one)) == 4 and len(held(two)) == 4
                and not held(one) & held(two),
                "an even split", WAIT_S,
            )  # fmt: skip
            sent = await produce(JAVA_CLIENT, namesrv, topic, "--count", "24", "--modes", "sync")
            await first.wait(lambda: first.distinct() + second.distinct() >= 24, "all 24")
            assert {m.queue_id for m in first.deliveries} <= held(one)
            assert {m.queue_id for m in second.deliveries} <= held(two)
            await two.shutdown()
            await harness.poll_until(lambda: len(held(one)) == 8, "every queue", WAIT_S)
            more = await produce(JAVA_CLIENT, namesrv, topic, "--count", "12", "--modes", "sync",
                                 "--run", "more")  # fmt: skip
            await first.wait(lambda: first.distinct() + second.distinct() >= 36, "all 36")
        finally:
            await one.shutdown()
            await two.shutdown()
        got = [as_recv(m) for m in first.deliveries + second.deliveries]
        assert_same_messages(sent + more, got)


@pytest.mark.timeout_s(180)
async def test_broadcasting_members_each_get_everything(java_built: None, tmp_path: Path) -> None:
    topic = unique("cy_py_bcast")
    group = unique("cy_py_bg")
    async with running_server("ours", tmp_path, {"messageDelayLevel": FAST_DELAYS}) as namesrv:
        sent = await produce(JAVA_CLIENT, namesrv, topic, "--count", "8", "--modes", "sync")
        members = [Collector(), Collector()]
        pushes = [
            consumer(namesrv, group, topic, members[i], message_model=BROADCASTING,
                     instance_name=f"b{i}", offset_store_dir=tmp_path / "offsets")
            for i in range(2)
        ]  # fmt: skip
        for push in pushes:
            await push.start()
        try:
            for member in members:
                await member.wait(lambda m=member: m.distinct() == 8, "all 8")
        finally:
            for push in pushes:
                await push.shutdown()
        for member in members:
            assert_same_messages(sent, [as_recv(m) for m in member.deliveries])
        for push in pushes:
            assert sum(json_offsets(push).values()) == 8


def json_offsets(push: PushConsumer) -> dict[str, int]:
    import json

    return json.loads(push.offset_file.read_text())["offsetTable"]


class OrderCheck:
    """An orderly listener: records (key, run, index, reconsume_times) per delivery, fails the
    first delivery of one index, and notes any queue consumed by two calls at once."""

    def __init__(self, fail_first: str) -> None:
        self.deliveries: list[tuple[str, str, int, int]] = []
        self.fail_first = fail_first
        self.busy: set[int] = set()
        self.overlaps = 0

    async def __call__(self, messages: list[MessageExt]) -> ConsumeStatus:
        queue_id = messages[0].queue_id
        if queue_id in self.busy:
            self.overlaps += 1
        self.busy.add(queue_id)
        try:
            await asyncio.sleep(0.002)  # let other queues' calls interleave
        finally:
            self.busy.discard(queue_id)
        for m in messages:
            props = m.properties
            self.deliveries.append(
                (props["u_shard"], props["u_run"], int(props["u_index"]), m.reconsume_times)
            )
        first = messages[0]
        if f"{first.properties['u_run']}/{first.properties['u_index']}" == self.fail_first:
            if first.reconsume_times == 0:
                return ConsumeStatus.RECONSUME_LATER
        return ConsumeStatus.CONSUME_SUCCESS

    def distinct(self) -> set[tuple[str, int]]:
        return {(run, index) for _key, run, index, _times in self.deliveries}


async def send_ordered(producer: Producer, topic: str, run: str, count: int) -> None:
    for index in range(count):
        key = f"key-{index % 4}"
        msg = Message(topic, f"{run}/{index}".encode(), tags="TagO")
        msg.put_user_property("u_shard", key)
        msg.put_user_property("u_run", run)
        msg.put_user_property("u_index", str(index))
        await producer.send_orderly(msg, key)


@pytest.mark.timeout_s(240)
@pytest.mark.parametrize("server", SERVERS)
async def test_orderly_members_keep_each_key_in_order(
    java_built: None, server: str, tmp_path: Path
) -> None:
    topic = unique("cy_py_order")
    group = unique("cy_py_og")
    async with running_server(server, tmp_path, {"messageDelayLevel": FAST_DELAYS}) as namesrv:
        await produce(JAVA_CLIENT, namesrv, topic, "--count", "0", "--create-topic", "8")
        checks = [OrderCheck(fail_first="a/5"), OrderCheck(fail_first="a/5")]
        pushes = []
        for name, check in zip(("one", "two"), checks, strict=True):
            push = PushConsumer(group, namesrv, consume_from_where=CONSUME_FROM_FIRST_OFFSET,
                                rebalance_interval_ms=1000, instance_name=name)  # fmt: skip
            push.subscribe(topic)
            push.register_listener(check, orderly=True)
            pushes.append(push)
        one, two = pushes

        def held(push: PushConsumer) -> set[int]:
            return {q.queue_id for q, s in push.queues.items()
                    if q.topic == topic and s.locked_at is not None}  # fmt: skip

        def got() -> set[tuple[str, int]]:
            return checks[0].distinct() | checks[1].distinct()

        async with Producer(unique("cy_py_opg"), namesrv) as producer:
            await one.start()
            await two.start()
            try:
                await harness.poll_until(
                    lambda: len(held(one)) == 4 and len(held(two)) == 4
                    and not held(one) & held(two),
                    "an even split, locked", WAIT_S,
                )  # fmt: skip
                await send_ordered(producer, topic, "a", 24)
                await harness.poll_until(lambda: len(got()) == 24, "all 24", WAIT_S)
                await two.shutdown()
                await harness.poll_until(lambda: len(held(one)) == 8, "every queue", WAIT_S)
                await send_ordered(producer, topic, "b", 12)
                await harness.poll_until(lambda: len(got()) == 36, "all 36", WAIT_S)
            finally:
                await one.shutdown()
                await two.shutdown()

    assert checks[0].overlaps == checks[1].overlaps == 0
    deliveries = checks[0].deliveries + checks[1].deliveries
    by_key: dict[str, list[tuple[str, int, int]]] = {}
    for check in checks:  # a key's queue moves between members only between the runs
        for key, run, index, times in check.deliveries:
            by_key.setdefault(key, []).append((run, index, times))
    for key, sequence in by_key.items():
        sequence.sort(key=lambda item: item[0])  # stable: run a, then run b
        positions = [(run, index) for run, index, _times in sequence]
        # The failed message comes again at once (suspended queue), before the key's next.
        expected = sorted(set(positions))
        if key == "key-1":
            expected.insert(expected.index(("a", 5)), ("a", 5))
        assert positions == expected, key
    redelivered = [(run, index, times) for _k, run, index, times in deliveries if times > 0]
    assert redelivered == [("a", 5, 1)]


@pytest.mark.timeout_s(180)
@pytest.mark.parametrize("limit", ["count", "span"])
async def test_pulls_run_ahead_within_flow_control(
    java_built: None, limit: str, tmp_path: Path
) -> None:
    """Pulls go on while the listener works, up to pull_threshold_for_queue messages
    (count) or consume_concurrently_max_span offsets (span); the committed offset
    never passes a message the listener has not finished."""
    topic = unique("cy_py_ahead")
    async with running_server("ours", tmp_path) as namesrv:
        await produce(JAVA_CLIENT, namesrv, topic, "--count", "0", "--create-topic", "1")
        async with Producer(unique("cy_py_ahead_p"), namesrv) as producer:
            for index in range(60):
                await producer.send(Message(topic, f"m{index}".encode()))
        release = asyncio.Event()
        done: list[int] = []

        async def listener(messages: list[MessageExt]) -> ConsumeStatus:
            offset = messages[0].queue_offset
            if limit == "count" or offset == 0:  # count: every call waits; span: the first
                await release.wait()
            done.append(offset)
            return ConsumeStatus.CONSUME_SUCCESS

        limits = (
            {"pull_threshold_for_queue": 10}
            if limit == "count"
            else {"consume_concurrently_max_span": 20}
        )
        push = consumer(namesrv, unique("cy_py_ahead_g"), topic, listener, pull_batch_size=4,
                        **limits)  # fmt: skip
        async with push:
            await harness.poll_until(
                lambda: any(q.topic == topic for q in push.queues), "the queue taken", WAIT_S
            )
            queue, state = next((q, s) for q, s in push.queues.items() if q.topic == topic)
            if limit == "count":  # 9 cached + a batch of 4 at most
                await harness.poll_until(lambda: state.next_offset >= 10, "pulls ahead", WAIT_S)
            else:  # every message but the first done, up to the span
                await harness.poll_until(
                    lambda: state.next_offset >= 20 and len(done) == state.next_offset - 1,
                    "pulls ahead", WAIT_S,
                )  # fmt: skip
            await asyncio.sleep(1.0)  # room for pulls that should not happen
            if limit == "count":
                assert 10 <= state.next_offset <= 13 and not done
            else:
                assert 20 <= state.next_offset <= 24 and 0 not in done
            await push.persist_offsets()
            assert await push.committed(queue) == 0
            release.set()
            await harness.poll_until(lambda: len(done) == 60, "all 60 consumed", WAIT_S)
            await push.persist_offsets()
            assert await push.committed(queue) == 60
        assert sorted(done) == list(range(60))
