"""The C-or-pure switch for the sans-IO core.

ROCKETMQ_PUREPYTHON=1 selects the pure-Python twins in ``_pure``. Otherwise
the Cython extensions must import: a missing build is an error with a hint,
not a silent fallback, so a slow broker never passes for a fast one.
Callers import the modules from here: ``from rocketmq._core import message``.
"""

import importlib
import os

MODULES = ("remoting", "headers", "message", "storefmt")

if os.environ.get("ROCKETMQ_PUREPYTHON") == "1":
    _PACKAGE = "rocketmq._core._pure"
    IMPLEMENTATION = "python"
else:
    _PACKAGE = "rocketmq._core"
    IMPLEMENTATION = "cython"

for _name in MODULES:
    try:
        globals()[_name] = importlib.import_module(f"{_PACKAGE}.{_name}")
    except ImportError as exc:  # pragma: no cover - depends on the build
        if IMPLEMENTATION == "python":
            raise
        raise ImportError(
            f"rocketmq._core.{_name} is not built: run `make compile` (or `pip install .`),"
            " or set ROCKETMQ_PUREPYTHON=1 for the pure-Python core"
        ) from exc

__all__ = ["IMPLEMENTATION", "MODULES", *MODULES]
