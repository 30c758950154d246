"""Side by side: our broker and Apache RocketMQ 4.9.7's, driven by the same mqbench runs.

    .venv/bin/python perf/compare.py [--seconds 20] [--backlog 200000] [--brokers ours,apache]
                                     [--workloads produce,batch,catch_up,sync_flush]

For each broker in turn (a NameServer and a broker from this checkout, or
from Maven Central jars; same store settings, loopback, fresh store):

1. produce: ``mqbench producer`` with 64 senders of 1 KiB messages;
2. batch produce: ``mqbench batchproducer``, 16 senders of 16 x 1 KiB;
3. catch-up consume: ``--backlog`` messages sent first, then ``mqbench
   consumer --fromFirst`` times reading them all;
4. sync-flush produce: the broker restarted with flushDiskType=SYNC_FLUSH,
   then (1) again.

mqbench prints a line per second of each run. At the end: a table of
throughput, p99 and the broker's peak RSS with our/Apache ratios, and the
figures as JSON under perf/results/.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from perf.runs import save, stop  # noqa: E402
from perf.servers import TARGETS, Server, Target  # noqa: E402
from tests.interop.harness import ensure_built  # noqa: E402


def mqbench(label: str, server: Server, *args: str) -> dict:
    """Run mqbench, echoing its lines; return its summary."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "rocketmq.tools.bench", *args, "-n", server.namesrv],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    summary = None
    for line in proc.stdout:
        server.sample()
        line = line.rstrip("\n")
        print(f"[{label}] {line}", flush=True)
        if line.startswith("{"):
            summary = json.loads(line)
    rc = proc.wait()
    if rc != 0 or summary is None:
        errors = proc.stderr.read() if proc.stderr else ""
        raise RuntimeError(f"{label}: mqbench failed (exit {rc}): {errors[-3000:]}")
    return summary


WORKLOADS = ("produce", "batch", "catch_up", "sync_flush")


def bench_target(target: Target, args: argparse.Namespace, root: Path) -> dict:
    seconds = str(args.seconds)
    chosen = args.workloads
    results: dict = {}
    name = target.name
    rss = 0.0
    if set(chosen) - {"sync_flush"}:
        server = target.start(root / name)
        try:
            if "produce" in chosen:
                results["produce"] = mqbench(f"{name} produce", server, "producer",
                                             "-t", "cmp_tps", "-w", "64", "-s", "1024",
                                             "--duration", seconds)  # fmt: skip
            if "batch" in chosen:
                results["batch"] = mqbench(f"{name} batch", server, "batchproducer",
                                           "-t", "cmp_batch", "-w", "16", "-b", "16",
                                           "-s", "1024", "--duration", seconds)  # fmt: skip
            if "catch_up" in chosen:
                mqbench(f"{name} backlog", server, "producer", "-t", "cmp_backlog", "-w", "64",
                        "-s", "1024", "--count", str(args.backlog))  # fmt: skip
                results["catch_up"] = mqbench(f"{name} consume", server, "consumer",
                                              "-t", "cmp_backlog", "-g", "cmp_catch_up",
                                              "--fromFirst", "--expect", str(args.backlog),
                                              "-w", "64", "--duration", "600")  # fmt: skip
        finally:
            stop(server.proc)
        rss = server.rss_max_mib
    if "sync_flush" in chosen:
        server = target.start(root / f"{name}-sync", {"flushDiskType": "SYNC_FLUSH"})
        try:
            results["sync_flush"] = mqbench(f"{name} sync", server, "producer",
                                            "-t", "cmp_sync", "-w", "64", "-s", "1024",
                                            "--duration", seconds)  # fmt: skip
        finally:
            stop(server.proc)
        rss = max(rss, server.rss_max_mib)
    results["rss_max_mib"] = round(rss, 1)
    return results


ROWS = [
    ("produce TPS (64 x 1 KiB)", "produce", "tps"),
    ("produce p99 ms", "produce", "p99_ms"),
    ("batch produce msgs/s", "batch", "tps"),
    ("batch produce p99 ms", "batch", "p99_ms"),
    ("catch-up consume msgs/s", "catch_up", "tps"),
    ("sync-flush produce TPS", "sync_flush", "tps"),
    ("sync-flush produce p99 ms", "sync_flush", "p99_ms"),
    ("broker RSS max MiB", None, "rss_max_mib"),
]


def table(results: dict[str, dict]) -> str:
    names = list(results)
    header = f"| {'workload':27} |" + "".join(f" {n:>10} |" for n in names)
    rule = "|" + "-" * 29 + "|" + "".join("-" * 12 + "|" for _ in names)
    if len(names) == 2:
        header += f" {names[0]}/{names[1]:>6} |"
        rule += "-" * 14 + "|"
    lines = [header, rule]
    for title, section, key in ROWS:
        if section and any(section not in results[n] for n in names):
            continue
        values = [results[n][section][key] if section else results[n][key] for n in names]
        line = f"| {title:27} |" + "".join(f" {v:>10} |" for v in values)
        if len(values) == 2:
            ratio = values[0] / values[1] if values[1] else float("nan")
            line += f" {ratio:>12.2f} |"
        lines.append(line)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="each timed produce run")
    parser.add_argument("--backlog", type=int, default=200_000, help="messages to catch up on")
    parser.add_argument("--brokers", default="ours,apache")
    parser.add_argument(
        "--workloads",
        type=lambda text: text.split(","),
        default=list(WORKLOADS),
        help=f"a comma-separated subset of {','.join(WORKLOADS)}",
    )
    parser.add_argument("--dir", default=None, help="where the stores go (default: a temp dir)")
    args = parser.parse_args()
    unknown = sorted(set(args.workloads) - set(WORKLOADS))
    if unknown:
        parser.error(f"unknown workloads: {', '.join(unknown)}")
    ensure_built("apache")
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="cy-compare-", dir=args.dir) as tmp:
        for name in args.brokers.split(","):
            results[name] = bench_target(TARGETS[name](), args, Path(tmp))
    print()
    print(table(results))
    path = save("compare", {"settings": vars(args), "results": results})
    print(f"\nwrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
