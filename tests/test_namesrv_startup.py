"""``mqnamesrv`` as a process: conf file, boot line, a call, SIGTERM, exit 0."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.remoting import RemotingClient, RemotingCommand
from tests.interop.harness import free_port

ROOT = Path(__file__).resolve().parent.parent
BOOT_LINE = "The Name Server boot success. serializeType=JSON"


def write_conf(tmp_path: Path, port: int) -> Path:
    conf = tmp_path / "namesrv.conf"
    conf.write_text(
        "# test NameServer\n"
        "bindAddress=127.0.0.1\n"
        f"listenPort={port}\n"
        f"kvConfigPath={tmp_path / 'kv' / 'kvConfig.json'}\n"
        "orderMessageEnable=true\n"
    )
    return conf


@pytest.mark.timeout_s(30)
async def test_cli_serves_until_sigterm(tmp_path: Path) -> None:
    port = free_port()
    conf = write_conf(tmp_path, port)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rocketmq.namesrv.startup",
        "-c",
        str(conf),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        lines = []
        async with asyncio.timeout(15):
            while True:
                raw = await proc.stdout.readline()
                assert raw, f"exited before booting: {lines} {await proc.stderr.read()!r}"
                lines.append(raw.decode().rstrip())
                if lines[-1].startswith(BOOT_LINE):
                    break
        assert lines[0] == f"load config properties file OK, {conf}"
        assert lines[-1] == f"{BOOT_LINE}, address 127.0.0.1:{port}"

        async with RemotingClient() as client:
            addr = f"127.0.0.1:{port}"
            put = RemotingCommand(
                RequestCode.PUT_KV_CONFIG, {"namespace": "NS", "key": "k", "value": "v"}
            )
            assert (await client.invoke(addr, put)).code == ResponseCode.SUCCESS
            info = await client.invoke(addr, RemotingCommand(RequestCode.GET_BROKER_CLUSTER_INFO))
            assert json.loads(info.body) == {"brokerAddrTable": {}, "clusterAddrTable": {}}

        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            _out, errors = await proc.communicate()
        assert proc.returncode == 0, errors.decode()
        log = errors.decode()
        assert "NameServer core=" in log
        assert "shutdown hook over" in log
        kv = json.loads((tmp_path / "kv" / "kvConfig.json").read_text())
        assert kv == {"configTable": {"NS": {"k": "v"}}}
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.communicate()


def test_cli_prints_config_and_rejects_bad_files(tmp_path: Path) -> None:
    conf = write_conf(tmp_path, 19999)
    printed = subprocess.run(
        [sys.executable, "-m", "rocketmq.namesrv.startup", "-c", str(conf), "-p"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert "listenPort=19999" in lines
    assert "orderMessageEnable=true" in lines
    assert "bindAddress=127.0.0.1" in lines

    bad = tmp_path / "bad.conf"
    bad.write_text("listenPort=not-a-port\n")
    failed = subprocess.run(
        [sys.executable, "-m", "rocketmq.namesrv.startup", "-c", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert failed.returncode == 1
    assert "listenPort" in failed.stderr
