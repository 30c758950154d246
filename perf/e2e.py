"""End to end with the official Java client: our broker against Apache RocketMQ's.

    .venv/bin/python perf/e2e.py [--seconds 20] [--threads 64] [--size 1024]
                                 [--backlog 1000000] [--brokers ours,apache]

Each broker runs in its own process with a NameServer, on loopback, over a
fresh store (1 GiB CommitLog segments, ASYNC_FLUSH): ours from this checkout,
Apache RocketMQ 4.9.8 from Maven Central (tests/interop/java/apache). The
same load tools (tests/interop/java/client4, rocketmq-client 4.9.8) drive both:

1. produce: ``--threads`` synchronous senders of ``--size``-byte messages for
   ``--seconds`` after a warm-up: TPS and p50/p99/p999 latency;
2. backlog: ``--backlog`` messages into a second topic;
3. catch-up consume of that backlog by a push consumer in a fresh group,
   once with zero-copy transfer (``transferMsgByHeap=false``: our sendfile)
   and once copying (``true``), the broker restarted on the same store
   between the two.

Every tool prints a line per second; at the end a table with our/Apache
ratios, and the figures as JSON under perf/results/.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from perf.runs import cpu_seconds, save, stop  # noqa: E402
from perf.servers import TARGETS, Server, Target  # noqa: E402
from tests.interop.harness import ensure_built, java_command  # noqa: E402

CLIENT_HEAP = "-Xmx1g"


def run_tool(label: str, server: Server, main: str, *args: str) -> dict:
    """Run a client4 bench tool, echoing its progress lines; return its summary."""
    proc = subprocess.Popen(
        java_command(main, *args, module="client4", heap=CLIENT_HEAP),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    errors: list[str] = []
    drain = threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True)
    drain.start()
    summary = None
    cpu_before = cpu_seconds(server.proc.pid)
    for line in proc.stdout:
        server.sample()
        line = line.rstrip("\n")
        if line.startswith("{"):
            item = json.loads(line)
            if item.get("event") == "summary":
                summary = item
        print(f"[{label}] {line}", flush=True)
    rc = proc.wait()
    drain.join()
    if rc != 0 or summary is None:
        raise RuntimeError(f"{label}: {main} failed (exit {rc}):\n{''.join(errors)[-3000:]}")
    # Broker CPU per message: what the broker spends, whoever is the bottleneck.
    count = summary.get("sent_total") or summary.get("received") or 0
    cpu = cpu_seconds(server.proc.pid) - cpu_before
    summary["broker_cpu_us_per_msg"] = round(cpu / count * 1e6, 2) if count else 0.0
    return summary


def bench_target(target: Target, args: argparse.Namespace, root: Path) -> dict:
    store = root / target.name
    results: dict = {}
    server = target.start(store, {"transferMsgByHeap": "false"})
    try:
        results["produce"] = run_tool(
            f"{target.name} produce", server, "client4.BenchProducer",
            "--namesrv", server.namesrv, "--topic", "bench_tps",
            "--threads", str(args.threads), "--size", str(args.size),
            "--seconds", str(args.seconds), "--warmup-seconds", str(args.warmup),
        )  # fmt: skip
        results["backlog"] = run_tool(
            f"{target.name} backlog", server, "client4.BenchProducer",
            "--namesrv", server.namesrv, "--topic", "bench_backlog",
            "--threads", str(args.threads), "--size", str(args.size),
            "--count", str(args.backlog),
        )  # fmt: skip
        results["consume_zero_copy"] = consume(target, server, args)
    finally:
        stop(server.proc)
    rss = server.rss_max_mib
    server = target.start(store, {"transferMsgByHeap": "true"})
    try:
        results["consume_copy"] = consume(target, server, args)
    finally:
        stop(server.proc)
    results["rss_max_mib"] = round(max(rss, server.rss_max_mib), 1)
    return results


def consume(target: Target, server: Server, args: argparse.Namespace) -> dict:
    return run_tool(
        f"{target.name} consume", server, "client4.BenchConsumer",
        "--namesrv", server.namesrv, "--topic", "bench_backlog",
        "--group", f"bench_{uuid.uuid4().hex[:8]}", "--expect", str(args.backlog),
    )  # fmt: skip


ROWS = [
    ("produce TPS", "produce", "tps"),
    ("produce p50 ms", "produce", "p50_ms"),
    ("produce p99 ms", "produce", "p99_ms"),
    ("produce p999 ms", "produce", "p999_ms"),
    ("backlog fill TPS", "backlog", "tps"),
    ("consume TPS zero-copy", "consume_zero_copy", "tps"),
    ("consume TPS copy", "consume_copy", "tps"),
    ("consume MB/s zero-copy", "consume_zero_copy", "mb_per_s"),
    ("consume MB/s copy", "consume_copy", "mb_per_s"),
    ("broker CPU us/msg produce", "produce", "broker_cpu_us_per_msg"),
    ("broker CPU us/msg zero-copy", "consume_zero_copy", "broker_cpu_us_per_msg"),
    ("broker CPU us/msg copy", "consume_copy", "broker_cpu_us_per_msg"),
    ("broker RSS max MiB", None, "rss_max_mib"),
]


def print_table(results: dict[str, dict]) -> None:
    names = list(results)
    header = f"{'workload':28}" + "".join(f"{name:>12}" for name in names)
    if len(names) == 2:
        header += f"{names[0] + '/' + names[1]:>16}"
    print("\n" + header)
    for title, section, key in ROWS:
        values = [(results[n][section][key] if section else results[n][key]) for n in names]
        line = f"{title:28}" + "".join(f"{v:>12}" for v in values)
        if len(values) == 2 and values[1]:
            line += f"{values[0] / values[1]:>16.2f}"
        print(line)
    for name in names:
        copy = results[name]["consume_copy"]["tps"]
        if copy:
            ratio = results[name]["consume_zero_copy"]["tps"] / copy
            print(f"{name}: consume zero-copy/copy = {ratio:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="measured produce time")
    parser.add_argument("--warmup", type=int, default=3, help="produce warm-up seconds")
    parser.add_argument("--threads", type=int, default=64, help="concurrent senders")
    parser.add_argument("--size", type=int, default=1024, help="message body bytes")
    parser.add_argument("--backlog", type=int, default=1_000_000, help="messages to catch up on")
    parser.add_argument("--brokers", default="ours,apache", help="ours, apache or both")
    parser.add_argument("--dir", default=None, help="where the stores go (default: a temp dir)")
    args = parser.parse_args()

    chosen = [TARGETS[name]() for name in args.brokers.split(",")]
    for module in ("client4", "apache"):
        ensure_built(module)
    from rocketmq._core import IMPLEMENTATION

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="cy-e2e-", dir=args.dir) as tmp:
        for target in chosen:
            results[target.name] = bench_target(target, args, Path(tmp))
    print_table(results)
    path = save(
        "e2e",
        {
            "implementation": IMPLEMENTATION,
            "settings": vars(args),
            "results": results,
        },
    )
    print(f"\nwrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
