"""What the codec benchmarks share: loading each twin and the cython/pure rate table."""

from __future__ import annotations

import importlib

import rocketmq._core as core

TWINS = ("pure", "cython")
PACKAGES = {"pure": "rocketmq._core._pure", "cython": "rocketmq._core"}


def load(twin: str, name: str):
    """Module ``name`` of ``twin``, whatever ROCKETMQ_PUREPYTHON selected."""
    missing = object()
    chosen = getattr(core, name, missing)  # importing the extension rebinds the switch's name
    try:
        return importlib.import_module(f"{PACKAGES[twin]}.{name}")
    finally:
        if chosen is missing:
            vars(core).pop(name, None)
        else:
            setattr(core, name, chosen)


class RateTable:
    """Rates per (workload, twin), printed as a table with the cython/pure ratio."""

    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.rates: dict[tuple[str, str], float] = {}

    def record(self, benchmark, workload: str, twin: str, items_per_call: int) -> None:
        rate = items_per_call / benchmark.stats.stats.mean
        benchmark.extra_info[self.unit.replace(" ", "_")] = rate
        self.rates[(workload, twin)] = rate

    def print(self, request) -> None:
        plugins = request.config.pluginmanager
        reporter = plugins.getplugin("terminalreporter")
        capture = plugins.getplugin("capturemanager")
        if reporter is None or capture is None or not self.rates:
            return
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            reporter.write_line(f"{self.unit:<40}{'pure':>14}{'cython':>14}{'ratio':>9}")
            for workload in dict.fromkeys(name for name, _ in self.rates):
                pure = self.rates.get((workload, "pure"))
                fast = self.rates.get((workload, "cython"))
                ratio = f"{fast / pure:8.1f}x" if pure and fast else "      n/a"
                reporter.write_line(f"{workload:<40}{pure or 0:>14,.0f}{fast or 0:>14,.0f}{ratio}")
