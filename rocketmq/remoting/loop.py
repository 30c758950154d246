"""Event loop selection: uvloop when installed, unless ROCKETMQ_LOOP=asyncio."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from typing import Any


def loop_name() -> str:
    """ "uvloop" or "asyncio": what ``run`` will use."""
    if os.environ.get("ROCKETMQ_LOOP", "").lower() == "asyncio":
        return "asyncio"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def new_event_loop() -> asyncio.AbstractEventLoop:
    if loop_name() == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def run(main: Coroutine[Any, Any, Any]) -> Any:
    """asyncio.run on the selected loop."""
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(main)
