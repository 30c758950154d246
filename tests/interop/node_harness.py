"""Install and run the Node.js interop driver (tests/interop/node, the ``ali-ons`` client).

``ali-ons`` is the RocketMQ client Node.js users run (Aliyun's ONS SDK, which
speaks the open-source remoting protocol when given ``nameSrv``). The driver,
``ons_driver.js``, has two modes, documented in its header: ``produce`` and
``consume``; both print JSON lines and end with ``OK <mode>`` or ``FAIL``.

``npm ci`` installs the locked dependencies into tests/interop/node/node_modules
on first use (again when package-lock.json is newer). Interop tests fail
loudly, never skip: a missing ``node``/``npm`` or a failed install raises
``RuntimeError``.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from pathlib import Path

from tests.interop.harness import run_command, tail

NODE_DIR = Path(__file__).parent / "node"
DRIVER = NODE_DIR / "ons_driver.js"
INSTALL_TIMEOUT = 600.0

_installed = False


def _is_up_to_date() -> bool:
    # npm writes node_modules/.package-lock.json at the end of a successful install.
    stamp = NODE_DIR / "node_modules" / ".package-lock.json"
    lock = NODE_DIR / "package-lock.json"
    return stamp.is_file() and stamp.stat().st_mtime >= lock.stat().st_mtime


def ensure_installed() -> None:
    """``npm ci`` once (a file lock serialises pytest processes). Raises RuntimeError."""
    global _installed
    if _installed:
        return
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise RuntimeError("interop: 'node' and 'npm' are required for the ali-ons tests")
    with (NODE_DIR / ".install.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not _is_up_to_date():
                cmd = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
                try:
                    proc = subprocess.run(
                        cmd, cwd=NODE_DIR, capture_output=True, text=True,
                        timeout=INSTALL_TIMEOUT, check=False,
                    )  # fmt: skip
                except subprocess.TimeoutExpired as exc:
                    raise RuntimeError(f"interop: {' '.join(cmd)} timed out") from exc
                if proc.returncode != 0:
                    raise RuntimeError(
                        f"interop: {' '.join(cmd)} failed (exit {proc.returncode}) in {NODE_DIR}\n"
                        f"{tail(proc.stdout + proc.stderr)}"
                    )
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    _installed = True


async def run_ons(mode: str, *args: str, timeout: float = 120) -> list[dict]:
    """Run ``ons_driver.js <mode> <args>`` to completion; its JSON lines, once it said OK.

    Raises AssertionError with the output when the driver failed.
    """
    ensure_installed()
    node = shutil.which("node")
    assert node is not None
    rc, out, err = await run_command([node, str(DRIVER), mode, *args], f"ali-ons {mode}", timeout)
    lines = out.splitlines()
    assert rc == 0 and f"OK {mode}" in lines, f"ali-ons {mode} (exit {rc}):\n{tail(out + err)}"
    return [json.loads(line) for line in lines if line.startswith("{")]
