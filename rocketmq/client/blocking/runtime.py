"""One event loop in a daemon thread that runs every blocking client's asyncio core.

Blocking calls submit a coroutine and wait for its result; user callbacks
(message listeners, transaction callbacks) run in a thread pool, never on
the loop, so a slow callback cannot stall pulls and heartbeats.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from rocketmq.remoting.loop import new_event_loop

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def loop() -> asyncio.AbstractEventLoop:
    """The shared loop, started on first use."""
    global _loop
    with _lock:
        if _loop is None:
            created = new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(created)
                created.call_soon(ready.set)
                created.run_forever()

            threading.Thread(target=run, name="rocketmq-client-loop", daemon=True).start()
            ready.wait()
            _loop = created
        return _loop


def call(coro: Coroutine[Any, Any, T], timeout_s: float | None = None) -> T:
    """Run ``coro`` on the shared loop and wait for its result (or exception)."""
    future = asyncio.run_coroutine_threadsafe(coro, loop())
    try:
        return future.result(timeout_s)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise
