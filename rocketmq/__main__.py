"""``python -m rocketmq <command>``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from rocketmq import standalone
from rocketmq._core import IMPLEMENTATION
from rocketmq.remoting.loop import loop_name, run

logger = logging.getLogger("rocketmq")


async def _serve_echo(host: str, port: int) -> None:
    from rocketmq._testbase.echo import EchoProcessors
    from rocketmq.remoting import RemotingServer, ServerConfig

    server = RemotingServer(ServerConfig(listen_host=host, listen_port=port))
    EchoProcessors().install(server)
    await server.start()
    logger.info(
        "The echo server[%s:%d] boot success. core=%s loop=%s",
        host,
        server.port,
        IMPLEMENTATION,
        loop_name(),
    )
    print(f"READY {server.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rocketmq")
    commands = parser.add_subparsers(dest="command", required=True)
    echo = commands.add_parser(
        "echo-server", help="serve the remoting test contract (codes 9001-9003)"
    )
    echo.add_argument("--host", default="127.0.0.1")
    echo.add_argument("--port", type=int, default=10911)
    standalone.add_arguments(
        commands.add_parser(
            "standalone", help="a NameServer and a broker in one process (the quick start)"
        )
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s - %(message)s",
        stream=sys.stderr,
    )
    try:
        if args.command == "echo-server":
            run(_serve_echo(args.host, args.port))
        else:
            run(standalone.serve(args))
    except (OSError, ValueError) as exc:
        logger.error("start failed: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
