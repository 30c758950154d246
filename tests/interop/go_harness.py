"""Build and run the Go interop programs (tests/interop/go, module github.com/cyrocketmq/interop).

The programs use the official ``github.com/apache/rocketmq-client-go/v2``
client, so interop tests exercise our NameServer and broker with the Go
reference implementation. Interop tests must fail loudly, never skip: every
problem with the toolchain or the build raises ``RuntimeError``.

Programs (binaries in tests/interop/go/bin/):

* ``producer -namesrv ADDR -topic T -count N -tags TagA,TagB -run ID [-group G]``:
  synchronous sends; one ``{"event":"sent",...}`` JSON line per message, then
  ``OK producer`` or ``FAIL producer: <reason>``.
* ``pushconsumer -namesrv ADDR -topic T -group G [-subscribe EXPR] [-expect N]
  [-timeout 60s]``: a clustering push consumer from the first offset; prints
  ``{"event":"started"}``, one ``{"event":"recv",...}`` line per delivery, a
  ``{"event":"summary",...}`` line and ``OK pushconsumer`` / ``FAIL ...``. It
  stops at N distinct messages, at the timeout, or on SIGTERM.

``run_go`` runs a program to completion; ``start_go`` starts one in the
background (a ``GoProcess``, the Go twin of ``harness.DriverProcess``).
Both programs keep stdout to these lines; the Go client's own log goes to
stderr at level ``error`` (``-loglevel`` changes it).

Go client notes (v2.1.2). ``InvokeOneWay`` never sets the RPC_ONEWAY flag, so
"oneway" requests such as UPDATE_CONSUMER_OFFSET reach the broker as ordinary
requests and get a response, which the client drops. At shutdown the push
consumer writes its final offset updates and closes the socket at once, often
with those responses unread, so its kernel sends RST; the broker's write of a
response then fails and the transport is torn down before it reads the frames
still queued behind it. Offsets committed by the shutdown are therefore best
effort; tests look at those the client persists while running (10 s after
start, then every 5 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shutil
import subprocess
from pathlib import Path

from tests.interop.harness import DriverProcess, run_command, tail

GO_DIR = Path(__file__).parent / "go"
BIN_DIR = GO_DIR / "bin"
PROGRAMS = ("producer", "pushconsumer")
BUILD_TIMEOUT = 900.0

# Where Go's official tarball installs; a non-login shell often lacks it on PATH.
GO_FALLBACK = Path("/usr/local/go/bin/go")

_built: Path | None = None


def find_go() -> str | None:
    """The go command: the one on PATH, else the standard tarball install."""
    found = shutil.which("go")
    if found is None and GO_FALLBACK.is_file() and os.access(GO_FALLBACK, os.X_OK):
        found = str(GO_FALLBACK)
    return found


def _newest_input_mtime() -> float:
    newest = max((GO_DIR / "go.mod").stat().st_mtime, (GO_DIR / "go.sum").stat().st_mtime)
    for path in GO_DIR.rglob("*.go"):
        if BIN_DIR not in path.parents:
            newest = max(newest, path.stat().st_mtime)
    return newest


def _is_up_to_date() -> bool:
    binaries = [BIN_DIR / name for name in PROGRAMS]
    if not all(path.is_file() for path in binaries):
        return False
    built = min(path.stat().st_mtime for path in binaries)
    return built > _newest_input_mtime()


def _build(go: str) -> None:
    for name in PROGRAMS:
        (BIN_DIR / name).unlink(missing_ok=True)
    BIN_DIR.mkdir(exist_ok=True)
    # "-o DIR/" with a package pattern writes one binary per main package. The
    # module's go.sum must already be complete: -mod=readonly never edits it.
    cmd = [go, "build", "-mod=readonly", "-o", str(BIN_DIR) + os.sep, "./cmd/..."]
    env = dict(os.environ)
    if not env.get("HOME"):
        # go needs a home for its build and module caches; keep them beside the module.
        env.setdefault("GOCACHE", str(GO_DIR / ".cache" / "build"))
        env.setdefault("GOPATH", str(GO_DIR / ".cache" / "gopath"))
    try:
        proc = subprocess.run(
            cmd,
            cwd=GO_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
        raise RuntimeError(f"interop: Go build timed out: {' '.join(cmd)}\n{tail(out)}") from exc
    if proc.returncode != 0:
        raise RuntimeError(
            f"interop: Go build failed (exit {proc.returncode}): {' '.join(cmd)} in {GO_DIR}\n"
            f"{tail(proc.stdout + proc.stderr)}"
        )
    missing = [name for name in PROGRAMS if not (BIN_DIR / name).is_file()]
    if missing:
        raise RuntimeError(f"interop: Go build produced no {', '.join(missing)} in {BIN_DIR}")
    # Stamp the outputs as built now (the build read every input before this point).
    for name in PROGRAMS:
        os.utime(BIN_DIR / name)


def ensure_built() -> Path:
    """Build the Go programs once and return the directory holding them.

    The build is skipped when every binary is newer than go.mod, go.sum and
    every .go file of the module. A file lock serialises concurrent pytest
    processes. Raises RuntimeError when Go is missing or the build fails.
    """
    global _built
    if _built is not None:
        return _built
    go = find_go()
    if go is None:
        raise RuntimeError(
            f"interop: 'go' not found on PATH nor at {GO_FALLBACK}; "
            "Go 1.21+ is required to build the Go client harness"
        )
    if not (GO_DIR / "go.mod").is_file():
        raise RuntimeError(f"interop: no Go module at {GO_DIR}")
    lock_path = GO_DIR / ".build.lock"
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not _is_up_to_date():
                _build(go)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    _built = BIN_DIR
    return BIN_DIR


def go_command(program: str, *args: str) -> list[str]:
    """The argv that runs the Go ``program`` with ``args``."""
    if program not in PROGRAMS:
        raise RuntimeError(f"interop: unknown Go program {program!r}; known: {PROGRAMS}")
    return [str(ensure_built() / program), *args]


async def run_go(program: str, *args: str, timeout: float = 120) -> tuple[int, str, str]:
    """Run the Go ``program`` to completion: (returncode, stdout, stderr)."""
    return await run_command(go_command(program, *args), f"Go {program}", timeout)


class GoProcess(DriverProcess):
    """A Go program running in the background, its stdout lines collected as they arrive.

    Like the Java drivers' ``DriverProcess`` (``lines``, ``events``,
    ``wait_until``), but ``stop`` sends SIGTERM: the push consumer then shuts
    its client down, prints its summary and OK/FAIL line and exits.
    """

    async def ask_to_finish(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.terminate()


async def start_go(program: str, *args: str) -> GoProcess:
    """Start the Go ``program`` in the background; its stderr (the client's log) goes to pytest."""
    proc = await asyncio.create_subprocess_exec(
        *go_command(program, *args),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=None,
    )
    return GoProcess(program, proc)
