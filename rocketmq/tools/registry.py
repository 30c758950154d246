"""What a mqadmin subcommand is: a name, its flags, and a coroutine that prints."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TextIO

from rocketmq.tools.rpc import AdminClient


class Output:
    """Where a command prints (stdout, or a buffer in tests); flushed per write."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[AdminClient, argparse.Namespace, Output], Awaitable[None]]


def java_bool(text: str) -> bool:
    """Boolean.parseBoolean, but a typo is a usage error rather than false."""
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise argparse.ArgumentTypeError(f"expected true or false, not {text!r}")
    return lowered == "true"
