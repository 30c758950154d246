"""Processor registry: request code -> handler.

A handler is ``handler(connection, request) -> response | None``, either a
plain function (run inline on the read path: no task per request) or a
coroutine function (run as a task owned by the connection). ``None`` sends
nothing; oneway requests never get a reply.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from rocketmq._core.remoting import RemotingCommand
    from rocketmq.remoting.connection import RemotingConnection

Handler = Callable[
    ["RemotingConnection", "RemotingCommand"],
    Union["RemotingCommand", Awaitable[Union["RemotingCommand", None]], None],
]


class ProcessorRegistry:
    __slots__ = ("_default", "_table")

    def __init__(self) -> None:
        self._table: dict[int, tuple[Handler, bool]] = {}
        self._default: tuple[Handler, bool] | None = None

    def register(self, code: int, handler: Handler) -> None:
        """Route requests with ``code`` to ``handler`` (replaces an earlier one)."""
        self._table[code] = (handler, inspect.iscoroutinefunction(handler))

    def register_default(self, handler: Handler) -> None:
        """Handler for codes with no processor of their own."""
        self._default = (handler, inspect.iscoroutinefunction(handler))

    def lookup(self, code: int) -> tuple[Handler, bool] | None:
        return self._table.get(code, self._default)

    def codes(self) -> list[int]:
        return sorted(self._table)

    def __contains__(self, code: Any) -> bool:
        return code in self._table
