"""mqadmin: RocketMQ's admin command line (upstream MQAdminStartup), everyday subset.

    mqadmin [-n host:port[;host:port]] <command> [flags]
    mqadmin <command> --help

``-n`` (or NAMESRV_ADDR) names the NameServers. Exit codes: 0 success, 1 the
command failed (the reason is on stderr), 2 bad usage (argparse).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from rocketmq.tools import commands_broker, commands_group, commands_message, commands_topic
from rocketmq.tools.registry import Command, Output
from rocketmq.tools.rpc import TIMEOUT_MS, AdminClient, CommandError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

COMMANDS: list[Command] = [
    *commands_topic.COMMANDS,
    *commands_broker.COMMANDS,
    *commands_group.COMMANDS,
    *commands_message.COMMANDS,
]


def _namesrv_options(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "-n", "--namesrvAddr", default=default,
        help="Name server address list, eg: 192.168.0.1:9876;192.168.0.2:9876 "
        "(default: $NAMESRV_ADDR)",
    )  # fmt: skip
    parser.add_argument(
        "--timeout-ms", type=int, default=TIMEOUT_MS if default is None else default,
        help="per-request timeout in milliseconds",
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mqadmin",
        description="RocketMQ admin commands (upstream mqadmin names and flags).",
    )
    _namesrv_options(parser, None)
    commands = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    for command in COMMANDS:
        sub = commands.add_parser(command.name, help=command.help, description=command.help)
        # Also accepted after the command name, as upstream does; SUPPRESS keeps the
        # value given before the command when it is not repeated.
        _namesrv_options(sub, argparse.SUPPRESS)
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


async def _run(args: argparse.Namespace, out: Output) -> None:
    addrs = [a.strip() for a in (args.namesrvAddr or "").split(";") if a.strip()]
    async with AdminClient(addrs, args.timeout_ms) as admin:
        await args.run(admin, args, out)


def main(
    argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    stderr = stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2)
        return int(exc.code or 0)
    if args.namesrvAddr is None:
        args.namesrvAddr = os.environ.get("NAMESRV_ADDR")
    try:
        asyncio.run(_run(args, Output(stdout)))
    except CommandError as exc:
        stderr.write(f"mqadmin {args.command}: {exc}\n")
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_FAILED
    except Exception as exc:  # a bug or an unreadable reply: still a clean failure
        stderr.write(f"mqadmin {args.command}: {type(exc).__name__}: {exc}\n")
        return EXIT_FAILED
    return EXIT_OK


def entry_point() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
