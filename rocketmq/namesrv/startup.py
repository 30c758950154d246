"""``mqnamesrv [-c namesrv.conf] [-p]``: run a NameServer until SIGTERM/SIGINT.

Like upstream NamesrvStartup: ``-c`` reads a .properties conf file (upstream
keys, see rocketmq.namesrv.config), ``-p`` prints the effective config items and
exits, and the boot line "The Name Server boot success. ..." goes to stdout.
Logs go to stderr. Exit status 0 after a graceful shutdown, 1 on a bad config
or a failed start.
"""

from __future__ import annotations

import argparse
import logging
import sys

from rocketmq.common.daemon import serve_until_signalled
from rocketmq.namesrv.config import (
    NamesrvConfig,
    load_namesrv_config,
    namesrv_config_to_properties,
)
from rocketmq.namesrv.controller import NamesrvController
from rocketmq.remoting.loop import run

logger = logging.getLogger("rocketmq.namesrv")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s - %(message)s"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mqnamesrv", description="RocketMQ NameServer")
    parser.add_argument("-c", "--configFile", help="Name server config properties file")
    parser.add_argument(
        "-p", "--printConfigItem", action="store_true", help="Print all config items"
    )
    return parser


async def serve(config: NamesrvConfig) -> None:
    """Start a NameServer, print the boot line, stop on SIGTERM or SIGINT."""
    await serve_until_signalled(NamesrvController(config), logger=logger)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr)
    config = NamesrvConfig()
    if args.configFile:
        try:
            config = load_namesrv_config(args.configFile)
        except (OSError, ValueError) as exc:
            print(f"load config properties file failed, {args.configFile}: {exc}", file=sys.stderr)
            return 1
        print(f"load config properties file OK, {args.configFile}", flush=True)
    if args.printConfigItem:
        for key, value in namesrv_config_to_properties(config).items():
            print(f"{key}={value}")
        return 0
    try:
        run(serve(config))
    except (OSError, ValueError) as exc:
        logger.error("The Name Server failed to start: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
