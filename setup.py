"""Build the Cython extensions of rocketmq._core.

ROCKETMQ_DEBUG=1 builds with assertions, line tracing and annotate output.
ROCKETMQ_PUREPYTHON=1 skips the extensions (the pure-Python twin is used).
"""

import os

from setuptools import Extension, setup

DEBUG = os.environ.get("ROCKETMQ_DEBUG") == "1"
PURE = os.environ.get("ROCKETMQ_PUREPYTHON") == "1"

CORE_MODULES = ["remoting", "headers", "message", "storefmt"]


def extensions() -> list:
    if PURE:
        return []
    from Cython.Build import cythonize

    macros = [("RMQ_DEBUG", "1" if DEBUG else "0")]
    if DEBUG:
        macros.append(("CYTHON_TRACE_NOGIL", "1"))
    exts = [
        Extension(
            f"rocketmq._core.{name}",
            [f"rocketmq/_core/{name}.pyx"],
            define_macros=macros,
            extra_compile_args=["-O0", "-g"] if DEBUG else ["-O2"],
        )
        for name in CORE_MODULES
    ]
    directives = {
        "language_level": 3,
        "boundscheck": DEBUG,
        "wraparound": False,
        "cdivision": True,
        "linetrace": DEBUG,
        "embedsignature": True,
    }
    return cythonize(exts, compiler_directives=directives, annotate=DEBUG, force=DEBUG)


setup(ext_modules=extensions())
