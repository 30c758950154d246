"""Build and run the Java interop programs (tests/interop/java/<module>).

The Java side uses the official ``org.apache.rocketmq:rocketmq-remoting``
artifact, so interop tests talk to (and are talked to by) the reference wire
implementation. Interop tests must fail loudly, never skip: every problem with
the toolchain or the build raises ``RuntimeError``.

Programs of the ``remoting`` module (package ``io.cyrocketmq.interop``):

* ``ClientDriver --addr HOST:PORT --serialize JSON|ROCKETMQ``: contract
  scenarios against a server, ``OK <name>`` / ``FAIL <name>: <reason>`` lines.
* ``EchoServer --port N [--serialize JSON|ROCKETMQ]``: a Java server with the
  same contract; prints ``READY <port>``, exits on SIGTERM or stdin EOF.
* ``LoadGen --addr HOST:PORT --serialize S --inflight N --seconds S ...``: one
  JSON line of throughput and latency figures.
* ``GoldenFrames OUTDIR``: frames encoded by rocketmq-remoting itself.
* ``NamesrvDriver --namesrv HOST:PORT``: registers brokers with a NameServer and
  checks routes, cluster info, topic list and KV config with the official classes.

Programs of the ``client4`` module (rocketmq-client 4.9.8, package
``io.cyrocketmq.interop.client4``; run as ``client4.<Name>`` with
``module="client4"``): ``ProducerDriver``, ``PushConsumerDriver``,
``LitePullDriver``, ``OrderlyConsumerDriver``, ``TransactionProducerDriver``,
``QueryDriver``, ``AllocateDriver`` (the queue allocation strategies on
given inputs), and the load tools ``BenchProducer`` and ``BenchConsumer``,
each described in its javadoc. Module ``client5`` builds
the same sources against rocketmq-client 5.3.3. Long-running drivers are
started with ``start_driver`` and finish when their stdin closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import shutil
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

JAVA_DIR = Path(__file__).parent / "java"
JAVA_PACKAGE = "io.cyrocketmq.interop."
JAVA_HEAP = "-Xmx256m"
READY_TIMEOUT = 60.0
_OUTPUT_TAIL = 6000

_classpaths: dict[str, str] = {}


def tail(text: str, limit: int = _OUTPUT_TAIL) -> str:
    """The end of a process's output, for an error message."""
    return text if len(text) <= limit else "...\n" + text[-limit:]


# RocketMQ 4.x's store unmaps files through JDK internals; without these it
# cannot clean up at shutdown and leaves an abort file behind.
MODULE_JVM_OPTIONS = {
    "apache": (
        "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    ),
}

# Modules that compile another module's sources (their pom's <sourceDirectory>).
SOURCES_OF = {"client5": "client4"}


def _newest_input_mtime(module_dir: Path) -> float:
    newest = (module_dir / "pom.xml").stat().st_mtime
    src = JAVA_DIR / SOURCES_OF.get(module_dir.name, module_dir.name) / "src"
    if src.is_dir():
        for path in src.rglob("*"):
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    return newest


def _is_up_to_date(module_dir: Path) -> bool:
    classes = module_dir / "target" / "classes"
    lib = module_dir / "target" / "lib"
    if not classes.is_dir() or not lib.is_dir() or not any(lib.glob("*.jar")):
        return False
    built = min(classes.stat().st_mtime, lib.stat().st_mtime)
    return built > _newest_input_mtime(module_dir)


def _build(module_dir: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError(
            "interop: 'mvn' (Maven) not found on PATH; it is required to build the Java harness"
        )
    target = module_dir / "target"
    # A fresh target/ makes the freshness check (directory mtimes) reliable.
    shutil.rmtree(target, ignore_errors=True)
    cmd = [
        mvn,
        "-B",
        "-q",
        "-f",
        str(module_dir / "pom.xml"),
        "package",
        "dependency:copy-dependencies",
        "-DoutputDirectory=target/lib",
        "-DincludeScope=runtime",
    ]
    try:
        proc = subprocess.run(
            cmd, cwd=module_dir, capture_output=True, text=True, timeout=900, check=False
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else ""
        raise RuntimeError(f"interop: Maven build timed out: {' '.join(cmd)}\n{tail(out)}") from exc
    if proc.returncode != 0:
        raise RuntimeError(
            f"interop: Maven build failed (exit {proc.returncode}): {' '.join(cmd)}\n"
            f"{tail(proc.stdout + proc.stderr)}"
        )
    classes = target / "classes"
    lib = target / "lib"
    if not classes.is_dir() or not lib.is_dir():
        raise RuntimeError(
            f"interop: Maven build produced no target/classes or target/lib in {module_dir}"
        )
    # Stamp both outputs as built now (the build read every input before this point).
    os.utime(classes)
    os.utime(lib)


def ensure_built(module: str = "remoting") -> str:
    """Build ``tests/interop/java/<module>`` once and return its classpath.

    The build is skipped when target/classes and target/lib are newer than the
    pom.xml and every file under src/. A file lock serialises concurrent pytest
    processes. Raises RuntimeError when Java/Maven are missing or the build fails.
    """
    cached = _classpaths.get(module)
    if cached is not None:
        return cached
    if shutil.which("java") is None:
        raise RuntimeError(
            "interop: 'java' not found on PATH; a JDK 17+ is required for the interop tests"
        )
    module_dir = JAVA_DIR / module
    if not (module_dir / "pom.xml").is_file():
        raise RuntimeError(f"interop: no Maven project at {module_dir}")
    lock_path = module_dir / ".build.lock"
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not _is_up_to_date(module_dir):
                _build(module_dir)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    target = module_dir / "target"
    classpath = os.pathsep.join([str(target / "classes"), str(target / "lib" / "*")])
    _classpaths[module] = classpath
    return classpath


def java_command(
    main: str, *args: str, module: str = "remoting", heap: str = JAVA_HEAP
) -> list[str]:
    """The argv that runs ``io.cyrocketmq.interop.<main>`` with ``args``."""
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("interop: 'java' not found on PATH")
    options = MODULE_JVM_OPTIONS.get(module, ())
    return [java, heap, *options, "-cp", ensure_built(module), JAVA_PACKAGE + main, *args]


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def broker_ports() -> tuple[int, int]:
    """(NameServer port, broker port) with the broker's fast (-2) and HA (+1) ports free too."""
    for _ in range(200):
        port = free_port()
        if port > 20000 and all(_port_free(p) for p in (port - 2, port + 1, port + 3)):
            return port + 3, port
    raise RuntimeError("interop: no free group of ports for a broker")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def stop_process(proc: asyncio.subprocess.Process) -> None:
    """Close stdin, SIGTERM, wait; SIGKILL after 5 s. Safe to call twice."""
    if proc.stdin is not None and not proc.stdin.is_closing():
        proc.stdin.close()
        with contextlib.suppress(ConnectionError, BrokenPipeError):
            await proc.stdin.wait_closed()
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), timeout=5.0)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    # Drain what is left so the pipes' transports close cleanly.
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(stream.read(), timeout=5.0)


async def start_echo_server(serialize: str = "JSON") -> tuple[asyncio.subprocess.Process, int]:
    """Start the Java EchoServer on a free port; return (process, port) once READY.

    The server is started with ``--port 0`` so the kernel picks a free port
    while binding (no window in which another process can take it) and the
    port is read from its ``READY <port>`` line. It runs until
    ``stop_process`` (or until its stdin closes). Its stderr is inherited, so
    pytest captures it and shows it with a failing test.
    """
    cmd = java_command("EchoServer", "--port", "0", "--serialize", serialize)
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=None,
    )
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(_read_ready(proc.stdout), timeout=READY_TIMEOUT)
    except BaseException as exc:
        await stop_process(proc)
        if isinstance(exc, TimeoutError):
            raise RuntimeError(
                f"interop: EchoServer did not print READY within {READY_TIMEOUT:.0f} s"
            ) from exc
        raise
    if line is None:
        rc = await proc.wait()
        raise RuntimeError(
            f"interop: EchoServer exited (code {rc}) before printing READY: {' '.join(cmd)}"
        )
    return proc, int(line.split()[1])


async def _read_ready(stream: asyncio.StreamReader) -> str | None:
    while True:
        raw = await stream.readline()
        if not raw:
            return None
        line = raw.decode("utf-8", errors="replace").strip()
        if line.startswith("READY "):
            return line


async def run_command(cmd: list[str], name: str, timeout: float) -> tuple[int, str, str]:
    """Run ``cmd`` to completion with stdin closed: (returncode, stdout, stderr).

    Raises RuntimeError (after killing the process) when it runs past ``timeout``.
    """
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=timeout)
    except TimeoutError as exc:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        out, err = await proc.communicate()
        raise RuntimeError(
            f"interop: {name} timed out after {timeout} s\n"
            f"stdout:\n{tail(out.decode(errors='replace'))}\n"
            f"stderr:\n{tail(err.decode(errors='replace'))}"
        ) from exc
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return (
        proc.returncode,
        out.decode("utf-8", errors="replace"),
        err.decode("utf-8", errors="replace"),
    )


async def run_java(
    main: str, *args: str, timeout: float = 120, module: str = "remoting"
) -> tuple[int, str, str]:
    """Run ``io.cyrocketmq.interop.<main>`` to completion: (returncode, stdout, stderr)."""
    return await run_command(java_command(main, *args, module=module), main, timeout)


async def poll_until(predicate: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll ``predicate`` (server state) every 50 ms until it holds; AssertionError after
    ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"no {what} within {timeout} s")
        await asyncio.sleep(0.05)


class DriverProcess:
    """A Java driver running in the background, its stdout lines collected as they arrive.

    Drivers print ``OK``/``FAIL`` lines and one JSON object per line; ``events``
    returns the JSON lines of one ``event`` kind. ``stop`` closes stdin (the
    drivers' signal to finish), waits for the exit and returns the exit code.
    """

    def __init__(self, name: str, proc: asyncio.subprocess.Process) -> None:
        self.name = name
        self.proc = proc
        self.lines: list[str] = []
        self._changed = asyncio.Event()
        assert proc.stdout is not None
        self._reader = asyncio.get_running_loop().create_task(self._read(proc.stdout))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while True:
            raw = await stream.readline()
            if not raw:
                self._changed.set()
                return
            self.lines.append(raw.decode("utf-8", errors="replace").rstrip("\n"))
            self._changed.set()

    @staticmethod
    def parse(output: str) -> list[dict]:
        """The JSON lines of a driver's output, in order."""
        return [json.loads(line) for line in output.splitlines() if line.startswith("{")]

    def events(self, kind: str) -> list[dict]:
        return [item for item in self.parse(self.output) if item.get("event") == kind]

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        """Wait until ``predicate()`` holds; after ``timeout``, RuntimeError with the output."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            if self._reader.done():
                raise RuntimeError(
                    f"interop: {self.name} exited before {what}:\n{tail(self.output)}"
                )
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise RuntimeError(
                    f"interop: {self.name}: no {what} within {timeout} s:\n{tail(self.output)}"
                )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 0.5))

    async def ask_to_finish(self) -> None:
        """The drivers' stop signal: stdin reaches EOF."""
        if self.proc.stdin is not None and not self.proc.stdin.is_closing():
            self.proc.stdin.close()
            with contextlib.suppress(ConnectionError, BrokenPipeError):
                await self.proc.stdin.wait_closed()

    async def kill(self) -> None:
        """SIGKILL, for a server whose store is thrown away (a JVM shutdown takes seconds)."""
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        await self.proc.wait()
        await self._reader

    async def stop(self, timeout: float = 30.0) -> int:
        """Ask the driver to finish and wait for it (killing it after ``timeout``)."""
        await self.ask_to_finish()
        try:
            await asyncio.wait_for(self.proc.wait(), timeout=timeout)
        except TimeoutError:
            await stop_process(self.proc)
        await self._reader
        assert self.proc.returncode is not None
        return self.proc.returncode


async def start_driver(
    main: str, *args: str, module: str = "remoting", heap: str = JAVA_HEAP
) -> DriverProcess:
    """Start ``io.cyrocketmq.interop.<main>`` in the background; stderr goes to pytest."""
    cmd = java_command(main, *args, module=module, heap=heap)
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=None,
    )
    return DriverProcess(main, proc)


APACHE_HEAP = "-Xmx512m"
APACHE_START_ATTEMPTS = 3


async def start_apache_cluster(
    store: Path, broker_conf: dict[str, str] | None = None
) -> tuple[DriverProcess, str]:
    """Apache RocketMQ 4.9.7's NameServer and broker (module ``apache``) on loopback.

    ``broker_conf`` holds upstream broker/store keys (``messageDelayLevel``, ...).
    Returns the running process (``stop()`` shuts it down) and the NameServer
    address, once the broker's TBW102 route is served.
    """
    extra = []
    for key, value in (broker_conf or {}).items():
        extra += ["--broker-conf", f"{key}={value}"]
    for attempt in range(1, APACHE_START_ATTEMPTS + 1):
        namesrv_port, broker_port = broker_ports()
        cluster = await start_driver(
            "apache.ApacheCluster",
            "--namesrv-port", str(namesrv_port),
            "--broker-port", str(broker_port),
            "--store", str(store / f"attempt-{attempt}"),
            *extra,
            module="apache",
            heap=APACHE_HEAP,
        )  # fmt: skip
        try:
            await cluster.wait_until(
                lambda c=cluster: any(
                    line.startswith(("READY ", "FAIL start:")) for line in c.lines
                ),
                READY_TIMEOUT,
                "READY",
            )
        except BaseException:
            await cluster.stop()
            raise
        if any(line.startswith("READY ") for line in cluster.lines):
            return cluster, f"127.0.0.1:{namesrv_port}"
        await cluster.stop()
        if not apache_port_taken(cluster.lines) or attempt == APACHE_START_ATTEMPTS:
            raise RuntimeError(f"interop: Apache RocketMQ did not start:\n{tail(cluster.output)}")
    raise AssertionError("unreachable")


def apache_port_taken(lines: list[str]) -> bool:
    """ApacheCluster failed to start because a port it was given was taken meanwhile
    (ports are picked free, then bound by another process: another may get there first)."""
    return any(line.startswith("FAIL start:") and "BindException" in line for line in lines)
