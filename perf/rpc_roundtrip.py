"""Loopback round trip: our RemotingServer against Java's NettyRemotingServer.

One load generator for both: the Java LoadGen of tests/interop/java/remoting
(official NettyRemotingClient, invokeAsync with N requests in flight). Each
server runs in its own process and answers the ECHO code of the test contract.
Prints requests/s and p50/p99 per concurrency and our/Java ratios, and writes
the figures as JSON under perf/results/.

    .venv/bin/python perf/rpc_roundtrip.py [--seconds 10] [--inflight 1,16,256]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from perf.runs import save, stop  # noqa: E402
from tests.interop.harness import ensure_built, java_command  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{what} exited before it was ready (rc={proc.poll()})")
        if line.startswith("READY"):
            return
    raise RuntimeError(f"{what} not ready within 60 s")


def start_ours(port: int, loop: str) -> subprocess.Popen:
    env = dict(os.environ, ROCKETMQ_LOOP=loop)
    proc = subprocess.Popen(
        [sys.executable, "-m", "rocketmq", "echo-server", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    wait_ready(proc, "our echo server")
    return proc


def start_java(port: int, serialize: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        java_command("EchoServer", "--port", str(port), "--serialize", serialize),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    wait_ready(proc, "Java EchoServer")
    return proc


def load(port: int, serialize: str, inflight: int, seconds: int, warmup: int, body: int) -> dict:
    load_args = [
        "--addr", f"127.0.0.1:{port}",
        "--serialize", serialize,
        "--inflight", str(inflight),
        "--seconds", str(seconds),
        "--warmup", str(warmup),
        "--body-size", str(body),
    ]  # fmt: skip
    out = subprocess.run(
        java_command("LoadGen", *load_args),
        capture_output=True,
        text=True,
        timeout=seconds + warmup + 120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--inflight", default="1,16,256")
    parser.add_argument("--serialize", default="JSON,ROCKETMQ")
    parser.add_argument("--body-size", type=int, default=0)
    parser.add_argument("--loop", default="uvloop", choices=["uvloop", "asyncio"])
    args = parser.parse_args()

    ensure_built()
    from rocketmq._core import IMPLEMENTATION

    rows = []
    for serialize in args.serialize.split(","):
        ours_port, java_port = free_port(), free_port()
        ours = start_ours(ours_port, args.loop)
        java = start_java(java_port, serialize)
        try:
            for index, inflight in enumerate(int(n) for n in args.inflight.split(",")):
                # Alternate who goes first per row, so drift hurts neither side alone.
                sides = [("ours", ours_port), ("java", java_port)]
                pair = {}
                for side, port in sides if index % 2 == 0 else sides[::-1]:
                    pair[side] = load(
                        port, serialize, inflight, args.seconds, args.warmup, args.body_size
                    )
                    print(
                        f"{serialize:8} inflight={inflight:<4} {side:5} "
                        f"{pair[side]['rps']:>10.0f} req/s  p50 {pair[side]['p50_us']:>7} us  "
                        f"p99 {pair[side]['p99_us']:>7} us  errors {pair[side]['errors']}",
                        flush=True,
                    )
                rows.append({"serialize": serialize, "inflight": inflight, **pair})
        finally:
            stop(ours, timeout_s=5)
            stop(java, timeout_s=5)

    print()
    print(f"{'serialize':9} {'inflight':>8} {'ours req/s':>11} {'java req/s':>11} {'ratio':>6} "
          f"{'ours p99us':>10} {'java p99us':>10}")  # fmt: skip
    for row in rows:
        ours, java = row["ours"], row["java"]
        print(
            f"{row['serialize']:9} {row['inflight']:>8} {ours['rps']:>11.0f} {java['rps']:>11.0f} "
            f"{ours['rps'] / java['rps']:>6.2f} {ours['p99_us']:>10} {java['p99_us']:>10}"
        )
    path = save(
        "rpc_roundtrip",
        {
            "implementation": IMPLEMENTATION,
            "loop": args.loop,
            "seconds": args.seconds,
            "body_size": args.body_size,
            "rows": rows,
        },
    )
    print(f"\nwrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
