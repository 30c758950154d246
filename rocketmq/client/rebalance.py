"""Queue allocation strategies: which queues of a topic one consumer of a group takes.

Upstream CL/consumer/rebalance/ (rocketmq-client 4.9.8 and 5.3.3 behave the
same). Rebalance calls ``allocate(consumer_group, current_cid, mq_all,
cid_all)`` with both lists sorted; a strategy is pure and keeps the order of
its inputs, so every member of a group computes the same split independently.
The output (content and order) equals the Java strategy's for the same input,
including its quirks:

* AVG and MACHINE_ROOM locate the consumer with ``indexOf``: with a client id
  listed twice, both copies take the first copy's share.
* CONSISTENT_HASH numbers the virtual nodes of a client id listed twice on from
  the replicas already on the ring (``cid-10`` .. ``cid-19``), and a virtual
  node whose hash equals an earlier one's replaces it.
* MACHINE_ROOM splits the broker name with Java's ``String.split("@")``, which
  drops trailing empty parts ("room@name@" counts as "room" + "name"), and gives
  the ``m mod n`` leftover queues one each to the first consumers.
* CONFIG returns its list without looking at its arguments.

Errors: the argument checks raise ClientError with Java's
IllegalArgumentException messages; a current id missing from ``cid_all`` is
logged (upstream's "[BUG]" line at INFO) and gets no queues.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
from collections.abc import Callable, Collection, Sequence
from typing import Protocol

from rocketmq.common.message_queue import MessageQueue
from rocketmq.errors import ClientError

__all__ = [
    "AllocateMachineRoomNearby",
    "AllocateMessageQueueAveragely",
    "AllocateMessageQueueAveragelyByCircle",
    "AllocateMessageQueueByConfig",
    "AllocateMessageQueueByMachineRoom",
    "AllocateMessageQueueConsistentHash",
    "AllocateMessageQueueStrategy",
    "MachineRoomResolver",
    "MessageQueue",
    "md5_hash",
]

logger = logging.getLogger("rocketmq.client")

# AllocateMessageQueueConsistentHash() uses 10 virtual nodes per client id.
VIRTUAL_NODE_COUNT_DEFAULT = 10


class AllocateMessageQueueStrategy(Protocol):
    """CL/consumer/AllocateMessageQueueStrategy."""

    @property
    def name(self) -> str: ...

    def allocate(
        self,
        consumer_group: str,
        current_cid: str,
        mq_all: Sequence[MessageQueue],
        cid_all: Sequence[str],
    ) -> list[MessageQueue]: ...


class MachineRoomResolver(Protocol):
    """AllocateMachineRoomNearby.MachineRoomResolver: the room of a broker or a client."""

    def broker_deploy_in(self, mq: MessageQueue) -> str | None: ...

    def consumer_deploy_in(self, client_id: str) -> str | None: ...


def _check(
    consumer_group: str,
    current_cid: str | None,
    mq_all: Sequence[MessageQueue] | None,
    cid_all: Sequence[str] | None,
) -> bool:
    """AbstractAllocateMessageQueueStrategy.check: False means "allocate nothing"."""
    if not current_cid:
        raise ClientError("currentCID is empty")
    if not mq_all:
        raise ClientError("mqAll is null or mqAll empty")
    if not cid_all:
        raise ClientError("cidAll is null or cidAll empty")
    if current_cid not in cid_all:
        logger.info(
            "[BUG] ConsumerGroup: %s The consumerId: %s not in cidAll: %s",
            consumer_group,
            current_cid,
            list(cid_all),
        )
        return False
    return True


class AllocateMessageQueueAveragely:
    """AVG (the default): a contiguous block per consumer, the first ``m mod n`` one longer."""

    name = "AVG"

    def allocate(
        self,
        consumer_group: str,
        current_cid: str,
        mq_all: Sequence[MessageQueue],
        cid_all: Sequence[str],
    ) -> list[MessageQueue]:
        if not _check(consumer_group, current_cid, mq_all, cid_all):
            return []
        index = list(cid_all).index(current_cid)
        queue_count = len(mq_all)
        consumer_count = len(cid_all)
        remainder = queue_count % consumer_count
        if queue_count <= consumer_count:
            size = 1
        elif remainder > 0 and index < remainder:
            size = queue_count // consumer_count + 1
        else:
            size = queue_count // consumer_count
        if remainder > 0 and index < remainder:
            start = index * size
        else:
            start = index * size + remainder
        count = min(size, queue_count - start)
        return list(mq_all[start : start + count]) if count > 0 else []


class AllocateMessageQueueAveragelyByCircle:
    """AVG_BY_CIRCLE: round robin, queue j goes to consumer ``j mod n``."""

    name = "AVG_BY_CIRCLE"

    def allocate(
        self,
        consumer_group: str,
        current_cid: str,
        mq_all: Sequence[MessageQueue],
        cid_all: Sequence[str],
    ) -> list[MessageQueue]:
        if not _check(consumer_group, current_cid, mq_all, cid_all):
            return []
        index = list(cid_all).index(current_cid)
        consumer_count = len(cid_all)
        # Java starts at j = index; earlier j cannot match j mod n == index.
        return [mq_all[j] for j in range(index, len(mq_all)) if j % consumer_count == index]


def md5_hash(key: str) -> int:
    """ConsistentHashRouter.MD5Hash: the first 4 bytes of MD5(key) as an unsigned int.

    Java hashes ``key.getBytes()`` (the platform charset); we use UTF-8, the
    JDK 18+ default and what RocketMQ deployments set.
    """
    return int.from_bytes(hashlib.md5(key.encode("utf-8")).digest()[:4], "big")


class AllocateMessageQueueConsistentHash:
    """CONSISTENT_HASH: a ring of ``virtual_node_count`` nodes per client id.

    Virtual node ``k`` of a client is keyed ``"<cid>-<k>"``; a queue hashes its
    Java ``toString()`` and goes to the first node at or after that hash,
    wrapping to the lowest. ``hash_function`` replaces md5_hash (Java's
    HashFunction). With 0 virtual nodes the ring is empty and nobody gets a queue.
    """

    name = "CONSISTENT_HASH"

    def __init__(
        self,
        virtual_node_count: int = VIRTUAL_NODE_COUNT_DEFAULT,
        hash_function: Callable[[str], int] | None = None,
    ) -> None:
        if virtual_node_count < 0:
            raise ClientError(f"illegal virtualNodeCnt :{virtual_node_count}")
        self.virtual_node_count = virtual_node_count
        self.hash_function = hash_function if hash_function is not None else md5_hash

    def allocate(
        self,
        consumer_group: str,
        current_cid: str,
        mq_all: Sequence[MessageQueue],
        cid_all: Sequence[str],
    ) -> list[MessageQueue]:
        if not _check(consumer_group, current_cid, mq_all, cid_all):
            return []
        ring: dict[int, str] = {}
        for cid in cid_all:
            # ConsistentHashRouter.addNode numbers on from the node's replicas
            # already on the ring (a repeated id, less any overwritten by a collision).
            existing = sum(1 for owner in ring.values() if owner == cid)
            for replica in range(existing, existing + self.virtual_node_count):
                ring[self.hash_function(f"{cid}-{replica}")] = cid
        if not ring:
            return []
        points = sorted(ring)
        result = []
        for mq in mq_all:
            position = bisect.bisect_left(points, self.hash_function(str(mq)))
            owner = ring[points[position if position < len(points) else 0]]
            if owner == current_cid:
                result.append(mq)
        return result


class AllocateMessageQueueByConfig:
    """CONFIG: always the configured queues, whatever the arguments."""

    name = "CONFIG"

    def __init__(self, message_queues: Sequence[MessageQueue]) -> None:
        self.message_queues = tuple(message_queues)

    def allocate(
        self,
        consumer_group: str,
        current_cid: str,
        mq_all: Sequence[MessageQueue],
        cid_all: Sequence[str],
    ) -> list[MessageQueue]:
        return list(self.message_queues)


def _java_split(text: str, separator: str) -> list[str]:
    """Java's ``String.split`` for a literal one-character separator.

    No match gives ``[text]``; otherwise trailing empty parts are dropped.
    """
    if separator not in text:
        return [text]
    parts = text.split(separator)
    while parts and not parts[-1]:
        parts.pop()
    return parts


class AllocateMessageQueueByMachineRoom:
    """MACHINE_ROOM: only queues of brokers named ``room@name`` with ``room`` in ``consumer_idcs``.

    Of those m' queues each of the n consumers takes a contiguous block of
    ``m' // n``, and consumer i < ``m' mod n`` one more from the tail.
    """

    name = "MACHINE_ROOM"

    def __init__(self, consumer_idcs: Collection[str]) -> None:
        self.consumer_idcs = frozenset(consumer_idcs)

    def allocate(
        self,
        consumer_group: str,
        current_cid: str,
        mq_all: Sequence[MessageQueue],
        cid_all: Sequence[str],
    ) -> list[MessageQueue]:
        if not _check(consumer_group, current_cid, mq_all, cid_all):
            return []
        index = list(cid_all).index(current_cid)
        in_rooms = []
        for mq in mq_all:
            parts = _java_split(mq.broker_name, "@")
            if len(parts) == 2 and parts[0] in self.consumer_idcs:
                in_rooms.append(mq)
        consumer_count = len(cid_all)
        block = len(in_rooms) // consumer_count
        leftover = len(in_rooms) % consumer_count
        result = in_rooms[block * index : block * index + block]
        if leftover > index:
            result.append(in_rooms[index + block * consumer_count])
        return result


def _utf16_order(text: str) -> bytes:
    # Java orders Strings (TreeMap keys) by UTF-16 code unit, not code point.
    return text.encode("utf-16-be", "surrogatepass")


class AllocateMachineRoomNearby:
    """MACHINE_ROOM_NEARBY-<inner>: consumers take the queues of their own room first.

    Queues and consumers are grouped by the room ``resolver`` names. The current
    consumer runs ``inner`` on its room's queues among its room's consumers, and
    then, for each room with queues but no consumer (in room order), on that
    room's queues among all consumers. A queue or consumer without a room raises
    ClientError.
    """

    def __init__(self, inner: AllocateMessageQueueStrategy, resolver: MachineRoomResolver) -> None:
        if inner is None:
            raise ClientError("allocateMessageQueueStrategy is null")
        if resolver is None:
            raise ClientError("machineRoomResolver is null")
        self.inner = inner
        self.resolver = resolver

    @property
    def name(self) -> str:
        return "MACHINE_ROOM_NEARBY-" + self.inner.name

    def allocate(
        self,
        consumer_group: str,
        current_cid: str,
        mq_all: Sequence[MessageQueue],
        cid_all: Sequence[str],
    ) -> list[MessageQueue]:
        if not _check(consumer_group, current_cid, mq_all, cid_all):
            return []
        queues_by_room: dict[str, list[MessageQueue]] = {}
        for mq in mq_all:
            room = self.resolver.broker_deploy_in(mq)
            if not room:
                raise ClientError(f"Machine room is null for mq {mq}")
            queues_by_room.setdefault(room, []).append(mq)
        consumers_by_room: dict[str, list[str]] = {}
        for cid in cid_all:
            room = self.resolver.consumer_deploy_in(cid)
            if not room:
                raise ClientError(f"Machine room is null for consumer id {cid}")
            consumers_by_room.setdefault(room, []).append(cid)

        result: list[MessageQueue] = []
        # current_cid is in cid_all, so its room resolved in the loop above.
        current_room = self.resolver.consumer_deploy_in(current_cid) or ""
        own_queues = queues_by_room.pop(current_room, None)
        if own_queues:
            own_consumers = consumers_by_room.get(current_room, [])
            result.extend(
                self.inner.allocate(consumer_group, current_cid, own_queues, own_consumers)
            )
        for room in sorted(queues_by_room, key=_utf16_order):
            if room not in consumers_by_room:
                result.extend(
                    self.inner.allocate(consumer_group, current_cid, queues_by_room[room], cid_all)
                )
        return result
