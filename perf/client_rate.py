"""Our Python client against the official Java client, same broker, same run.

    .venv/bin/python perf/client_rate.py [--seconds 15] [--threads 64] [--size 1024]
                                         [--backlog 300000] [--broker ours|apache]

On one broker (ours by default): produce for ``--seconds`` with ``--threads``
concurrent senders, first with mqbench (our asyncio Producer), then with the
Java BenchProducer (rocketmq-client 4.9.8); then fill a backlog and catch up
on it with our PushConsumer (mqbench consumer) and with the Java push
consumer (BenchConsumer), each in a fresh group. Prints each tool's lines,
then TPS and p99 per client with the Python/Java ratio; JSON under
perf/results/.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from perf.compare import mqbench  # noqa: E402
from perf.e2e import run_tool  # noqa: E402
from perf.runs import save, stop  # noqa: E402
from perf.servers import TARGETS  # noqa: E402
from tests.interop.harness import ensure_built  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--threads", type=int, default=64)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--backlog", type=int, default=300_000)
    parser.add_argument("--broker", default="ours", choices=sorted(TARGETS))
    args = parser.parse_args()
    for module in ("client4", "apache"):
        ensure_built(module)
    threads, size, seconds = str(args.threads), str(args.size), str(args.seconds)
    backlog = str(args.backlog)
    results: dict[str, dict] = {"python": {}, "java": {}}
    with tempfile.TemporaryDirectory(prefix="cy-client-rate-") as tmp:
        server = TARGETS[args.broker]().start(Path(tmp) / "store")
        try:
            results["python"]["produce"] = mqbench(
                "python produce", server, "producer", "-t", "rate_py", "-w", threads,
                "-s", size, "--duration", seconds,
            )  # fmt: skip
            results["java"]["produce"] = run_tool(
                "java produce", server, "client4.BenchProducer", "--namesrv", server.namesrv,
                "--topic", "rate_java", "--threads", threads, "--size", size,
                "--seconds", seconds, "--warmup-seconds", "2",
            )  # fmt: skip
            run_tool(
                "backlog", server, "client4.BenchProducer", "--namesrv", server.namesrv,
                "--topic", "rate_backlog", "--threads", threads, "--size", size,
                "--count", backlog,
            )  # fmt: skip
            results["python"]["consume"] = mqbench(
                "python consume", server, "consumer", "-t", "rate_backlog", "-g", "rate_py",
                "--fromFirst", "--expect", backlog, "-w", "64", "--duration", "600",
            )  # fmt: skip
            results["java"]["consume"] = run_tool(
                "java consume", server, "client4.BenchConsumer", "--namesrv", server.namesrv,
                "--topic", "rate_backlog", "--group", "rate_java", "--expect", backlog,
            )  # fmt: skip
        finally:
            stop(server.proc)
    python, java = results["python"], results["java"]
    rows = [
        ("produce TPS", python["produce"]["tps"], java["produce"]["tps"]),
        ("produce p99 ms", python["produce"]["p99_ms"], java["produce"]["p99_ms"]),
        ("catch-up consume msgs/s", python["consume"]["tps"], java["consume"]["tps"]),
    ]
    print(f"\n{'workload':26}{'python':>12}{'java':>12}{'python/java':>14}")
    for title, ours, theirs in rows:
        ratio = ours / theirs if theirs else float("nan")
        print(f"{title:26}{ours:>12.1f}{theirs:>12.1f}{ratio:>14.2f}")
    path = save("client_rate", {"settings": vars(args), "results": results})
    print(f"\nwrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
