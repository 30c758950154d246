"""Runs ``async def`` tests on the project's event loop.

Each coroutine test gets a fresh loop (uvloop unless ROCKETMQ_LOOP=asyncio),
a timeout (``@pytest.mark.timeout_s(N)``, default 60 s), and fails if any
exception reached the loop's exception handler (a callback or task that died
unobserved) or if a task it started is still pending at the end.
"""

from __future__ import annotations

import asyncio
import inspect

import pytest

from rocketmq.remoting.loop import new_event_loop

DEFAULT_TIMEOUT_S = 60.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "timeout_s(seconds): time limit of an async test")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    marker = pyfuncitem.get_closest_marker("timeout_s")
    timeout = marker.args[0] if marker else DEFAULT_TIMEOUT_S
    kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    unhandled: list[dict] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, context: unhandled.append(context))
        async with asyncio.timeout(timeout):
            await pyfuncitem.obj(**kwargs)
        current = asyncio.current_task()
        leftovers = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        for task in leftovers:
            task.cancel()
        if leftovers:
            await asyncio.gather(*leftovers, return_exceptions=True)
            pytest.fail(f"tasks still pending after the test: {leftovers}")

    loop = new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    if unhandled:
        messages = "; ".join(f"{c.get('message')}: {c.get('exception')!r}" for c in unhandled)
        pytest.fail(f"exceptions reached the event loop's handler: {messages}")
    return True


@pytest.fixture(scope="module")
def apache_built() -> None:
    """Apache RocketMQ's NameServer and broker (tests/interop/java/apache), built once."""
    from tests.interop import harness

    harness.ensure_built("apache")
