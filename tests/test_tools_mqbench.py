"""mqbench against our broker and Apache RocketMQ's: the tool runs, reports and exits cleanly."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from tests.interop.messages import unique
from tests.interop.servers import FAST_DELAYS, running_server

pytestmark = pytest.mark.interop


async def mqbench(*args: str, timeout: float = 60) -> tuple[int, list[str], str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "rocketmq.tools.bench", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    return proc.returncode, out.decode().splitlines(), err.decode()


def summary_of(lines: list[str]) -> dict:
    return json.loads(lines[-1])


@pytest.mark.timeout_s(180)
@pytest.mark.parametrize("server", ["ours", "apache"])
async def test_producer_consumer_and_batch_modes(
    apache_built: None, server: str, tmp_path: Path
) -> None:
    topic = unique("cy_bench")
    async with running_server(server, tmp_path, {"messageDelayLevel": FAST_DELAYS}) as namesrv:
        rc, lines, err = await mqbench(
            "producer", "-n", namesrv, "-t", topic, "-w", "8", "-s", "300", "-k", "-c", "3",
            "--duration", "4", "--interval", "0.5", "--json", str(tmp_path / "producer.json"),
        )  # fmt: skip
        assert rc == 0, err
        progress = [line for line in lines if line.startswith("Current Time: ")]
        assert len(progress) >= 3 and "Send TPS: " in progress[0] and "p99(ms)" in progress[0]
        sent = summary_of(lines)
        assert sent["event"] == "summary" and sent["ok"] > 100 and sent["failed"] == 0
        assert sent["p50_ms"] <= sent["p99_ms"] <= sent["p999_ms"] <= sent["max_rt_ms"]
        assert json.loads((tmp_path / "producer.json").read_text()) == sent

        # Every message sent, once: the consumer stops when it has them all (else at
        # --duration, short of the count), however long a loaded machine takes.
        rc, lines, err = await mqbench(
            "consumer", "-n", namesrv, "-t", topic, "-g", unique("cy_bench_g"), "--fromFirst",
            "--expect", str(sent["ok"]), "--duration", "90", timeout=120,
        )  # fmt: skip
        assert rc == 0, err
        consumed = summary_of(lines)
        assert consumed["ok"] == sent["ok"], (consumed, sent)

        rc, lines, err = await mqbench("batchproducer", "-n", namesrv, "-t", unique("cy_bb"),
                                       "-w", "2", "-b", "8", "--duration", "2")  # fmt: skip
        assert rc == 0, err
        assert summary_of(lines)["ok"] % 8 == 0 and summary_of(lines)["ok"] > 0


async def test_bad_arguments_exit_2() -> None:
    rc, _lines, err = await mqbench("producer", "-w", "many")
    assert rc == 2 and "invalid int value" in err
    rc, _lines, err = await mqbench("nosuchmode")
    assert rc == 2
