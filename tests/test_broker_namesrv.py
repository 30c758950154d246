"""Registration with NameServers, config files, and the boot line."""

from __future__ import annotations

import asyncio
import zlib
from pathlib import Path

import pytest

from rocketmq._core import remoting as codec
from rocketmq.broker.config import (
    BrokerConfig,
    broker_config_from_properties,
    load_broker_config,
    parse_properties,
)
from rocketmq.common import json_body
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.remoting import RemotingClient, RemotingServer, ServerConfig
from tests.test_broker_base import LOOPBACK, addr_of, running_broker, send_request

RemotingCommand = codec.RemotingCommand
ROOT = Path(__file__).resolve().parent.parent


class RecordingNameServer:
    """A real RemotingServer that records what brokers send it."""

    def __init__(self) -> None:
        self.server = RemotingServer(ServerConfig(listen_host=LOOPBACK, listen_port=0))
        self.requests: list[RemotingCommand] = []
        self.arrived = asyncio.Event()
        for code in (RequestCode.REGISTER_BROKER, RequestCode.UNREGISTER_BROKER):
            self.server.register_processor(code, self._record)

    def _record(self, _connection, request: RemotingCommand) -> RemotingCommand:
        self.requests.append(request)
        self.arrived.set()
        return RemotingCommand(ResponseCode.SUCCESS)

    @property
    def addr(self) -> str:
        return f"{LOOPBACK}:{self.server.port}"


async def test_register_and_unregister_broker(tmp_path: Path) -> None:
    namesrv = RecordingNameServer()
    dead = "127.0.0.1:1"  # nothing listens: logged, never fatal
    async with namesrv.server:
        async with running_broker(tmp_path, namesrv_addrs=(namesrv.addr, dead)) as broker:
            assert len(namesrv.requests) == 1
            first = namesrv.requests[0]
            fields = first.ext_fields
            assert fields["brokerName"] == "broker-a"
            assert fields["brokerAddr"] == f"{LOOPBACK}:{broker.port}"
            assert fields["clusterName"] == "DefaultCluster"
            assert fields["brokerId"] == "0"
            assert fields["compressed"] == "false"
            assert int(fields["bodyCrc32"]) == zlib.crc32(first.body) & 0x7FFFFFFF
            assert b" " not in first.body  # compact JSON
            body = json_body.loads(first.body)
            wrapper = body["topicConfigSerializeWrapper"]
            assert body["filterServerList"] == []
            assert wrapper["topicConfigTable"]["TBW102"]["perm"] == 7
            counter = wrapper["dataVersion"]["counter"]
            assert " and name server is " in broker.boot_message

            # A topic created by a send is registered at once.
            namesrv.arrived.clear()
            async with RemotingClient() as client:
                await client.invoke(addr_of(broker), send_request("NewTopic", b"x"))
            await asyncio.wait_for(namesrv.arrived.wait(), 10)
            latest = json_body.loads(namesrv.requests[-1].body)["topicConfigSerializeWrapper"]
            assert "NewTopic" in latest["topicConfigTable"]
            assert latest["dataVersion"]["counter"] > counter
        assert namesrv.requests[-1].code == RequestCode.UNREGISTER_BROKER
        assert namesrv.requests[-1].ext_fields["brokerAddr"] == f"{LOOPBACK}:{broker.port}"


async def test_route_from_our_name_server(tmp_path: Path) -> None:
    controller_module = pytest.importorskip("rocketmq.namesrv.controller")
    config_module = pytest.importorskip("rocketmq.namesrv.config")
    namesrv = controller_module.NamesrvController(
        config_module.NamesrvConfig(
            listen_host=LOOPBACK, listen_port=0, kv_config_path=tmp_path / "kv.json"
        )
    )
    async with namesrv:
        namesrv_addr = f"{LOOPBACK}:{namesrv.port}"
        async with running_broker(tmp_path / "store", namesrv_addrs=(namesrv_addr,)) as broker:
            async with RemotingClient() as client:
                request = RemotingCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC, {"topic": "TBW102"})
                response = await client.invoke(namesrv_addr, request)
                assert response.code == ResponseCode.SUCCESS, response.remark
                route = json_body.loads(response.body)
                addrs = route["brokerDatas"][0]["brokerAddrs"]
                assert addrs["0"] == f"{LOOPBACK}:{broker.port}"
                assert route["queueDatas"][0]["writeQueueNums"] == 8


def test_properties_parser() -> None:
    text = (
        "# comment\n! also\nbrokerName = broker-b\nlistenPort:10921\nnamesrvAddr a:1;\\\n b:2\n\n"
    )
    props = parse_properties(text)
    assert props == {"brokerName": "broker-b", "listenPort": "10921", "namesrvAddr": "a:1;b:2"}
    config = broker_config_from_properties(props)
    assert config.namesrv_addrs == ("a:1", "b:2")
    assert config.listen_port == 10921


def test_conf_file_maps_broker_and_store_keys() -> None:
    config = load_broker_config(ROOT / "conf" / "broker.conf")
    assert config.broker_name == "broker-a"
    assert config.namesrv_addrs == ("127.0.0.1:9876",)
    assert config.store.commit_log_file_size == 1024**3
    assert config.store.file_reserved_time_hours == 72
    assert config.default_topic_queue_nums == 8


def test_config_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="brokerRole"):
        broker_config_from_properties({"brokerRole": "LEADER"})
    with pytest.raises(ValueError, match="listenPort"):
        broker_config_from_properties({"listenPort": "ten"})
    clamped = broker_config_from_properties({"registerNameServerPeriod": "1000"})
    assert clamped.register_name_server_period_ms == 10_000
    assert BrokerConfig().listen_port == 10911


@pytest.mark.timeout_s(30)
async def test_mqbroker_boots_and_stops_on_sigterm(tmp_path: Path) -> None:
    import signal
    import sys

    conf = tmp_path / "broker.conf"
    conf.write_text(
        f"brokerName=broker-cli\nlistenPort=0\nbrokerIP1=127.0.0.1\nbindAddress=127.0.0.1\n"
        f"storePathRootDir={tmp_path / 'store'}\nmappedFileSizeCommitLog=65536\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rocketmq.broker.startup",
        "-c",
        str(conf),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        lines = []
        while True:
            line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
            assert line, "mqbroker exited before booting"
            lines.append(line)
            if "boot success" in line:
                break
        assert "The broker[broker-cli, 127.0.0.1:" in lines[-1]
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert not (tmp_path / "store" / "abort").exists()  # clean store shutdown
