"""Replication cost: produce against a lone master, ASYNC_MASTER + slave, SYNC_MASTER + slave.

    .venv/bin/python perf/ha.py [--seconds 20] [--warmup 3] [--threads 64] [--size 1024]
                                [--setups standalone,async,sync]

Every server is its own process on loopback (``mqnamesrv``, then ``mqbroker``
for the master and, in the replicated setups, its slave), over a fresh store
(1 GiB CommitLog segments, ASYNC_FLUSH). The official Java BenchProducer
(tests/interop/java/client4, rocketmq-client 4.9.8) sends ``--threads``
synchronous streams of ``--size``-byte messages for ``--seconds`` after a
warm-up; the table gives TPS and latency per setup and the ratios to the lone
master. While it runs, the replication lag (master max offset - slave max
offset of the bench topic's queues, in messages) is sampled every 100 ms.
The figures go to perf/results/ as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from perf.runs import cpu_seconds, save, stop  # noqa: E402
from tests.interop.harness import broker_ports, ensure_built, free_port, java_command  # noqa: E402

LOOPBACK = "127.0.0.1"
TOPIC = "bench_ha"
QUEUES = 8
READY_TIMEOUT_S = 60.0
CLIENT_HEAP = "-Xmx1g"
LAG_SAMPLE_S = 0.1
SETUPS = {  # name -> (master role, with a slave)
    "standalone": ("ASYNC_MASTER", False),
    "async": ("ASYNC_MASTER", True),
    "sync": ("SYNC_MASTER", True),
}


def start_daemon(module: str, conf: dict, root: Path, name: str) -> subprocess.Popen:
    """``python -m <module> -c <name>.conf``; returns once it printed its boot line."""
    path = root / f"{name}.conf"
    path.write_text("".join(f"{key}={value}\n" for key, value in conf.items()))
    log = root / f"{name}.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "-c", str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log.open("ab"),
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{name} exited (rc={proc.wait()}); see {log}")
        if "boot success" in line:
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return proc
    stop(proc)
    raise RuntimeError(f"{name} not ready within {READY_TIMEOUT_S} s; see {log}")


def broker_conf(root: Path, name: str, namesrv: str, port: int, broker_id: int, role: str) -> dict:
    return {
        "brokerName": "broker-a",
        "brokerId": broker_id,
        "brokerRole": role,
        "listenPort": port,
        "brokerIP1": LOOPBACK,
        "namesrvAddr": namesrv,
        "storePathRootDir": root / name,
        "mappedFileSizeCommitLog": 1024 * 1024 * 1024,
        "flushDiskType": "ASYNC_FLUSH",
        "defaultTopicQueueNums": QUEUES,
    }


async def _queue_offsets(client, addr: str) -> int:
    from rocketmq._core import remoting as codec
    from rocketmq.common.codes import RequestCode, ResponseCode

    total = 0
    for queue_id in range(QUEUES):
        fields = {"topic": TOPIC, "queueId": str(queue_id)}
        request = codec.RemotingCommand(RequestCode.GET_MAX_OFFSET, fields)
        response = await client.invoke(addr, request, 2000)
        if response.code == ResponseCode.SUCCESS:
            total += int(response.ext_fields["offset"])
    return total


class LagSampler(threading.Thread):
    """Samples master - slave max offsets (messages) until ``finish()``."""

    def __init__(self, master: str, slave: str) -> None:
        super().__init__(daemon=True)
        self.master, self.slave = master, slave
        self.samples: list[int] = []
        self._done = threading.Event()

    def run(self) -> None:
        asyncio.run(self._sample())

    async def _sample(self) -> None:
        from rocketmq.remoting import RemotingClient

        async with RemotingClient() as client:
            while not self._done.is_set():
                try:
                    slave = await _queue_offsets(client, self.slave)
                    master = await _queue_offsets(client, self.master)
                    # Slave first: the lag is never understated by sampling order.
                    self.samples.append(max(0, master - slave))
                except Exception:  # a missed sample is not worth a failed run
                    pass
                await asyncio.sleep(LAG_SAMPLE_S)

    def finish(self) -> dict:
        self._done.set()
        self.join()
        if not self.samples:
            return {"samples": 0}
        ordered = sorted(self.samples)
        return {
            "samples": len(ordered),
            "mean": round(sum(ordered) / len(ordered), 1),
            "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
            "max": ordered[-1],
        }


def bench(proc: subprocess.Popen, namesrv: str, args: argparse.Namespace, label: str) -> dict:
    """BenchProducer to completion, echoing its lines; its summary plus broker CPU/msg."""
    tool = subprocess.Popen(
        java_command(
            "client4.BenchProducer",
            "--namesrv", namesrv, "--topic", TOPIC,
            "--threads", str(args.threads), "--size", str(args.size),
            "--seconds", str(args.seconds), "--warmup-seconds", str(args.warmup),
            module="client4", heap=CLIENT_HEAP,
        ),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert tool.stdout is not None and tool.stderr is not None
    errors: list[str] = []
    drain = threading.Thread(target=lambda: errors.append(tool.stderr.read()), daemon=True)
    drain.start()
    cpu_before = cpu_seconds(proc.pid)
    summary = None
    for line in tool.stdout:
        line = line.rstrip("\n")
        if line.startswith("{") and json.loads(line).get("event") == "summary":
            summary = json.loads(line)
        print(f"[{label}] {line}", flush=True)
    rc = tool.wait()
    drain.join()
    if summary is None:  # failed sends still give a summary (and exit 1): they are figures
        raise RuntimeError(f"{label}: BenchProducer failed (exit {rc}):\n{''.join(errors)[-3000:]}")
    count = summary.get("sent_total") or 0
    cpu = cpu_seconds(proc.pid) - cpu_before
    summary["master_cpu_us_per_msg"] = round(cpu / count * 1e6, 2) if count else 0.0
    return summary


def run_setup(name: str, args: argparse.Namespace, root: Path) -> dict:
    role, with_slave = SETUPS[name]
    root = root / name
    root.mkdir(parents=True)
    namesrv_port = free_port()
    namesrv = f"{LOOPBACK}:{namesrv_port}"
    procs = [
        start_daemon(
            "rocketmq.namesrv.startup",
            {"listenPort": namesrv_port, "kvConfigPath": root / "kv.json"},
            root,
            "namesrv",
        )
    ]
    try:
        _, master_port = broker_ports()
        master = start_daemon(
            "rocketmq.broker.startup",
            broker_conf(root, "master", namesrv, master_port, 0, role),
            root,
            "master",
        )
        procs.append(master)
        sampler = None
        if with_slave:
            _, slave_port = broker_ports()
            procs.append(
                start_daemon(
                    "rocketmq.broker.startup",
                    broker_conf(root, "slave", namesrv, slave_port, 1, "SLAVE"),
                    root,
                    "slave",
                )
            )
            time.sleep(1.0)  # the slave learns the HA address and connects
            sampler = LagSampler(f"{LOOPBACK}:{master_port}", f"{LOOPBACK}:{slave_port}")
            sampler.start()
        result = {"produce": bench(master, namesrv, args, name)}
        if sampler is not None:
            result["lag_msgs"] = sampler.finish()
        return result
    finally:
        for proc in reversed(procs):
            stop(proc)


def print_table(results: dict[str, dict]) -> None:
    names = list(results)
    print("\n" + f"{'':26}" + "".join(f"{name:>12}" for name in names))
    for title, key in (
        ("produce TPS", "tps"),
        ("produce p50 ms", "p50_ms"),
        ("produce p99 ms", "p99_ms"),
        ("master CPU us/msg", "master_cpu_us_per_msg"),
        ("failed sends", "failed"),
    ):
        values = [results[name]["produce"].get(key, 0) for name in names]
        print(f"{title:26}" + "".join(f"{v:>12}" for v in values))
    for title, key in (("lag mean (msgs)", "mean"), ("lag p99", "p99"), ("lag max", "max")):
        values = [results[name].get("lag_msgs", {}).get(key, "-") for name in names]
        print(f"{title:26}" + "".join(f"{v:>12}" for v in values))
    base = results.get("standalone")
    if base:
        for name in names:
            if name == "standalone":
                continue
            produce, alone = results[name]["produce"], base["produce"]
            tps = produce["tps"] / alone["tps"] if alone["tps"] else 0.0
            p99 = produce["p99_ms"] / alone["p99_ms"] if alone["p99_ms"] else 0.0
            print(f"{name}/standalone: TPS x{tps:.2f}, p99 x{p99:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="measured produce time")
    parser.add_argument("--warmup", type=int, default=3, help="produce warm-up seconds")
    parser.add_argument("--threads", type=int, default=64, help="concurrent senders")
    parser.add_argument("--size", type=int, default=1024, help="message body bytes")
    parser.add_argument("--setups", default=",".join(SETUPS), help="standalone, async, sync")
    parser.add_argument("--dir", default=None, help="where the stores go (default: a temp dir)")
    args = parser.parse_args()
    ensure_built("client4")
    from rocketmq._core import IMPLEMENTATION

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="cy-ha-", dir=args.dir) as tmp:
        for name in args.setups.split(","):
            results[name] = run_setup(name, args, Path(tmp))
    print_table(results)
    settings = {k: v for k, v in vars(args).items() if k != "dir"}
    path = save("ha", {"implementation": IMPLEMENTATION, "settings": settings, "results": results})
    print(f"\nwrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
