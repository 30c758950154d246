"""``python -m rocketmq standalone`` as a real process: boot, route, send, pull, stop."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
from pathlib import Path

import pytest

from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.remoting import RemotingClient, RemotingCommand
from tests.test_broker_base import pull_request, send_request, split_records

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.timeout_s(60)
async def test_standalone_serves_routes_sends_and_pulls(tmp_path: Path) -> None:
    namesrv_port, broker_port = free_port(), free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rocketmq",
        "standalone",
        "--namesrv-port",
        str(namesrv_port),
        "--broker-port",
        str(broker_port),
        "--store",
        str(tmp_path / "store"),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        lines = [(await process.stdout.readline()).decode() for _ in range(2)]
        assert lines[0].startswith("The Name Server boot success.")
        assert lines[1].startswith(f"The broker[broker-a, 127.0.0.1:{broker_port}] boot success.")
        namesrv, broker = f"127.0.0.1:{namesrv_port}", f"127.0.0.1:{broker_port}"
        async with RemotingClient() as client:
            sent = await client.invoke(broker, send_request("QuickStart", b"hello"))
            assert sent.code == ResponseCode.SUCCESS, sent.remark
            route = None
            for _ in range(50):  # the broker registers the new topic right after creating it
                route = await client.invoke(
                    namesrv,
                    RemotingCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC, {"topic": "QuickStart"}),
                )
                if route.code == ResponseCode.SUCCESS:
                    break
                await asyncio.sleep(0.1)
            assert route.code == ResponseCode.SUCCESS, route.remark
            data = json.loads(route.body)
            assert data["brokerDatas"][0]["brokerAddrs"] == {"0": broker}
            pulled = await client.invoke(broker, pull_request("QuickStart", 0, 0))
            assert pulled.code == ResponseCode.SUCCESS
            assert [r.body for r in split_records(pulled.body)] == [b"hello"]
    finally:
        process.send_signal(signal.SIGTERM)
        returncode = await process.wait()
    assert returncode == 0, (await process.stderr.read()).decode()[-2000:]
    assert not (tmp_path / "store" / "abort").exists()
