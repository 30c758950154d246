"""The NameServer over real loopback sockets, driven by our RemotingClient.

Each simulated broker has its own RemotingClient, so it has its own
connection, like a broker process.
"""

from __future__ import annotations

import asyncio
import json
import struct
import time
import zlib
from pathlib import Path

import pytest

from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.namesrv import NamesrvConfig, NamesrvController
from rocketmq.remoting import RemotingClient, RemotingCommand

LOOPBACK = "127.0.0.1"
A_MASTER = "10.0.0.1:10911"
A_SLAVE = "10.0.0.2:10911"
B_MASTER = "10.0.0.3:10911"


def make_config(tmp_path: Path, **overrides) -> NamesrvConfig:
    return NamesrvConfig(
        listen_host=LOOPBACK,
        listen_port=0,
        kv_config_path=tmp_path / "namesrv" / "kvConfig.json",
        **overrides,
    )


def address(controller: NamesrvController) -> str:
    return f"{LOOPBACK}:{controller.port}"


def topic_config(name: str, queues: int = 4, perm: int = 6, sys_flag: int = 0) -> dict:
    """A TopicConfig as fastjson writes it."""
    return {
        "attributes": {},
        "order": False,
        "perm": perm,
        "readQueueNums": queues,
        "topicFilterType": "SINGLE_TAG",
        "topicName": name,
        "topicSysFlag": sys_flag,
        "writeQueueNums": queues,
    }


def register_body(topics: list[dict], counter: int = 1, state_version: int = 0) -> bytes:
    version = {"counter": counter, "stateVersion": state_version, "timestamp": 1700000000000}
    return json.dumps(
        {
            "filterServerList": [],
            "topicConfigSerializeWrapper": {
                "dataVersion": version,
                "mappingDataVersion": {"counter": 0, "stateVersion": 0, "timestamp": 0},
                "topicConfigTable": {t["topicName"]: t for t in topics},
                "topicQueueMappingDetailMap": {},
                "topicQueueMappingInfoMap": {},
            },
        },
        separators=(",", ":"),
    ).encode()


def register_request(
    cluster: str,
    broker_name: str,
    broker_id: int,
    broker_addr: str,
    body: bytes | None,
    **extra: str,
) -> RemotingCommand:
    host, port = broker_addr.rsplit(":", 1)
    fields = {
        "brokerName": broker_name,
        "brokerAddr": broker_addr,
        "clusterName": cluster,
        "haServerAddr": f"{host}:{int(port) + 1}",
        "brokerId": str(broker_id),
        "enableActingMaster": "false",
        "compressed": "false",
        "bodyCrc32": "0",
    }
    fields.update(extra)
    return RemotingCommand(RequestCode.REGISTER_BROKER, fields, body)


async def get_route(
    client: RemotingClient, addr: str, topic: str, version: int = 479
) -> RemotingCommand:
    request = RemotingCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC, {"topic": topic}, version=version)
    return await client.invoke(addr, request)


async def call(client: RemotingClient, addr: str, code: int, **fields: str) -> RemotingCommand:
    return await client.invoke(addr, RemotingCommand(code, fields))


class Topology:
    """broker-a (master + slave) in ClusterA, broker-b (master) in ClusterB."""

    A_TOPICS = [topic_config("T1", 8), topic_config("TA", 2, perm=4)]
    B_TOPICS = [topic_config("T1", 4), topic_config("TB", 1, sys_flag=1)]

    def __init__(self) -> None:
        self.a_master = RemotingClient()
        self.a_slave = RemotingClient()
        self.b_master = RemotingClient()
        self.admin = RemotingClient()
        self.responses: dict[str, RemotingCommand] = {}

    async def register_all(self, addr: str) -> None:
        self.responses["a_master"] = await self.a_master.invoke(
            addr,
            register_request("ClusterA", "broker-a", 0, A_MASTER, register_body(self.A_TOPICS)),
        )
        # The slave sends a different table: a slave's topics must be ignored.
        self.responses["a_slave"] = await self.a_slave.invoke(
            addr,
            register_request(
                "ClusterA",
                "broker-a",
                1,
                A_SLAVE,
                register_body([topic_config("T1", 99), topic_config("SlaveOnly")]),
            ),
        )
        self.responses["b_master"] = await self.b_master.invoke(
            addr,
            register_request("ClusterB", "broker-b", 0, B_MASTER, register_body(self.B_TOPICS)),
        )
        for response in self.responses.values():
            assert response.code == ResponseCode.SUCCESS, response.remark

    async def close(self) -> None:
        for client in (self.a_master, self.a_slave, self.b_master, self.admin):
            await client.close()


@pytest.fixture
def topology() -> Topology:
    return Topology()


EXPECTED_T1_ROUTE = (
    '{"brokerDatas":['
    '{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"},"brokerName":"broker-a",'
    '"cluster":"ClusterA","enableActingMaster":false},'
    '{"brokerAddrs":{"0":"10.0.0.3:10911"},"brokerName":"broker-b",'
    '"cluster":"ClusterB","enableActingMaster":false}],'
    '"filterServerTable":{},'
    '"queueDatas":['
    '{"brokerName":"broker-a","perm":6,"readQueueNums":8,"topicSysFlag":0,"writeQueueNums":8},'
    '{"brokerName":"broker-b","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}'
)


@pytest.mark.timeout_s(20)
async def test_route_by_topic(tmp_path: Path, topology: Topology) -> None:
    async with NamesrvController(make_config(tmp_path)) as namesrv:
        addr = address(namesrv)
        try:
            await topology.register_all(addr)
            # Masters get no master address; the slave learns its master's.
            assert not topology.responses["a_master"].ext_fields
            assert topology.responses["a_slave"].ext_fields == {
                "masterAddr": A_MASTER,
                "haServerAddr": "10.0.0.1:10912",
            }
            # Old (4.5.2) and new clients alike get compact standard JSON.
            for version in (479, 401, 317):
                response = await get_route(topology.admin, addr, "T1", version)
                assert response.code == ResponseCode.SUCCESS
                assert response.body.decode() == EXPECTED_T1_ROUTE

            route = json.loads((await get_route(topology.admin, addr, "TB")).body)
            assert route["queueDatas"] == [
                {
                    "brokerName": "broker-b",
                    "perm": 6,
                    "readQueueNums": 1,
                    "topicSysFlag": 1,
                    "writeQueueNums": 1,
                }
            ]
            assert [b["brokerName"] for b in route["brokerDatas"]] == ["broker-b"]
            route = json.loads((await get_route(topology.admin, addr, "TA")).body)
            assert route["queueDatas"][0]["perm"] == 4

            for topic in ("SlaveOnly", "Nope"):
                missing = await get_route(topology.admin, addr, topic)
                assert missing.code == ResponseCode.TOPIC_NOT_EXIST
                assert missing.body is None
                assert missing.remark.startswith(
                    f"No topic route info in name server for the topic: {topic}"
                )
            accept_standard = await topology.admin.invoke(
                addr,
                RemotingCommand(
                    RequestCode.GET_ROUTEINFO_BY_TOPIC,
                    {"topic": "T1", "acceptStandardJsonOnly": "true"},
                    version=317,
                ),
            )
            assert accept_standard.body.decode() == EXPECTED_T1_ROUTE
        finally:
            await topology.close()


@pytest.mark.timeout_s(20)
async def test_cluster_info_and_topic_lists(tmp_path: Path, topology: Topology) -> None:
    async with NamesrvController(make_config(tmp_path)) as namesrv:
        addr = address(namesrv)
        try:
            await topology.register_all(addr)
            info = await call(topology.admin, addr, RequestCode.GET_BROKER_CLUSTER_INFO)
            assert info.code == ResponseCode.SUCCESS
            assert info.body.decode() == (
                '{"brokerAddrTable":{'
                '"broker-a":{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"},'
                '"brokerName":"broker-a","cluster":"ClusterA","enableActingMaster":false},'
                '"broker-b":{"brokerAddrs":{"0":"10.0.0.3:10911"},'
                '"brokerName":"broker-b","cluster":"ClusterB","enableActingMaster":false}},'
                '"clusterAddrTable":{"ClusterA":["broker-a"],"ClusterB":["broker-b"]}}'
            )

            topics = await call(
                topology.admin, addr, RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER
            )
            assert json.loads(topics.body) == {"topicList": ["T1", "TA", "TB"]}
            by_cluster = await call(
                topology.admin, addr, RequestCode.GET_TOPICS_BY_CLUSTER, cluster="ClusterB"
            )
            assert json.loads(by_cluster.body) == {"topicList": ["T1", "TB"]}
            unknown = await call(
                topology.admin, addr, RequestCode.GET_TOPICS_BY_CLUSTER, cluster="Nope"
            )
            assert json.loads(unknown.body) == {"topicList": []}
            system = await call(topology.admin, addr, RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS)
            assert json.loads(system.body) == {
                "brokerAddr": A_MASTER,
                "topicList": ["ClusterA", "broker-a", "ClusterB", "broker-b"],
            }
        finally:
            await topology.close()


@pytest.mark.timeout_s(20)
async def test_topic_lists_can_be_disabled(tmp_path: Path) -> None:
    config = make_config(tmp_path, enable_all_topic_list=False, enable_topic_list=False)
    async with NamesrvController(config) as namesrv, RemotingClient() as client:
        addr = address(namesrv)
        for code, fields in (
            (RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, {}),
            (RequestCode.GET_TOPICS_BY_CLUSTER, {"cluster": "C"}),
        ):
            response = await call(client, addr, code, **fields)
            assert (response.code, response.remark) == (ResponseCode.SYSTEM_ERROR, "disable")


@pytest.mark.timeout_s(20)
async def test_unchanged_data_version_keeps_topics(tmp_path: Path) -> None:
    async with (
        NamesrvController(make_config(tmp_path)) as namesrv,
        RemotingClient() as broker,
        RemotingClient() as admin,
    ):
        addr = address(namesrv)

        async def register(topics: list[dict], counter: int) -> None:
            body = register_body(topics, counter)
            request = register_request("C", "broker-a", 0, A_MASTER, body)
            assert (await broker.invoke(addr, request)).code == ResponseCode.SUCCESS

        async def queue_data(topic: str) -> dict:
            return json.loads((await get_route(admin, addr, topic)).body)["queueDatas"][0]

        await register([topic_config("T1", 8), topic_config("T2")], counter=1)
        wiped = await call(
            admin, addr, RequestCode.WIPE_WRITE_PERM_OF_BROKER, brokerName="broker-a"
        )
        assert wiped.ext_fields == {"wipeTopicCount": "2"}
        assert (await queue_data("T1"))["perm"] == 4

        # Same DataVersion: the table is not read again, the wipe stays and the
        # changed queue count is ignored; a new topic is still added.
        await register([topic_config("T1", 2), topic_config("T2"), topic_config("T3")], counter=1)
        assert await queue_data("T1") == {
            "brokerName": "broker-a",
            "perm": 4,
            "readQueueNums": 8,
            "topicSysFlag": 0,
            "writeQueueNums": 8,
        }
        assert (await queue_data("T3"))["perm"] == 6

        # A new DataVersion replaces the queue data.
        await register([topic_config("T1", 2), topic_config("T2"), topic_config("T3")], counter=2)
        assert await queue_data("T1") == {
            "brokerName": "broker-a",
            "perm": 6,
            "readQueueNums": 2,
            "topicSysFlag": 0,
            "writeQueueNums": 2,
        }

        wiped = await call(
            admin, addr, RequestCode.WIPE_WRITE_PERM_OF_BROKER, brokerName="broker-a"
        )
        assert wiped.ext_fields == {"wipeTopicCount": "3"}
        added = await call(admin, addr, RequestCode.ADD_WRITE_PERM_OF_BROKER, brokerName="broker-a")
        assert added.ext_fields == {"addTopicCount": "3"}
        assert (await queue_data("T2"))["perm"] == 6
        none = await call(admin, addr, RequestCode.ADD_WRITE_PERM_OF_BROKER, brokerName="nobody")
        assert none.ext_fields == {"addTopicCount": "0"}


@pytest.mark.timeout_s(20)
async def test_query_data_version(tmp_path: Path) -> None:
    async with NamesrvController(make_config(tmp_path)) as namesrv, RemotingClient() as broker:
        addr = address(namesrv)
        header = {
            "brokerName": "broker-a",
            "brokerAddr": A_MASTER,
            "clusterName": "C",
            "brokerId": "0",
        }

        async def query(counter: int) -> RemotingCommand:
            version = {"counter": counter, "stateVersion": 0, "timestamp": 1700000000000}
            request = RemotingCommand(
                RequestCode.QUERY_DATA_VERSION, dict(header), json.dumps(version).encode()
            )
            response = await broker.invoke(addr, request)
            assert response.code == ResponseCode.SUCCESS
            return response

        unknown = await query(1)
        assert unknown.ext_fields == {"changed": "true"}
        assert unknown.body is None

        body = register_body([topic_config("T1"), topic_config("T2")], counter=1)
        await broker.invoke(addr, register_request("C", "broker-a", 0, A_MASTER, body))
        same = await query(1)
        assert same.ext_fields == {"changed": "false"}
        assert json.loads(same.body) == {
            "counter": 1,
            "stateVersion": 0,
            "timestamp": 1700000000000,
        }
        assert (await query(2)).ext_fields == {"changed": "true"}

        no_body = await broker.invoke(addr, RemotingCommand(RequestCode.QUERY_DATA_VERSION, header))
        assert no_body.code == ResponseCode.SYSTEM_ERROR


@pytest.mark.timeout_s(20)
async def test_unregister_broker(tmp_path: Path, topology: Topology) -> None:
    async with NamesrvController(make_config(tmp_path)) as namesrv:
        addr = address(namesrv)
        try:
            await topology.register_all(addr)
            fields = {"brokerName": "broker-a", "clusterName": "ClusterA"}
            slave_gone = await call(
                topology.admin,
                addr,
                RequestCode.UNREGISTER_BROKER,
                brokerAddr=A_SLAVE,
                brokerId="1",
                **fields,
            )
            assert slave_gone.code == ResponseCode.SUCCESS
            route = json.loads((await get_route(topology.admin, addr, "TA")).body)
            assert route["brokerDatas"][0]["brokerAddrs"] == {"0": A_MASTER}

            await call(
                topology.admin,
                addr,
                RequestCode.UNREGISTER_BROKER,
                brokerAddr=A_MASTER,
                brokerId="0",
                **fields,
            )
            gone = await get_route(topology.admin, addr, "TA")
            assert gone.code == ResponseCode.TOPIC_NOT_EXIST
            route = json.loads((await get_route(topology.admin, addr, "T1")).body)
            assert [q["brokerName"] for q in route["queueDatas"]] == ["broker-b"]
            info = json.loads(
                (await call(topology.admin, addr, RequestCode.GET_BROKER_CLUSTER_INFO)).body
            )
            assert info["clusterAddrTable"] == {"ClusterB": ["broker-b"]}
            assert list(info["brokerAddrTable"]) == ["broker-b"]
        finally:
            await topology.close()


@pytest.mark.timeout_s(20)
async def test_closed_connection_drops_its_broker(tmp_path: Path, topology: Topology) -> None:
    async with NamesrvController(make_config(tmp_path)) as namesrv:
        addr = address(namesrv)
        try:
            await topology.register_all(addr)
            await topology.b_master.close()
            async with asyncio.timeout(5):
                while (await get_route(topology.admin, addr, "TB")).code == ResponseCode.SUCCESS:
                    await asyncio.sleep(0.01)
            route = json.loads((await get_route(topology.admin, addr, "T1")).body)
            assert [b["brokerName"] for b in route["brokerDatas"]] == ["broker-a"]

            await topology.a_slave.close()
            async with asyncio.timeout(5):
                while True:
                    route = json.loads((await get_route(topology.admin, addr, "T1")).body)
                    if route["brokerDatas"][0]["brokerAddrs"] == {"0": A_MASTER}:
                        break
                    await asyncio.sleep(0.01)
            assert namesrv.route_info_manager.broker_live_table.keys() == {("ClusterA", A_MASTER)}
        finally:
            await topology.close()


@pytest.mark.timeout_s(20)
async def test_silent_brokers_expire(tmp_path: Path) -> None:
    config = make_config(
        tmp_path, scan_not_active_broker_interval_ms=50, broker_channel_expired_time_ms=6000
    )
    async with (
        NamesrvController(config) as namesrv,
        RemotingClient() as short,
        RemotingClient() as beating,
        RemotingClient() as default,
        RemotingClient() as admin,
    ):
        addr = address(namesrv)
        topics = register_body([topic_config("T1"), topic_config("T2")])
        await default.invoke(addr, register_request("C", "broker-d", 0, "10.0.0.9:1", topics))
        # heartbeatTimeoutMillis in the header beats the configured default.
        await beating.invoke(
            addr,
            register_request(
                "C", "broker-h", 0, "10.0.0.8:1", topics, heartbeatTimeoutMillis="1500"
            ),
        )
        await short.invoke(
            addr,
            register_request(
                "C", "broker-s", 0, "10.0.0.7:1", topics, heartbeatTimeoutMillis="250"
            ),
        )
        short_connection = await short.get_connection(addr)

        async def brokers() -> list[str]:
            route = json.loads((await get_route(admin, addr, "T1")).body)
            return [b["brokerName"] for b in route["brokerDatas"]]

        assert await brokers() == ["broker-d", "broker-h", "broker-s"]
        heartbeat = {"clusterName": "C", "brokerAddr": "10.0.0.8:1", "brokerName": "broker-h"}
        # Heartbeats every 50 ms for 2 s, past broker-h's 1.5 s timeout; the gaps between
        # them stay far below it even when the machine stalls for a while.
        beat_until = time.monotonic() + 2.0
        while time.monotonic() < beat_until:
            response = await call(beating, addr, RequestCode.BROKER_HEARTBEAT, **heartbeat)
            assert response.code == ResponseCode.SUCCESS
            await asyncio.sleep(0.05)
        assert await brokers() == ["broker-d", "broker-h"]
        # The NameServer closed the expired broker's connection.
        async with asyncio.timeout(2):
            await short_connection.closed

        async with asyncio.timeout(10):
            while await brokers() != ["broker-h"]:
                await call(beating, addr, RequestCode.BROKER_HEARTBEAT, **heartbeat)
                await asyncio.sleep(0.05)


@pytest.mark.timeout_s(20)
async def test_delete_topic_in_namesrv(tmp_path: Path, topology: Topology) -> None:
    async with NamesrvController(make_config(tmp_path)) as namesrv:
        addr = address(namesrv)
        try:
            await topology.register_all(addr)
            deleted = await call(
                topology.admin,
                addr,
                RequestCode.DELETE_TOPIC_IN_NAMESRV,
                topic="T1",
                clusterName="ClusterB",
            )
            assert deleted.code == ResponseCode.SUCCESS
            route = json.loads((await get_route(topology.admin, addr, "T1")).body)
            assert [q["brokerName"] for q in route["queueDatas"]] == ["broker-a"]

            await call(topology.admin, addr, RequestCode.DELETE_TOPIC_IN_NAMESRV, topic="T1")
            assert (await get_route(topology.admin, addr, "T1")).code == 17
            topics = await call(
                topology.admin, addr, RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER
            )
            assert json.loads(topics.body) == {"topicList": ["TA", "TB"]}
        finally:
            await topology.close()


@pytest.mark.timeout_s(20)
async def test_register_topic_in_namesrv_reads_fastjson_keys(
    tmp_path: Path, topology: Topology
) -> None:
    async with NamesrvController(make_config(tmp_path)) as namesrv:
        addr = address(namesrv)
        try:
            await topology.register_all(addr)
            # A 4.x admin tool's TopicRouteData: unquoted Long keys, as fastjson writes them.
            body = (
                b'{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.3:10911"},"brokerName":"broker-b",'
                b'"cluster":"ClusterB"}],"filterServerTable":{},"queueDatas":[{"brokerName":'
                b'"broker-b","perm":6,"readQueueNums":3,"topicSysFlag":0,"writeQueueNums":3}]}'
            )
            request = RemotingCommand(
                RequestCode.REGISTER_TOPIC_IN_NAMESRV, {"topic": "NewTopic"}, body
            )
            assert (await topology.admin.invoke(addr, request)).code == ResponseCode.SUCCESS
            route = json.loads((await get_route(topology.admin, addr, "NewTopic")).body)
            assert route["queueDatas"][0]["readQueueNums"] == 3
            assert route["brokerDatas"][0]["brokerAddrs"] == {"0": B_MASTER}

            unknown_broker = body.replace(b"broker-b", b"broker-x")
            request = RemotingCommand(
                RequestCode.REGISTER_TOPIC_IN_NAMESRV, {"topic": "Other"}, unknown_broker
            )
            assert (await topology.admin.invoke(addr, request)).code == ResponseCode.SUCCESS
            assert (await get_route(topology.admin, addr, "Other")).code == 17
        finally:
            await topology.close()


@pytest.mark.timeout_s(20)
async def test_kv_config_survives_restart(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    async with NamesrvController(config) as namesrv, RemotingClient() as admin:
        addr = address(namesrv)
        for key, value in (("T1", "broker-a:8"), ("T2", "broker-b:4"), ("T1", "broker-a:16")):
            put = await call(
                admin,
                addr,
                RequestCode.PUT_KV_CONFIG,
                namespace="ORDER_TOPIC_CONFIG",
                key=key,
                value=value,
            )
            assert put.code == ResponseCode.SUCCESS
        await call(admin, addr, RequestCode.PUT_KV_CONFIG, namespace="NS2", key="k", value="v")
        got = await call(
            admin, addr, RequestCode.GET_KV_CONFIG, namespace="ORDER_TOPIC_CONFIG", key="T1"
        )
        assert (got.code, got.ext_fields) == (ResponseCode.SUCCESS, {"value": "broker-a:16"})
        missing = await call(admin, addr, RequestCode.GET_KV_CONFIG, namespace="NS2", key="zz")
        assert missing.code == ResponseCode.QUERY_NOT_FOUND
        assert missing.remark == "No config item, Namespace: NS2 Key: zz"
        no_key = await call(admin, addr, RequestCode.PUT_KV_CONFIG, namespace="NS2")
        assert (no_key.code, no_key.remark) == (
            ResponseCode.SYSTEM_ERROR,
            "namespace or key is null",
        )

        deleted = await call(admin, addr, RequestCode.DELETE_KV_CONFIG, namespace="NS2", key="k")
        assert deleted.code == ResponseCode.SUCCESS
        listing = await call(admin, addr, RequestCode.GET_KVLIST_BY_NAMESPACE, namespace="NS2")
        assert json.loads(listing.body) == {"table": {}}

    assert json.loads(config.kv_config_path.read_text()) == {
        "configTable": {
            "NS2": {},
            "ORDER_TOPIC_CONFIG": {"T1": "broker-a:16", "T2": "broker-b:4"},
        }
    }
    async with NamesrvController(config) as namesrv, RemotingClient() as admin:
        addr = address(namesrv)
        listing = await call(
            admin, addr, RequestCode.GET_KVLIST_BY_NAMESPACE, namespace="ORDER_TOPIC_CONFIG"
        )
        assert json.loads(listing.body) == {"table": {"T1": "broker-a:16", "T2": "broker-b:4"}}
        nothing = await call(admin, addr, RequestCode.GET_KVLIST_BY_NAMESPACE, namespace="NS3")
        assert (nothing.code, nothing.remark) == (
            ResponseCode.QUERY_NOT_FOUND,
            "No config item, Namespace: NS3",
        )


@pytest.mark.timeout_s(20)
async def test_order_topic_conf(tmp_path: Path) -> None:
    config = make_config(tmp_path, order_message_enable=True)
    async with (
        NamesrvController(config) as namesrv,
        RemotingClient() as broker,
        RemotingClient() as admin,
    ):
        addr = address(namesrv)
        await call(
            admin,
            addr,
            RequestCode.PUT_KV_CONFIG,
            namespace="ORDER_TOPIC_CONFIG",
            key="T1",
            value="broker-a:8",
        )
        body = register_body([topic_config("T1"), topic_config("T2")])
        registered = await broker.invoke(addr, register_request("C", "broker-a", 0, A_MASTER, body))
        # The broker learns the order config in the register response.
        assert json.loads(registered.body) == {"table": {"T1": "broker-a:8"}}
        route = json.loads((await get_route(admin, addr, "T1")).body)
        assert route["orderTopicConf"] == "broker-a:8"
        assert "orderTopicConf" not in json.loads((await get_route(admin, addr, "T2")).body)


def compressed_body(topics: list[str], counter: int, mapping_section: bool) -> bytes:
    """RegisterBrokerBody#encode(true), written out by hand."""

    def chunk(data: bytes) -> bytes:
        return struct.pack(">i", len(data)) + data

    raw = chunk(b'{"counter":%d,"stateVersion":0,"timestamp":1700000000000}' % counter)
    raw += struct.pack(">i", len(topics))
    for line in topics:
        raw += chunk(line.encode())
    raw += chunk(b"[]")
    if mapping_section:
        raw += struct.pack(">i", 1) + chunk(b'{"topic":"Static","bname":"broker-a"}')
    return zlib.compress(raw, 9)


@pytest.mark.timeout_s(20)
async def test_compressed_register_body_and_crc(tmp_path: Path) -> None:
    async with (
        NamesrvController(make_config(tmp_path)) as namesrv,
        RemotingClient() as broker,
        RemotingClient() as admin,
    ):
        addr = address(namesrv)
        lines = ["TZ 3 5 6 SINGLE_TAG {}", 'TY 2 2 4 SINGLE_TAG {"+message.type":"NORMAL"}']
        for version, mapping, counter in ((479, True, 1), (317, False, 2)):
            body = compressed_body(lines, counter, mapping)
            crc = zlib.crc32(body) & 0x7FFFFFFF
            request = register_request(
                "C", "broker-a", 0, A_MASTER, body, compressed="true", bodyCrc32=str(crc)
            )
            request.version = version
            response = await broker.invoke(addr, request)
            assert response.code == ResponseCode.SUCCESS, response.remark
            route = json.loads((await get_route(admin, addr, "TZ")).body)
            assert route["queueDatas"] == [
                {
                    "brokerName": "broker-a",
                    "perm": 6,
                    "readQueueNums": 3,
                    "topicSysFlag": 0,
                    "writeQueueNums": 5,
                }
            ]
            route = json.loads((await get_route(admin, addr, "TY")).body)
            assert route["queueDatas"][0]["perm"] == 4

        # 5.x brokers with compressedRegister=true send the zlib body with header
        # compressed=false; it is recognised anyway.
        body = compressed_body(["TX 1 1 6 SINGLE_TAG {}", "TW 1 1 6 SINGLE_TAG"], 3, True)
        response = await broker.invoke(addr, register_request("C", "broker-a", 0, A_MASTER, body))
        assert response.code == ResponseCode.SUCCESS, response.remark
        assert (await get_route(admin, addr, "TX")).code == ResponseCode.SUCCESS
        assert (await get_route(admin, addr, "TW")).code == ResponseCode.SUCCESS

        plain = register_body([topic_config("T9"), topic_config("T8")], counter=4)
        bad_crc = (zlib.crc32(plain) & 0x7FFFFFFF) ^ 1
        rejected = await broker.invoke(
            addr, register_request("C", "broker-a", 0, A_MASTER, plain, bodyCrc32=str(bad_crc))
        )
        assert (rejected.code, rejected.remark) == (ResponseCode.SYSTEM_ERROR, "crc32 not match")
        assert (await get_route(admin, addr, "T9")).code == ResponseCode.TOPIC_NOT_EXIST

        garbage = await broker.invoke(
            addr, register_request("C", "broker-a", 0, A_MASTER, b"{not json", compressed="false")
        )
        assert garbage.code == ResponseCode.SYSTEM_ERROR
        assert garbage.remark.startswith("Failed to decode RegisterBrokerBody")
        truncated = await broker.invoke(
            addr,
            register_request(
                "C",
                "broker-a",
                0,
                A_MASTER,
                compressed_body(lines, 5, True)[:-12],
                compressed="true",
            ),
        )
        assert truncated.code == ResponseCode.SYSTEM_ERROR


@pytest.mark.timeout_s(20)
async def test_address_reregistering_with_new_id_replaces_old_id(tmp_path: Path) -> None:
    async with (
        NamesrvController(make_config(tmp_path)) as namesrv,
        RemotingClient() as master,
        RemotingClient() as slave,
        RemotingClient() as admin,
    ):
        addr = address(namesrv)
        body = register_body([topic_config("T1"), topic_config("T2")])
        await master.invoke(addr, register_request("C", "broker-a", 0, A_MASTER, body))
        await slave.invoke(addr, register_request("C", "broker-a", 1, A_SLAVE, body))
        await master.close()  # the master dies ...
        async with asyncio.timeout(5):
            while True:
                route = json.loads((await get_route(admin, addr, "T1")).body)
                if route["brokerDatas"][0]["brokerAddrs"] == {"1": A_SLAVE}:
                    break
                await asyncio.sleep(0.01)
        # ... and the slave is promoted: same address, id 0.
        response = await slave.invoke(addr, register_request("C", "broker-a", 0, A_SLAVE, body))
        assert response.code == ResponseCode.SUCCESS
        route = json.loads((await get_route(admin, addr, "T1")).body)
        assert route["brokerDatas"][0]["brokerAddrs"] == {"0": A_SLAVE}


@pytest.mark.timeout_s(20)
async def test_single_topic_registration_needs_a_full_one_first(tmp_path: Path) -> None:
    async with NamesrvController(make_config(tmp_path)) as namesrv, RemotingClient() as broker:
        addr = address(namesrv)
        single = register_body([topic_config("T1")])
        refused = await broker.invoke(addr, register_request("C", "broker-a", 0, A_MASTER, single))
        assert (refused.code, refused.remark) == (
            ResponseCode.SYSTEM_ERROR,
            "register broker failed",
        )
        full = register_body([topic_config("T1"), topic_config("T2")])
        await broker.invoke(addr, register_request("C", "broker-a", 0, A_MASTER, full))
        single = register_body([topic_config("T3")], counter=2)
        accepted = await broker.invoke(addr, register_request("C", "broker-a", 0, A_MASTER, single))
        assert accepted.code == ResponseCode.SUCCESS


@pytest.mark.timeout_s(20)
async def test_missing_header_fields_and_unknown_codes(tmp_path: Path) -> None:
    async with NamesrvController(make_config(tmp_path)) as namesrv, RemotingClient() as client:
        addr = address(namesrv)
        no_name = RemotingCommand(RequestCode.REGISTER_BROKER, {"brokerAddr": A_MASTER})
        response = await client.invoke(addr, no_name)
        assert response.code == ResponseCode.SYSTEM_ERROR
        assert "<clusterName>" in response.remark
        no_topic = await client.invoke(addr, RemotingCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC))
        assert no_topic.code == ResponseCode.SYSTEM_ERROR
        unknown = await client.invoke(addr, RemotingCommand(RequestCode.UPDATE_NAMESRV_CONFIG))
        assert unknown.code == ResponseCode.REQUEST_CODE_NOT_SUPPORTED


@pytest.mark.timeout_s(20)
async def test_broker_registers_with_two_nameservers(tmp_path: Path) -> None:
    async with (
        NamesrvController(make_config(tmp_path / "one")) as first,
        NamesrvController(make_config(tmp_path / "two")) as second,
        RemotingClient() as broker,
        RemotingClient() as admin,
    ):
        body = register_body([topic_config("T1", 8), topic_config("T2")])
        for namesrv in (first, second):
            request = register_request("C", "broker-a", 0, A_MASTER, body)
            assert (await broker.invoke(address(namesrv), request)).code == ResponseCode.SUCCESS
        first_route = await get_route(admin, address(first), "T1")
        second_route = await get_route(admin, address(second), "T1")
        assert first_route.code == second_route.code == ResponseCode.SUCCESS
        assert first_route.body == second_route.body
        # Each NameServer keeps its own state: unregistering from one leaves the other.
        await call(
            admin,
            address(first),
            RequestCode.UNREGISTER_BROKER,
            brokerName="broker-a",
            brokerAddr=A_MASTER,
            clusterName="C",
            brokerId="0",
        )
        assert (await get_route(admin, address(first), "T1")).code == 17
        assert (await get_route(admin, address(second), "T1")).code == ResponseCode.SUCCESS


@pytest.mark.timeout_s(20)
async def test_acting_master(tmp_path: Path) -> None:
    config = make_config(tmp_path, support_acting_master=True)
    async with (
        NamesrvController(config) as namesrv,
        RemotingClient() as master,
        RemotingClient() as slave,
        RemotingClient() as admin,
    ):
        addr = address(namesrv)
        acting = {"enableActingMaster": "true"}
        body = register_body([topic_config("T1"), topic_config("T2")])
        await master.invoke(addr, register_request("C", "broker-a", 0, A_MASTER, body, **acting))
        await slave.invoke(addr, register_request("C", "broker-a", 1, A_SLAVE, body, **acting))
        await master.close()
        async with asyncio.timeout(5):
            while True:
                route = json.loads((await get_route(admin, addr, "T1")).body)
                if len(route["brokerDatas"][0]["brokerAddrs"]) == 1:
                    break
                await asyncio.sleep(0.01)
        # The group lost its master: its queues went read-only and the lowest-id
        # slave is published as id 0 so clients can still read from it.
        assert route["brokerDatas"][0]["brokerAddrs"] == {"0": A_SLAVE}
        assert route["brokerDatas"][0]["enableActingMaster"] is True
        assert route["queueDatas"][0]["perm"] == 4
        assert namesrv.route_info_manager.broker_addr_table["broker-a"].broker_addrs == {1: A_SLAVE}
        # The prime slave's own topics count now, without WRITE.
        newer = register_body([topic_config("T1"), topic_config("T3")], counter=2)
        await slave.invoke(addr, register_request("C", "broker-a", 1, A_SLAVE, newer, **acting))
        route = json.loads((await get_route(admin, addr, "T3")).body)
        assert route["queueDatas"][0]["perm"] == 4
