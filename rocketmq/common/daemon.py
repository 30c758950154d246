"""Running servers as daemons: start in order, stop in reverse on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from typing import Protocol

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Controller(Protocol):
    boot_message: str

    async def start(self) -> None: ...

    async def shutdown(self) -> None: ...


async def serve_until_signalled(*controllers: Controller, logger: logging.Logger) -> None:
    """Start ``controllers`` in order, print their boot lines, then wait for a signal.

    On SIGTERM/SIGINT, or when a start fails, the started ones shut down in
    reverse order (a failed start's exception propagates afterwards).
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in _STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    started: list[Controller] = []
    try:
        for controller in controllers:
            await controller.start()
            started.append(controller)
        for controller in started:
            print(controller.boot_message, flush=True)
        await stop.wait()
        logger.info("shutdown hook was invoked")
    finally:
        begin = time.monotonic()
        for controller in reversed(started):
            await controller.shutdown()
        if started:
            elapsed_ms = (time.monotonic() - begin) * 1000
            logger.info("shutdown hook over, consuming total time(ms): %d", elapsed_ms)
        for sig in _STOP_SIGNALS:
            loop.remove_signal_handler(sig)
