"""Unique message ids made by the client (upstream MessageClientIDSetter).

32 hex digits: IPv4 address (4 bytes), process id (2), a random instance
number (4), milliseconds since the start of the current month (4), a
counter (2). The broker indexes the id (UNIQ_KEY) so it can be queried.
"""

from __future__ import annotations

import datetime
import itertools
import os
import random
import socket
import threading
import time


def _local_ipv4() -> bytes:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: no packet is sent by connect()
        return socket.inet_aton(probe.getsockname()[0])
    except OSError:
        return socket.inet_aton("127.0.0.1")
    finally:
        probe.close()


def _month_start_ms(now_ms: int) -> int:
    now = datetime.datetime.fromtimestamp(now_ms / 1000)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return int(start.timestamp() * 1000)


class MessageIdGenerator:
    """Thread-safe; one per process is enough (``new_message_id``)."""

    def __init__(self) -> None:
        self._prefix = (
            (
                _local_ipv4()
                + (os.getpid() & 0xFFFF).to_bytes(2, "big")
                + random.getrandbits(32).to_bytes(4, "big")
            )
            .hex()
            .upper()
        )
        self._counter = itertools.count(random.getrandbits(16))
        self._lock = threading.Lock()
        self._month_start_ms = 0
        self._next_month_ms = 0

    def next_id(self) -> str:
        now_ms = int(time.time() * 1000)
        with self._lock:
            if now_ms >= self._next_month_ms or now_ms < self._month_start_ms:
                self._month_start_ms = _month_start_ms(now_ms)
                self._next_month_ms = _month_start_ms(self._month_start_ms + 32 * 86_400_000)
            elapsed = (now_ms - self._month_start_ms) & 0xFFFFFFFF
            count = next(self._counter) & 0xFFFF
        return f"{self._prefix}{elapsed:08X}{count:04X}"


_generator = MessageIdGenerator()


def new_message_id() -> str:
    return _generator.next_id()
