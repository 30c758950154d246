"""The requests mqadmin sends (upstream MQAdminImpl / MQClientAPIImpl, admin half).

``AdminClient`` wraps one RemotingClient: NameServer calls go to the first
NameServer that answers, broker calls to an address. A non-SUCCESS response
raises CommandError carrying the code and remark, which the CLI prints.
"""

from __future__ import annotations

from dataclasses import dataclass

from rocketmq._core import remoting as codec
from rocketmq.common import json_body
from rocketmq.common.codes import RESPONSE_CODE_NAMES, RequestCode, ResponseCode
from rocketmq.common.topic import MASTER_ID
from rocketmq.errors import RemotingError
from rocketmq.remoting import RemotingClient
from rocketmq.remoting.client import ClientConfig

RemotingCommand = codec.RemotingCommand

TIMEOUT_MS = 5000
RETRY_GROUP_TOPIC_PREFIX = "%RETRY%"


class CommandError(Exception):
    """A command failed; the message goes to stderr and the exit code is 1."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class BrokerData:
    cluster: str
    broker_name: str
    addrs: dict[int, str]  # brokerId -> "ip:port"

    @property
    def master(self) -> str | None:
        return self.addrs.get(MASTER_ID)

    @classmethod
    def from_json(cls, obj: dict) -> BrokerData:
        addrs = {int(k): v for k, v in (obj.get("brokerAddrs") or {}).items()}
        return cls(obj.get("cluster", ""), obj.get("brokerName", ""), addrs)


@dataclass
class ClusterInfo:
    brokers: dict[str, BrokerData]  # brokerName ->
    clusters: dict[str, list[str]]  # cluster -> brokerNames

    def masters_of(self, cluster: str) -> list[str]:
        if cluster not in self.clusters:
            raise CommandError(f"cluster [{cluster}] not exist")
        names = sorted(self.clusters[cluster])
        return [addr for name in names if (addr := self.brokers[name].master) is not None]

    def addrs_of(self, cluster: str) -> list[str]:
        """Every broker address of ``cluster``, masters first within each broker."""
        if cluster not in self.clusters:
            raise CommandError(f"cluster [{cluster}] not exist")
        out = []
        for name in sorted(self.clusters[cluster]):
            by_id = self.brokers[name].addrs
            out.extend(by_id[i] for i in sorted(by_id))
        return out


@dataclass
class TopicRoute:
    raw: dict
    brokers: list[BrokerData]
    queues: list[dict]  # QueueData: brokerName, readQueueNums, writeQueueNums, perm, ...

    def master_of(self, broker_name: str) -> str | None:
        for broker in self.brokers:
            if broker.broker_name == broker_name:
                return broker.master
        return None

    def masters(self) -> list[tuple[str, str]]:
        """(brokerName, master address), sorted by broker name."""
        out = []
        for broker in sorted(self.brokers, key=lambda b: b.broker_name):
            if broker.master is not None:
                out.append((broker.broker_name, broker.master))
        return out


def request(code: int, fields: dict[str, object] | None = None, body: bytes | None = None):
    ext = None
    if fields is not None:
        ext = {}
        for key, value in fields.items():
            if value is None:
                continue
            if isinstance(value, bool):
                value = "true" if value else "false"
            ext[key] = str(value)
    return RemotingCommand(code, ext, body)


class AdminClient:
    def __init__(self, namesrv_addrs: list[str], timeout_ms: int = TIMEOUT_MS) -> None:
        if not namesrv_addrs:
            raise CommandError("no NameServer address: pass -n host:port or set NAMESRV_ADDR")
        self.namesrv_addrs = namesrv_addrs
        self.timeout_ms = timeout_ms
        self.remoting = RemotingClient(ClientConfig(default_timeout_ms=timeout_ms))

    async def close(self) -> None:
        await self.remoting.close()

    async def __aenter__(self) -> AdminClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- transport ------------------------------------------------------------------------

    async def call(
        self, addr: str, command: RemotingCommand, ok: tuple[int, ...] = (ResponseCode.SUCCESS,)
    ) -> RemotingCommand:
        try:
            response = await self.remoting.invoke(addr, command, self.timeout_ms)
        except RemotingError as exc:
            raise CommandError(f"{addr}: {exc}") from None
        if response.code not in ok:
            name = RESPONSE_CODE_NAMES.get(response.code, "")
            raise CommandError(
                f"CODE: {response.code} {name} DESC: {response.remark or ''} (from {addr})",
                response.code,
            )
        return response

    async def call_namesrv(self, command_factory, ok=(ResponseCode.SUCCESS,)) -> RemotingCommand:
        last: CommandError | None = None
        for addr in self.namesrv_addrs:
            try:
                return await self.call(addr, command_factory(), ok)
            except CommandError as exc:
                if exc.code is not None:  # the NameServer answered: do not ask another
                    raise
                last = exc
        assert last is not None
        raise last

    async def json_call(self, addr: str, command: RemotingCommand):
        response = await self.call(addr, command)
        return json_body.loads(response.body or b"{}")

    # -- NameServer ---------------------------------------------------------------------------

    async def search_offset(self, addr: str, topic: str, queue_id: int, timestamp: int) -> int:
        """SEARCH_OFFSET_BY_TIMESTAMP: the queue offset of the first message stored at or
        after ``timestamp`` (ms)."""
        fields = {"topic": topic, "queueId": queue_id, "timestamp": timestamp}
        response = await self.call(addr, request(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, fields))
        return int((response.ext_fields or {}).get("offset", "0"))

    async def cluster_info(self) -> ClusterInfo:
        response = await self.call_namesrv(lambda: request(RequestCode.GET_BROKER_CLUSTER_INFO))
        document = json_body.loads(response.body or b"{}")
        brokers = {
            name: BrokerData.from_json(data)
            for name, data in (document.get("brokerAddrTable") or {}).items()
        }
        clusters = {
            name: list(names) for name, names in (document.get("clusterAddrTable") or {}).items()
        }
        return ClusterInfo(brokers, clusters)

    async def topic_route(self, topic: str) -> TopicRoute:
        response = await self.call_namesrv(
            lambda: request(RequestCode.GET_ROUTEINFO_BY_TOPIC, {"topic": topic})
        )
        document = json_body.loads(response.body or b"{}")
        brokers = [BrokerData.from_json(item) for item in document.get("brokerDatas") or []]
        return TopicRoute(document, brokers, list(document.get("queueDatas") or []))

    async def topic_list(self) -> list[str]:
        response = await self.call_namesrv(
            lambda: request(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER)
        )
        return sorted(json_body.loads(response.body or b"{}").get("topicList") or [])

    async def delete_topic_in_namesrv(self, topic: str, cluster: str | None) -> None:
        for addr in self.namesrv_addrs:
            fields = {"topic": topic, "clusterName": cluster}
            await self.call(addr, request(RequestCode.DELETE_TOPIC_IN_NAMESRV, fields))

    # -- brokers ------------------------------------------------------------------------------

    async def broker_addrs(self, broker_addr: str | None, cluster: str | None) -> list[str]:
        """``-b`` as given, or the masters of cluster ``-c``."""
        if broker_addr:
            return [broker_addr]
        if not cluster:
            raise CommandError("either -b brokerAddr or -c clusterName is required")
        return (await self.cluster_info()).masters_of(cluster)

    async def retry_route_broker(self, group: str) -> str:
        """A master that knows consumer group ``group`` (via its retry topic's route)."""
        route = await self.topic_route(RETRY_GROUP_TOPIC_PREFIX + group)
        masters = route.masters()
        if not masters:
            raise CommandError(f"no master broker serves consumer group {group}")
        return masters[0][1]
