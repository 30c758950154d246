"""``python -m rocketmq standalone``: a NameServer and a broker in one process.

The quick start on the embedded default: NameServer on 127.0.0.1:9876,
broker on 127.0.0.1:10911 (fast port 10909), data under ./store, the broker
registered with the in-process NameServer. ``-c broker.conf`` applies
upstream broker keys on top; the NameServer address is always the local one.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path

from rocketmq._core import IMPLEMENTATION
from rocketmq.broker.config import BrokerConfig, load_broker_config
from rocketmq.broker.controller import BrokerController
from rocketmq.common.daemon import serve_until_signalled
from rocketmq.namesrv.config import NamesrvConfig
from rocketmq.namesrv.controller import NamesrvController
from rocketmq.remoting.loop import loop_name

logger = logging.getLogger("rocketmq")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on and announce")
    parser.add_argument("--namesrv-port", type=int, default=9876)
    parser.add_argument("--broker-port", type=int, default=10911)
    parser.add_argument("--store", default="store", help="storePathRootDir (default ./store)")
    parser.add_argument("-c", "--configFile", help="broker.conf with upstream keys")


def build_configs(args: argparse.Namespace) -> tuple[NamesrvConfig, BrokerConfig]:
    """Raises OSError or ValueError for an unreadable or invalid broker.conf."""
    store_root = Path(args.store).resolve()
    namesrv = NamesrvConfig(
        listen_host=args.host,
        listen_port=args.namesrv_port,
        kv_config_path=store_root / "namesrv" / "kvConfig.json",
    )
    if args.configFile:
        broker = load_broker_config(args.configFile)
    else:
        broker = BrokerConfig(broker_name="broker-a")
    broker = dataclasses.replace(
        broker,
        listen_host=args.host,
        listen_port=args.broker_port,
        broker_ip1=args.host,
        store=dataclasses.replace(broker.store, store_path_root_dir=store_root),
    )
    return namesrv, broker


async def serve(args: argparse.Namespace) -> None:
    """Run both until SIGTERM/SIGINT; the broker registers with the local NameServer."""
    namesrv_config, broker_config = build_configs(args)
    broker_config = dataclasses.replace(
        broker_config, namesrv_addrs=(f"{args.host}:{namesrv_config.listen_port}",)
    )
    logger.info("standalone: core=%s loop=%s", IMPLEMENTATION, loop_name())
    await serve_until_signalled(
        NamesrvController(namesrv_config), BrokerController(broker_config), logger=logger
    )
