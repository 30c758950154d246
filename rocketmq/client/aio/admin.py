"""Admin: topics, routes and offsets (a small part of DefaultMQAdminExt).

``create_topic`` sends UPDATE_AND_CREATE_TOPIC to the masters of a cluster
(or to one broker address); the NameServer serves the new route once the
brokers registered it again (they do at once, or within their register
interval). The other calls read: cluster info (GET_BROKER_CLUSTER_INFO from a
NameServer), a topic's route, queue min/max offsets, a group's stored
offsets and the consumers online in a group.

Errors: BrokerError (the response code's class), RemotingError subclasses,
ClientError for misuse (an unknown cluster, a topic without a route).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rocketmq._core import remoting as codec
from rocketmq.client.aio import consumer_core as core
from rocketmq.client.aio.instance import ClientInstance, ClientSettings, parse_namesrv_addrs
from rocketmq.common import json_body
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.common.message_queue import MessageQueue
from rocketmq.common.topic import MASTER_ID, PERM_READ, PERM_WRITE
from rocketmq.errors import BrokerError, ClientError, RemotingError
from rocketmq.namesrv.route_data import TopicRouteData

RemotingCommand = codec.RemotingCommand

AUTO_CREATE_TOPIC_KEY = "TBW102"


@dataclass(frozen=True)
class ClusterInfo:
    """GET_BROKER_CLUSTER_INFO: broker name -> {broker id -> address}; cluster -> broker names."""

    brokers: dict[str, dict[int, str]]
    clusters: dict[str, list[str]]

    def masters(self, cluster: str) -> dict[str, str]:
        """broker name -> master address of ``cluster``'s brokers that have a master."""
        out = {}
        for name in self.clusters.get(cluster, []):
            addr = self.brokers.get(name, {}).get(MASTER_ID)
            if addr is not None:
                out[name] = addr
        return out


class Admin:
    def __init__(
        self,
        namesrv_addr: str | Sequence[str],
        *,
        instance_name: str = "admin",
        request_timeout_ms: int = 3000,
    ) -> None:
        settings = ClientSettings(
            parse_namesrv_addrs(namesrv_addr),
            instance_name=instance_name,
            request_timeout_ms=request_timeout_ms,
        )
        # Only its connections and route cache: no heartbeats, Admin is no producer or consumer.
        self.instance = ClientInstance(settings)

    async def start(self) -> None:
        """Nothing to start: connections open on first use. For symmetry with the clients."""

    async def shutdown(self) -> None:
        await self.instance.remoting.close()

    async def __aenter__(self) -> Admin:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.shutdown()

    # -- NameServer ----------------------------------------------------------------------------

    async def _namesrv_invoke(self, request: RemotingCommand) -> RemotingCommand:
        last_error: Exception | None = None
        for addr in self.instance.settings.namesrv_addrs:
            try:
                response = await self.instance.remoting.invoke(addr, request)
            except RemotingError as exc:
                last_error = exc
                continue
            if response.code != ResponseCode.SUCCESS:
                raise BrokerError(response.code, response.remark, addr)
            return response
        assert last_error is not None
        raise last_error

    async def cluster_info(self) -> ClusterInfo:
        response = await self._namesrv_invoke(RemotingCommand(RequestCode.GET_BROKER_CLUSTER_INFO))
        data = json_body.loads(response.body or b"{}")
        brokers = {}
        for name, item in (data.get("brokerAddrTable") or {}).items():
            addrs = item.get("brokerAddrs") or {}
            brokers[str(name)] = {int(broker_id): str(addr) for broker_id, addr in addrs.items()}
        clusters = {
            str(cluster): sorted(str(name) for name in names or [])
            for cluster, names in (data.get("clusterAddrTable") or {}).items()
        }
        return ClusterInfo(brokers, clusters)

    async def topic_route(self, topic: str) -> TopicRouteData | None:
        """The topic's route from a NameServer; None if it knows no such topic."""
        return await self.instance.fetch_route(topic)

    # -- topics --------------------------------------------------------------------------------

    async def create_topic(
        self,
        topic: str,
        queue_nums: int = 8,
        *,
        cluster: str | None = None,
        broker_addr: str | None = None,
        perm: int = PERM_READ | PERM_WRITE,
        order: bool = False,
    ) -> list[str]:
        """Create (or update) ``topic`` with ``queue_nums`` read and write queues.

        On ``broker_addr`` if given, else on every master of ``cluster`` (which
        may be left out when the NameServer knows exactly one). Returns the
        broker addresses that took it; raises on the first that refused.
        """
        if broker_addr is not None:
            addrs = [broker_addr]
        else:
            info = await self.cluster_info()
            if cluster is None:
                if len(info.clusters) != 1:
                    raise ClientError(f"name the cluster, one of {sorted(info.clusters)}")
                cluster = next(iter(info.clusters))
            masters = info.masters(cluster)
            if not masters:
                raise ClientError(f"no master broker in cluster {cluster!r}")
            addrs = [masters[name] for name in sorted(masters)]
        fields = {
            "topic": topic,
            "defaultTopic": AUTO_CREATE_TOPIC_KEY,
            "readQueueNums": str(queue_nums),
            "writeQueueNums": str(queue_nums),
            "perm": str(perm),
            "topicFilterType": "SINGLE_TAG",
            "topicSysFlag": "0",
            "order": "true" if order else "false",
        }
        for addr in addrs:
            request = RemotingCommand(RequestCode.UPDATE_AND_CREATE_TOPIC, dict(fields))
            response = await self.instance.remoting.invoke(addr, request)
            if response.code != ResponseCode.SUCCESS:
                raise BrokerError(response.code, response.remark, addr)
        return addrs

    async def topic_queues(self, topic: str) -> list[MessageQueue]:
        """The readable queues of ``topic``; ClientError if it has no route."""
        queues = await core.subscribe_queues(self.instance, topic)
        if not queues:
            raise ClientError(f"No route info of this topic: {topic}")
        return queues

    # -- offsets -------------------------------------------------------------------------------

    async def max_offset(self, queue: MessageQueue) -> int:
        """The offset the next message of ``queue`` will get."""
        await self._know(queue)
        return await core.offset_request(self.instance, queue, RequestCode.GET_MAX_OFFSET)

    async def min_offset(self, queue: MessageQueue) -> int:
        """The offset of the oldest message ``queue`` still holds."""
        await self._know(queue)
        return await core.offset_request(self.instance, queue, RequestCode.GET_MIN_OFFSET)

    async def topic_offsets(self, topic: str) -> dict[MessageQueue, tuple[int, int]]:
        """Queue -> (min offset, max offset) for every readable queue of ``topic``."""
        out = {}
        for queue in await self.topic_queues(topic):
            out[queue] = (await self.min_offset(queue), await self.max_offset(queue))
        return out

    async def consumer_offset(self, group: str, queue: MessageQueue) -> int | None:
        """The next offset ``group`` will consume on ``queue`` (None: the broker has none)."""
        await self._know(queue)
        return await core.query_consumer_offset(self.instance, group, queue)

    async def consumer_offsets(self, group: str, topic: str) -> dict[MessageQueue, int | None]:
        """Queue -> the group's stored offset, for every readable queue of ``topic``."""
        return {
            queue: await core.query_consumer_offset(self.instance, group, queue)
            for queue in await self.topic_queues(topic)
        }

    # -- consumers -----------------------------------------------------------------------------

    async def consumer_ids(self, group: str) -> list[str]:
        """The client ids of ``group``'s online consumers, from every master broker."""
        info = await self.cluster_info()
        ids: set[str] = set()
        for by_id in info.brokers.values():
            addr = by_id.get(MASTER_ID)
            if addr is None:
                continue
            request = RemotingCommand(
                RequestCode.GET_CONSUMER_LIST_BY_GROUP, {"consumerGroup": group}
            )
            response = await self.instance.remoting.invoke(addr, request)
            if response.code != ResponseCode.SUCCESS:
                continue  # 206 CONSUMER_NOT_ONLINE: none here
            body = json_body.loads(response.body or b"{}")
            ids.update(str(cid) for cid in body.get("consumerIdList") or [])
        return sorted(ids)

    async def _know(self, queue: MessageQueue) -> None:
        """Fetch the topic's route if the queue's broker address is not known yet."""
        if self.instance.master_addr(queue.broker_name) is None:
            await self.instance.fetch_route(queue.topic)
