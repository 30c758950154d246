"""One remoting connection: frames in, frames out, requests both ways.

The same protocol class serves both ends. Incoming frames are split by the
sans-IO ``FrameDecoder``; responses resolve the future of the request with
the same opaque, requests go to the owner's ``ProcessorRegistry``. The owner
(RemotingServer or RemotingClient) tracks connections and closes idle ones.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from rocketmq._core import remoting as codec
from rocketmq.common.codes import ResponseCode
from rocketmq.errors import (
    BrokerError,
    FrameError,
    ProtocolError,
    RemotingConnectError,
    RemotingSendRequestError,
    RemotingTimeoutError,
)
from rocketmq.remoting.transfer import FileRegionResponse, write_file_region

if TYPE_CHECKING:
    from rocketmq.remoting.processor import ProcessorRegistry

logger = logging.getLogger("rocketmq.remoting")

RemotingCommand = codec.RemotingCommand
_encode_frame_header = codec.encode_frame_header
_RPC_RESPONSE = codec.RPC_RESPONSE
_RPC_ONEWAY = codec.RPC_ONEWAY
_SERIALIZE_JSON = codec.SERIALIZE_JSON


class ConnectionOwner:
    """What a connection needs from the server or client that made it."""

    processors: ProcessorRegistry
    max_frame_size: int
    max_pending_requests: int

    def connection_opened(self, connection: RemotingConnection) -> None:
        raise NotImplementedError

    def connection_closed(self, connection: RemotingConnection) -> None:
        raise NotImplementedError


def _format_address(address: object) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        host = address[0]
        return f"[{host}]:{address[1]}" if ":" in host else f"{host}:{address[1]}"
    return str(address)


class RemotingConnection(asyncio.Protocol):
    """An asyncio Protocol speaking the RocketMQ remoting framing."""

    def __init__(self, owner: ConnectionOwner) -> None:
        self._owner = owner
        self._processors = owner.processors
        self._max_pending_requests = owner.max_pending_requests
        self._decoder = codec.FrameDecoder(owner.max_frame_size)
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._pending: dict[int, asyncio.Future] = {}  # opaque -> response future
        self._tasks: set[asyncio.Task] = set()  # async handlers in flight
        self._next_opaque = 0
        self._reading_paused = False
        self._write_paused = False
        self._drain_waiters: list[asyncio.Future] = []
        self.closed = self._loop.create_future()  # result: the close reason
        self.remote_address = "?"
        self.local_address = "?"
        self.last_active = self._loop.time()
        self.zero_copy_bytes = 0  # body bytes that went page cache -> socket directly

    # -- asyncio.Protocol ---------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self.remote_address = _format_address(transport.get_extra_info("peername"))
        self.local_address = _format_address(transport.get_extra_info("sockname"))
        self._owner.connection_opened(self)

    def data_received(self, data: bytes) -> None:
        self.last_active = self._loop.time()
        try:
            commands = self._decoder.feed(data)
        except FrameError as exc:
            self.close(f"malformed frame: {exc}")
            return
        for cmd in commands:
            if cmd.flag & _RPC_RESPONSE:
                self._on_response(cmd)
            else:
                self._on_request(cmd)

    def connection_lost(self, exc: Exception | None) -> None:
        reason = "closed by peer" if exc is None else f"lost: {exc}"
        if not self.closed.done():
            self.closed.set_result(reason)
        self._transport = None
        pending, self._pending = self._pending, {}
        for fut in pending.values():
            if not fut.done():
                fut.set_exception(
                    RemotingConnectError(f"connection to {self.remote_address} {reason}")
                )
        for task in self._tasks:
            task.cancel()
        self._wake_drain_waiters()
        self._owner.connection_closed(self)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._wake_drain_waiters()

    # -- public API -------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    @property
    def requests_in_flight(self) -> int:
        return len(self._pending)

    async def invoke(self, request: RemotingCommand, timeout_ms: int) -> RemotingCommand:
        """Send ``request`` and wait for its response (the response may carry an error code).

        Raises RemotingTimeoutError, RemotingSendRequestError or RemotingConnectError.
        """
        if self._write_paused:
            await self.drain()
        opaque = self._take_opaque()
        request.opaque = opaque
        request.flag &= ~(_RPC_RESPONSE | _RPC_ONEWAY)
        fut = self._loop.create_future()
        self._pending[opaque] = fut
        timer = self._loop.call_later(timeout_ms / 1000.0, self._expire, opaque, timeout_ms)
        try:
            self._write(request)
            return await fut
        finally:
            timer.cancel()
            self._pending.pop(opaque, None)

    def invoke_oneway(self, request: RemotingCommand) -> None:
        """Write ``request`` flagged oneway; nothing comes back."""
        request.opaque = self._take_opaque()
        request.flag = (request.flag | _RPC_ONEWAY) & ~_RPC_RESPONSE
        self._write(request)

    async def drain(self) -> None:
        """Wait until the transport's write buffer is below its high-water mark."""
        if not self._write_paused or self._transport is None:
            return
        waiter = self._loop.create_future()
        self._drain_waiters.append(waiter)
        await waiter
        if self._transport is None:
            raise RemotingConnectError(f"connection to {self.remote_address} closed")

    def close(self, reason: str = "closed locally") -> None:
        """Close the connection; pending invocations fail with RemotingConnectError."""
        if self._transport is None:
            return
        if not self.closed.done():
            self.closed.set_result(reason)
            if reason.startswith("malformed"):
                logger.warning("closing connection %s: %s", self.remote_address, reason)
            else:
                logger.info("closing connection %s: %s", self.remote_address, reason)
        self._transport.close()

    def abort(self, reason: str) -> None:
        """Close without flushing buffered writes."""
        if self._transport is None:
            return
        if not self.closed.done():
            self.closed.set_result(reason)
            logger.info("aborting connection %s: %s", self.remote_address, reason)
        self._transport.abort()

    async def wait_tasks(self) -> None:
        """Wait for every handler task of this connection to finish."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- internals ----------------------------------------------------------------------

    def _take_opaque(self) -> int:
        opaque = self._next_opaque
        self._next_opaque = (opaque + 1) & 0x7FFFFFFF
        return opaque

    def _expire(self, opaque: int, timeout_ms: int) -> None:
        fut = self._pending.pop(opaque, None)
        if fut is not None and not fut.done():
            fut.set_exception(
                RemotingTimeoutError(
                    f"wait response on the channel <{self.remote_address}> timeout,"
                    f" {timeout_ms}(ms)"
                )
            )

    def _write(self, cmd: RemotingCommand) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            raise RemotingSendRequestError(f"connection to {self.remote_address} is closed")
        try:
            header = _encode_frame_header(cmd)
        except ProtocolError:
            if cmd.serialize_type == _SERIALIZE_JSON:
                raise
            # A code beyond int16 (POP) cannot travel in a ROCKETMQ header.
            cmd.serialize_type = _SERIALIZE_JSON
            header = _encode_frame_header(cmd)
        body = cmd.body
        if body:
            transport.writelines((header, body))
        else:
            transport.write(header)
        self.last_active = self._loop.time()

    def _wake_drain_waiters(self) -> None:
        waiters, self._drain_waiters = self._drain_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _on_response(self, cmd: RemotingCommand) -> None:
        fut = self._pending.pop(cmd.opaque, None)
        if fut is None or fut.done():
            logger.debug(
                "response opaque=%d from %s matches no request (timed out?)",
                cmd.opaque,
                self.remote_address,
            )
            return
        fut.set_result(cmd)

    def _on_request(self, request: RemotingCommand) -> None:
        entry = self._processors.lookup(request.code)
        if entry is None:
            logger.warning("%s request type %d not supported", self.remote_address, request.code)
            self._reply(
                request,
                RemotingCommand(
                    ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
                    remark=f"request type {request.code} not supported",
                ),
            )
            return
        handler, is_async = entry
        if is_async:
            task = self._loop.create_task(self._run_async(handler, request))
            self._tasks.add(task)
            task.add_done_callback(self._task_done)
            if len(self._tasks) >= self._max_pending_requests and not self._reading_paused:
                self._reading_paused = True
                self._transport.pause_reading()
            return
        try:
            response = handler(self, request)
        except Exception as exc:
            response = self._error_response(request, exc)
        self._reply(request, response)

    async def _run_async(self, handler, request: RemotingCommand) -> None:
        try:
            response = await handler(self, request)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            response = self._error_response(request, exc)
        # The peer may have gone while we awaited: _reply drops the response
        # then, and still releases a file region's segments.
        self._reply(request, response)

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if self._reading_paused and len(self._tasks) <= self._max_pending_requests // 2:
            self._reading_paused = False
            if self._transport is not None:
                self._transport.resume_reading()

    def _error_response(self, request: RemotingCommand, exc: Exception) -> RemotingCommand:
        if isinstance(exc, BrokerError):
            return RemotingCommand(exc.code, remark=exc.remark)
        if isinstance(exc, ProtocolError):
            logger.warning(
                "bad request code=%d from %s: %s", request.code, self.remote_address, exc
            )
        else:
            logger.error(
                "processor of request code=%d from %s failed",
                request.code,
                self.remote_address,
                exc_info=exc,
            )
        return RemotingCommand(ResponseCode.SYSTEM_ERROR, remark=f"{type(exc).__name__}: {exc}")

    def _reply(
        self, request: RemotingCommand, response: RemotingCommand | FileRegionResponse | None
    ) -> None:
        if type(response) is FileRegionResponse:
            self._reply_file_region(request, response)
            return
        if response is None or request.flag & _RPC_ONEWAY:
            return
        response.opaque = request.opaque
        response.flag |= _RPC_RESPONSE
        response.serialize_type = request.serialize_type
        try:
            self._write(response)
        except RemotingSendRequestError:
            logger.debug("dropping response to %s: connection closed", self.remote_address)

    def _reply_file_region(self, request: RemotingCommand, reply: FileRegionResponse) -> None:
        """A reply whose body is store file ranges (written from the mappings when idle)."""
        try:
            transport = self._transport
            if transport is None or transport.is_closing() or request.flag & _RPC_ONEWAY:
                return
            command = reply.command
            command.opaque = request.opaque
            command.flag |= _RPC_RESPONSE
            command.serialize_type = request.serialize_type
            try:
                self.zero_copy_bytes += write_file_region(transport, reply)
            except ProtocolError:
                command.serialize_type = _SERIALIZE_JSON  # a code beyond int16
                self.zero_copy_bytes += write_file_region(transport, reply)
            except RemotingSendRequestError as exc:
                logger.info("dropping response to %s: %s", self.remote_address, exc)
            self.last_active = self._loop.time()
        finally:
            if reply.release is not None:
                reply.release()

    def __repr__(self) -> str:
        state = "open" if self.is_open else "closed"
        return f"<RemotingConnection {self.local_address}->{self.remote_address} {state}>"
