"""Transport settings (NettyServerConfig / NettyClientConfig counterparts)."""

from __future__ import annotations

from dataclasses import dataclass

from rocketmq._core import remoting as codec


@dataclass(frozen=True)
class ServerConfig:
    listen_host: str = "0.0.0.0"
    listen_port: int = 10911  # upstream listenPort
    # serverChannelMaxIdleTimeSeconds: a connection silent this long is closed.
    channel_max_idle_time_s: float = 120.0
    max_frame_size: int = codec.MAX_FRAME_SIZE
    # Handler tasks in flight per connection before reads pause (back-pressure).
    max_pending_requests_per_connection: int = 4096
    backlog: int = 1024


@dataclass(frozen=True)
class ClientConfig:
    connect_timeout_ms: int = 3000  # upstream connectTimeoutMillis
    default_timeout_ms: int = 3000
    channel_max_idle_time_s: float = 120.0  # clientChannelMaxIdleTimeSeconds
    max_frame_size: int = codec.MAX_FRAME_SIZE
    # clientAsyncSemaphoreValue: requests awaiting a response, all addresses.
    max_requests_in_flight: int = 65535
    language: int = codec.LANGUAGE_PYTHON
