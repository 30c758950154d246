"""ClientInstance: what the producers and consumers of one client share (MQClientInstance).

One RemotingClient, the route of every topic in use (refreshed from the
NameServers every ``poll_name_server_interval_ms``) and the heartbeats to the
brokers (every ``heartbeat_broker_interval_ms``; producer-only clients
heartbeat masters only). Both periodic jobs also run once at start.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from rocketmq._core import remoting as codec
from rocketmq.common import json_body
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.common.topic import MASTER_ID
from rocketmq.errors import BrokerError, ClientError, RemotingError
from rocketmq.namesrv.route_data import TopicRouteData
from rocketmq.remoting import RemotingClient
from rocketmq.remoting.client import ClientConfig

logger = logging.getLogger("rocketmq.client")

RemotingCommand = codec.RemotingCommand


@dataclass(frozen=True)
class ClientSettings:
    """Shared by every client class; times in ms (upstream ClientConfig names in comments)."""

    namesrv_addrs: tuple[str, ...]
    instance_name: str = "DEFAULT"  # instanceName
    poll_name_server_interval_ms: int = 30_000  # pollNameServerInterval
    heartbeat_broker_interval_ms: int = 30_000  # heartbeatBrokerInterval
    request_timeout_ms: int = 3000  # mqClientApiTimeout


def parse_namesrv_addrs(addrs: str | Sequence[str]) -> tuple[str, ...]:
    """``"a:9876;b:9876"`` or a list -> a tuple; raises ClientError when empty."""
    items = addrs.split(";") if isinstance(addrs, str) else list(addrs)
    parsed = tuple(item.strip() for item in items if item and item.strip())
    if not parsed:
        raise ClientError("no NameServer address (namesrv_addr)")
    return parsed


def client_ip() -> str:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: connect() sends nothing
        return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


class ClientInstance:
    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        self.client_id = f"{client_ip()}@{settings.instance_name}@{os.getpid()}"
        self.remoting = RemotingClient(ClientConfig(default_timeout_ms=settings.request_timeout_ms))
        self.routes: dict[str, TopicRouteData] = {}
        self.broker_addrs: dict[str, dict[int, str]] = {}  # brokerName -> brokerId -> addr
        self.producer_groups: set[str] = set()
        # group -> ConsumerData (heartbeat JSON), refreshed by the consumer on each call.
        self.consumers: dict[str, Callable[[], dict]] = {}
        self._namesrv_index = 0
        self._tasks: list[asyncio.Task] = []
        self._started = False

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        self._every(self.settings.poll_name_server_interval_ms, self.refresh_routes)
        self._every(self.settings.heartbeat_broker_interval_ms, self.send_heartbeats)

    async def shutdown(self) -> None:
        if not self._started:
            return
        self._started = False
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._unregister()
        await self.remoting.close()

    def _every(self, interval_ms: int, job: Callable[[], Awaitable[object]]) -> None:
        async def loop() -> None:
            while True:
                await asyncio.sleep(interval_ms / 1000.0)
                try:
                    await job()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("client %s: periodic %s failed", self.client_id, job)

        self._tasks.append(asyncio.get_running_loop().create_task(loop()))

    # -- routes --------------------------------------------------------------------------------

    async def fetch_route(self, topic: str) -> TopicRouteData | None:
        """The topic's route from a NameServer (None: the topic does not exist).

        Tries each NameServer in turn; raises the last RemotingError if none answers.
        """
        addrs = self.settings.namesrv_addrs
        last_error: Exception | None = None
        for attempt in range(len(addrs)):
            addr = addrs[(self._namesrv_index + attempt) % len(addrs)]
            request = RemotingCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC, {"topic": topic})
            try:
                response = await self.remoting.invoke(addr, request)
            except RemotingError as exc:
                last_error = exc
                continue
            self._namesrv_index = (self._namesrv_index + attempt) % len(addrs)
            if response.code == ResponseCode.TOPIC_NOT_EXIST:
                return None
            if response.code != ResponseCode.SUCCESS:
                raise BrokerError(response.code, response.remark, addr)
            route = TopicRouteData.from_json(json_body.loads(response.body or b"{}"))
            known = set(self.broker_addrs)
            self._adopt(topic, route)
            if self._started and not known.issuperset(self.broker_addrs):
                # A broker new to this client learns of it now, not a heartbeat interval
                # later: it may have to call back (CHECK_TRANSACTION_STATE) or list the
                # group's members (MQClientInstance heartbeats 1 s after start).
                await self.send_heartbeats()
            return route
        assert last_error is not None
        raise last_error

    def _adopt(self, topic: str, route: TopicRouteData) -> None:
        self.routes[topic] = route
        for broker in route.broker_datas:
            self.broker_addrs[broker.broker_name] = dict(broker.broker_addrs)

    async def refresh_routes(self) -> None:
        for topic in list(self.routes):
            try:
                route = await self.fetch_route(topic)
            except (RemotingError, BrokerError) as exc:
                logger.warning(
                    "client %s: route of %s not refreshed: %s", self.client_id, topic, exc
                )
                continue
            if route is None:
                self.routes.pop(topic, None)

    def master_addr(self, broker_name: str) -> str | None:
        return self.broker_addrs.get(broker_name, {}).get(MASTER_ID)

    # -- heartbeats ----------------------------------------------------------------------------

    def heartbeat_body(self) -> bytes:
        data = {
            "clientID": self.client_id,
            "consumerDataSet": [self.consumers[group]() for group in sorted(self.consumers)],
            "producerDataSet": [{"groupName": group} for group in sorted(self.producer_groups)],
        }
        return json_body.dumps(data)

    def heartbeat_addrs(self) -> list[str]:
        """Masters only for a producer-only client, every broker when it consumes."""
        addrs = []
        for broker_name, by_id in self.broker_addrs.items():
            if self.consumers:
                addrs.extend(by_id[i] for i in sorted(by_id))
            elif (addr := self.master_addr(broker_name)) is not None:
                addrs.append(addr)
        return addrs

    async def send_heartbeats(self) -> None:
        """HEART_BEAT to the brokers in the known routes; failures are logged."""
        body = self.heartbeat_body()
        for addr in self.heartbeat_addrs():
            request = RemotingCommand(RequestCode.HEART_BEAT, body=body)
            try:
                response = await self.remoting.invoke(addr, request)
            except RemotingError as exc:
                logger.warning("client %s: heartbeat to %s failed: %s", self.client_id, addr, exc)
                continue
            if response.code != ResponseCode.SUCCESS:
                logger.warning(
                    "client %s: heartbeat to %s: code %d %s",
                    self.client_id,
                    addr,
                    response.code,
                    response.remark,
                )

    async def _unregister(self) -> None:
        groups = [("producerGroup", group) for group in sorted(self.producer_groups)]
        groups += [("consumerGroup", group) for group in sorted(self.consumers)]
        for role, group in groups:
            for addr in self.heartbeat_addrs():
                fields = {"clientID": self.client_id, role: group}
                request = RemotingCommand(RequestCode.UNREGISTER_CLIENT, fields)
                try:
                    await self.remoting.invoke(addr, request)
                except RemotingError as exc:
                    logger.info("client %s: unregister at %s: %s", self.client_id, addr, exc)
