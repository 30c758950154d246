"""Test hosts in network namespaces: each server process on an address of its own.

Where the machine allows it (root and iproute2), ``Network`` puts a bridge in
the test's own namespace (``host_ip``, where the NameServer and the clients
run) and gives every ``host()`` a namespace of its own joined to the bridge by
a veth pair, so brokers talk to each other and to clients over real
interfaces, not loopback. Elsewhere every host is 127.0.0.1.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import shutil
import socket
import subprocess
import sys
import uuid

LOOPBACK = "127.0.0.1"


def _ip(*args: str) -> None:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {proc.stderr.strip()}")


_PROBE_SERVER = (
    "import socket, sys\n"
    "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    "s.bind(('0.0.0.0', 0)); s.listen(1)\n"
    "print(s.getsockname()[1], flush=True)\n"
    "c, _ = s.accept(); c.sendall(b'ok'); c.close()\n"
)


@functools.cache
def namespaces_available() -> bool:
    """True when this process can make namespaces joined by a bridge, and a TCP
    connection from here reaches a server in one of them."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        return False
    try:
        network = Network(isolated=True)
    except RuntimeError:
        return False
    server = None
    try:
        where, address = network.host()
        server = subprocess.Popen(
            [*where, sys.executable, "-c", _PROBE_SERVER], stdout=subprocess.PIPE, text=True
        )
        assert server.stdout is not None
        port = int(server.stdout.readline())
        with socket.create_connection((address, port), timeout=3) as connection:
            connection.settimeout(3)
            return connection.recv(2) == b"ok"
    except (RuntimeError, OSError, ValueError):
        return False
    finally:
        if server is not None:
            server.kill()
            server.wait()
        network.close()


def _free_subnet() -> str:
    """A /24 in 10.0.0.0/8 that no interface here uses, as its first three octets."""
    used = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
    for _ in range(100):
        candidate = f"10.{uuid.uuid4().int % 150 + 100}.{uuid.uuid4().int % 256}"
        network = ipaddress.ip_network(f"{candidate}.0/24")
        if not any(
            ipaddress.ip_address(word.split("/")[0]) in network
            for word in used.split()
            if word.count(".") == 3 and "/" in word
        ):
            return candidate
    raise RuntimeError("no free 10.x.y.0/24 for test hosts")


class Network:
    def __init__(self, *, isolated: bool | None = None) -> None:
        self.isolated = namespaces_available() if isolated is None else isolated
        self._tag = uuid.uuid4().hex[:6]
        self._namespaces: list[str] = []
        self._bridge = f"cybr{self._tag}"
        if not self.isolated:
            self.host_ip = LOOPBACK
            return
        self._subnet = _free_subnet()
        self.host_ip = f"{self._subnet}.1"
        _ip("link", "add", self._bridge, "type", "bridge")
        _ip("addr", "add", f"{self.host_ip}/24", "dev", self._bridge)
        _ip("link", "set", self._bridge, "up")

    def host(self) -> tuple[list[str], str]:
        """A new host: (the argv prefix that runs a command there, its address)."""
        if not self.isolated:
            return [], LOOPBACK
        index = len(self._namespaces) + 2
        namespace = f"cy{self._tag}h{index}"
        outside, inside = f"cyv{self._tag}{index}", f"cyp{self._tag}{index}"
        address = f"{self._subnet}.{index}"
        _ip("netns", "add", namespace)
        self._namespaces.append(namespace)
        _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        _ip("link", "set", inside, "netns", namespace)
        _ip("link", "set", outside, "master", self._bridge)
        _ip("link", "set", outside, "up")
        _ip("-n", namespace, "addr", "add", f"{address}/24", "dev", inside)
        _ip("-n", namespace, "link", "set", inside, "up")
        _ip("-n", namespace, "link", "set", "lo", "up")
        return ["ip", "netns", "exec", namespace], address

    def close(self) -> None:
        """Remove the namespaces (their veth pairs go with them) and the bridge."""
        if not self.isolated:
            return
        for namespace in self._namespaces:
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True, check=False)
        self._namespaces = []
        subprocess.run(["ip", "link", "del", self._bridge], capture_output=True, check=False)
