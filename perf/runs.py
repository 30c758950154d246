"""What the process-level benchmarks share: stopping servers and saving results."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "perf" / "results"


def stop(proc: subprocess.Popen, timeout_s: float = 30.0) -> None:
    """Close stdin (the Java servers' stop signal), SIGTERM, then SIGKILL after ``timeout_s``."""
    if proc.stdin:
        proc.stdin.close()
    proc.terminate()
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def rss_mib(pid: int) -> float:
    """Resident set size of ``pid`` in MiB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def save(name: str, result: dict) -> Path:
    """Write ``result`` with the commit and machine under perf/results/; return the path."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    stamped = {
        "benchmark": name,
        "commit": commit,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        **result,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(stamped, indent=2))
    return path
