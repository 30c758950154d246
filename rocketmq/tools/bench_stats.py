"""Interval and run statistics for mqbench: TPS, average/max RT, percentiles.

Latencies are kept per interval, at most ``SAMPLES_MAX`` of them (a uniform
reservoir sample beyond that), and merged for the run's percentiles.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

SAMPLES_MAX = 200_000  # latencies kept per interval


def percentile(sorted_ms: list[float], quantile: float) -> float:
    if not sorted_ms:
        return 0.0
    index = min(len(sorted_ms) - 1, max(0, math.ceil(quantile * len(sorted_ms)) - 1))
    return sorted_ms[index]


@dataclass
class Window:
    """Counts of one interval."""

    ok: int = 0
    failed: int = 0
    rt_total_ms: float = 0.0
    rt_max_ms: float = 0.0
    samples: list[float] = field(default_factory=list)
    _seen: int = 0

    def record(self, rt_ms: float) -> None:
        self.ok += 1
        self.rt_total_ms += rt_ms
        self.rt_max_ms = max(self.rt_max_ms, rt_ms)
        self._seen += 1
        if len(self.samples) < SAMPLES_MAX:
            self.samples.append(rt_ms)
        else:
            slot = random.randrange(self._seen)
            if slot < SAMPLES_MAX:
                self.samples[slot] = rt_ms


@dataclass
class Summary:
    ok: int
    failed: int
    seconds: float
    tps: float
    avg_rt_ms: float
    max_rt_ms: float
    p50_ms: float
    p99_ms: float
    p999_ms: float

    def as_json(self) -> dict:
        return {
            "ok": self.ok,
            "failed": self.failed,
            "seconds": round(self.seconds, 3),
            "tps": round(self.tps, 1),
            "avg_rt_ms": round(self.avg_rt_ms, 3),
            "max_rt_ms": round(self.max_rt_ms, 3),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "p999_ms": round(self.p999_ms, 3),
        }


def summarize(windows: list[Window], seconds: float) -> Summary:
    ok = sum(w.ok for w in windows)
    samples = sorted(s for w in windows for s in w.samples)
    return Summary(
        ok=ok,
        failed=sum(w.failed for w in windows),
        seconds=seconds,
        tps=ok / seconds if seconds > 0 else 0.0,
        avg_rt_ms=sum(w.rt_total_ms for w in windows) / ok if ok else 0.0,
        max_rt_ms=max((w.rt_max_ms for w in windows), default=0.0),
        p50_ms=percentile(samples, 0.50),
        p99_ms=percentile(samples, 0.99),
        p999_ms=percentile(samples, 0.999),
    )
