"""The C-or-pure switch for the sans-IO core.

ROCKETMQ_PUREPYTHON=1 selects the pure-Python twin in ``_pure``. Otherwise the
Cython extensions must import: a missing build is an error with a hint, not a
silent fallback, so a slow broker never passes for a fast one.
"""

import os

if os.environ.get("ROCKETMQ_PUREPYTHON") == "1":
    from rocketmq._core._pure import remoting

    IMPLEMENTATION = "python"
else:
    try:
        from rocketmq._core import remoting
    except ImportError as exc:  # pragma: no cover - depends on the build
        raise ImportError(
            "rocketmq._core extensions are not built: run `make compile` "
            "(or `pip install .`), or set ROCKETMQ_PUREPYTHON=1 for the pure-Python core"
        ) from exc

    IMPLEMENTATION = "cython"

__all__ = ["IMPLEMENTATION", "remoting"]
