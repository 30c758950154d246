"""Argument checks shared by the pure store twins (the .pyx modules share them via .pxd)."""

from __future__ import annotations

import operator

_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def _index(value: object, name: str, low: int, high: int) -> int:
    """An integer argument, as Cython's C conversion would accept it."""
    number = operator.index(value)
    if not low <= number <= high:
        raise OverflowError(f"{name} out of range: {number}")
    return number


def _byte_view(obj: object) -> memoryview:
    view = memoryview(obj)
    if view.ndim != 1 or view.format != "B":
        view = view.cast("B")
    return view
