"""Replication cost: produce against a lone master, ASYNC_MASTER + slave, SYNC_MASTER + slave.

    .venv/bin/python perf/ha.py [--seconds 20] [--warmup 3] [--threads 64] [--size 1024]
                                [--setups standalone,async,sync] [--brokers ours,apache]

For each broker kind and setup, over fresh stores on loopback (1 GiB CommitLog
segments, ASYNC_FLUSH): ours runs ``mqnamesrv``, then ``mqbroker`` for the
master and, in the replicated setups, its slave, each its own process; Apache
RocketMQ 4.9.7 (Maven Central jars, tests/interop/java/apache) runs the
NameServer and master in one JVM and the slave in another. The official Java
BenchProducer (tests/interop/java/client4, rocketmq-client 4.9.8) sends
``--threads`` synchronous streams of ``--size``-byte messages for
``--seconds`` after a warm-up; the table gives TPS and latency per setup, the
ratios to the lone master, and ours/Apache per setup when both ran. While it
runs, the replication lag (master max offset - slave max offset of the bench
topic's queues, in messages) is sampled every 100 ms. The figures go to
perf/results/ as JSON.
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
from perf.servers import APACHE_BROKER_HEAP, start_until_ready  # noqa: E402
from tests.interop.harness import broker_ports, ensure_built, java_command  # noqa: E402

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


def broker_conf(broker_id: int, role: str) -> dict:
    """The upstream keys both broker kinds get."""
    return {
        "brokerName": "broker-a",
        "brokerId": broker_id,
        "brokerRole": role,
        "brokerIP1": LOOPBACK,
        "mappedFileSizeCommitLog": 1024 * 1024 * 1024,
        "flushDiskType": "ASYNC_FLUSH",
        "defaultTopicQueueNums": QUEUES,
    }


class OursCluster:
    """``mqnamesrv`` and one ``mqbroker`` process per broker."""

    def start_namesrv(self, root: Path, port: int) -> subprocess.Popen | None:
        conf = {"listenPort": port, "kvConfigPath": root / "kv.json"}
        return self._daemon("rocketmq.namesrv.startup", conf, root, "namesrv")

    def start_broker(self, root: Path, name: str, namesrv: str, port: int, conf: dict):
        conf = {**conf, "listenPort": port, "namesrvAddr": namesrv, "storePathRootDir": root / name}
        return self._daemon("rocketmq.broker.startup", conf, root, name)

    @staticmethod
    def _daemon(module: str, conf: dict, root: Path, name: str) -> subprocess.Popen:
        path = root / f"{name}.conf"
        path.write_text("".join(f"{key}={value}\n" for key, value in conf.items()))
        command = [sys.executable, "-m", module, "-c", str(path)]
        return start_until_ready(
            command, root / f"{name}.log", lambda line: "boot success" in line, READY_TIMEOUT_S
        )


class ApacheCluster:
    """A JVM with the NameServer and the master; a JVM per slave, registering with it."""

    def __init__(self) -> None:
        self._namesrv_port = 0

    def start_namesrv(self, root: Path, port: int) -> subprocess.Popen | None:
        self._namesrv_port = port  # the master's JVM serves it
        return None

    def start_broker(self, root: Path, name: str, namesrv: str, port: int, conf: dict):
        if conf["brokerId"] == 0:
            args = ["--namesrv-port", str(self._namesrv_port)]
        else:
            args = ["--namesrv", namesrv]
        args += ["--broker-port", str(port), "--store", str(root / name)]
        for key, value in conf.items():
            args += ["--broker-conf", f"{key}={value}"]
        command = java_command(
            "apache.ApacheCluster", *args, module="apache", heap=APACHE_BROKER_HEAP
        )
        return start_until_ready(
            command, root / f"{name}.log", lambda line: line.startswith("READY "), READY_TIMEOUT_S
        )


CLUSTERS = {"ours": OursCluster, "apache": ApacheCluster}


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


def replicating(namesrv: str, master: str, slave: str) -> None:
    """Return once a probe message sent to the master has reached the slave.

    The measured run must not begin before the slave is connected: an Apache slave
    retries its HA connection every 5 s, and SYNC_MASTER answers SLAVE_NOT_AVAILABLE
    until then.
    """
    asyncio.run(_replicating(namesrv, master, slave))


async def _replicating(namesrv: str, master: str, slave: str) -> None:
    from rocketmq.client.aio import Message, Producer
    from rocketmq.remoting import RemotingClient

    async with Producer("bench_ha_probe", namesrv) as producer:
        await producer.send(Message(TOPIC, b"probe"))
    deadline = time.monotonic() + READY_TIMEOUT_S
    async with RemotingClient() as client:
        while True:
            sent = await _queue_offsets(client, master)
            if sent > 0 and await _queue_offsets(client, slave) == sent:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"slave {slave} did not replicate within {READY_TIMEOUT_S} s")
            await asyncio.sleep(0.2)


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


def run_setup(broker: str, name: str, args: argparse.Namespace, root: Path) -> dict:
    role, with_slave = SETUPS[name]
    root = root / broker / name
    root.mkdir(parents=True)
    cluster = CLUSTERS[broker]()
    # One pick for the NameServer and the master: broker_ports keeps them apart.
    namesrv_port, master_port = broker_ports()
    namesrv = f"{LOOPBACK}:{namesrv_port}"
    namesrv_proc = cluster.start_namesrv(root, namesrv_port)
    procs = [namesrv_proc] if namesrv_proc is not None else []
    try:
        master = cluster.start_broker(root, "master", namesrv, master_port, broker_conf(0, role))
        procs.append(master)
        sampler = None
        if with_slave:
            _, slave_port = broker_ports()
            slave_conf = broker_conf(1, "SLAVE")
            procs.append(cluster.start_broker(root, "slave", namesrv, slave_port, slave_conf))
            replicating(namesrv, f"{LOOPBACK}:{master_port}", f"{LOOPBACK}:{slave_port}")
            sampler = LagSampler(f"{LOOPBACK}:{master_port}", f"{LOOPBACK}:{slave_port}")
            sampler.start()
        label = f"{broker} {name}"
        result = {"produce": bench(master, namesrv, args, label)}
        if sampler is not None:
            result["lag_msgs"] = sampler.finish()
        return result
    finally:
        for proc in reversed(procs):
            stop(proc)


def print_table(results: dict[str, dict[str, dict]]) -> None:
    """One column per (broker, setup); then setup/standalone and ours/Apache ratios."""
    columns = [(broker, name) for broker, setups in results.items() for name in setups]
    print("\n" + f"{'':22}" + "".join(f"{broker + ' ' + name:>18}" for broker, name in columns))
    for title, key in (
        ("produce TPS", "tps"),
        ("produce p50 ms", "p50_ms"),
        ("produce p99 ms", "p99_ms"),
        ("master CPU us/msg", "master_cpu_us_per_msg"),
        ("failed sends", "failed"),
    ):
        values = [results[broker][name]["produce"].get(key, 0) for broker, name in columns]
        print(f"{title:22}" + "".join(f"{v:>18}" for v in values))
    for title, key in (("lag mean (msgs)", "mean"), ("lag p99", "p99"), ("lag max", "max")):
        values = [results[b][n].get("lag_msgs", {}).get(key, "-") for b, n in columns]
        print(f"{title:22}" + "".join(f"{v:>18}" for v in values))
    print()
    for broker, setups in results.items():
        alone = setups.get("standalone")
        for name, result in setups.items():
            if alone is None or name == "standalone":
                continue
            print(f"{broker} {name}/standalone: {ratios(result, alone)}")
    if "ours" in results and "apache" in results:
        for name, ours in results["ours"].items():
            if name in results["apache"]:
                print(f"{name} ours/apache: {ratios(ours, results['apache'][name])}")


def ratios(result: dict, base: dict) -> str:
    produce, other = result["produce"], base["produce"]
    tps = produce["tps"] / other["tps"] if other["tps"] else 0.0
    p99 = produce["p99_ms"] / other["p99_ms"] if other["p99_ms"] else 0.0
    return f"TPS x{tps:.2f}, p99 x{p99:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="measured produce time")
    parser.add_argument("--warmup", type=int, default=3, help="produce warm-up seconds")
    parser.add_argument("--threads", type=int, default=64, help="concurrent senders")
    parser.add_argument("--size", type=int, default=1024, help="message body bytes")
    parser.add_argument("--setups", default=",".join(SETUPS), help="standalone, async, sync")
    parser.add_argument("--brokers", default="ours,apache", help="ours, apache")
    parser.add_argument("--dir", default=None, help="where the stores go (default: a temp dir)")
    args = parser.parse_args()
    brokers = args.brokers.split(",")
    for broker in brokers:
        if broker not in CLUSTERS:
            parser.error(f"unknown broker {broker!r}; choose from {', '.join(CLUSTERS)}")
    if "apache" in brokers:
        ensure_built("apache")
    ensure_built("client4")
    from rocketmq._core import IMPLEMENTATION

    results: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory(prefix="cy-ha-", dir=args.dir) as tmp:
        for broker in brokers:
            results[broker] = {}
            for name in args.setups.split(","):
                results[broker][name] = run_setup(broker, name, args, Path(tmp))
    print_table(results)
    settings = {k: v for k, v in vars(args).items() if k != "dir"}
    path = save("ha", {"implementation": IMPLEMENTATION, "settings": settings, "results": results})
    print(f"\nwrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
