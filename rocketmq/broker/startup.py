"""``mqbroker [-n namesrvAddr] [-c broker.conf]``: run a broker until SIGTERM/SIGINT.

Like upstream BrokerStartup: ``-c`` reads a .properties conf file (upstream
keys, see rocketmq.broker.config), ``-n`` overrides ``namesrvAddr``, and the
boot line "The broker[...] boot success. ..." goes to stdout. Logs go to
stderr. Exit status 0 after a graceful shutdown, 1 on a bad config or a
failed start.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys

from rocketmq.broker.config import BrokerConfig, load_broker_config, parse_properties
from rocketmq.broker.controller import BrokerController
from rocketmq.common.daemon import serve_until_signalled
from rocketmq.remoting.loop import run

logger = logging.getLogger("rocketmq.broker")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s - %(message)s"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mqbroker", description="RocketMQ broker")
    parser.add_argument("-c", "--configFile", help="Broker config properties file")
    parser.add_argument(
        "-n", "--namesrvAddr", help="Name server address list, eg: '192.168.0.1:9876;...'"
    )
    return parser


def resolve_config(args: argparse.Namespace) -> BrokerConfig:
    """File first, then the command line. Raises OSError or ValueError."""
    config = BrokerConfig()
    if args.configFile:
        config = load_broker_config(args.configFile)
    if args.namesrvAddr is not None:
        addrs = parse_properties(f"namesrvAddr={args.namesrvAddr}")["namesrvAddr"]
        config = dataclasses.replace(
            config, namesrv_addrs=tuple(a.strip() for a in addrs.split(";") if a.strip())
        )
    return config


async def serve(config: BrokerConfig) -> None:
    """Start a broker, print the boot line, stop on SIGTERM or SIGINT."""
    await serve_until_signalled(BrokerController(config), logger=logger)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr)
    try:
        config = resolve_config(args)
    except (OSError, ValueError) as exc:
        print(f"load config properties file failed, {args.configFile}: {exc}", file=sys.stderr)
        return 1
    if args.configFile:
        print(f"load config properties file OK, {args.configFile}", flush=True)
    try:
        run(serve(config))
    except (OSError, ValueError) as exc:
        logger.error("The broker failed to start: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
