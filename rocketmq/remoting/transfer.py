"""Zero-copy replies: a frame whose body is ranges of mapped store files.

The pull path answers with CommitLog records byte for byte. When the
transport's write buffer is empty, the frame goes straight to the socket from
the mappings, so record bytes travel from the page cache to the socket
without a copy through Python objects:

* many small ranges (a pull of 1 KiB records is 32 ranges, one per record:
  a queue's records are interleaved with other queues' in the CommitLog) go
  by one ``writev`` of the mapped views, one syscall where sendfile would
  take one per record; upstream's ManyMessageTransfer writes the mapped
  buffers the same way;
* large ranges (on average at least ``SENDFILE_MIN_RANGE_SIZE``) go by
  ``sendfile``.

Whatever the socket does not take at once (EAGAIN, a partial write) is handed
to the transport in order, as memoryviews of the mappings: the transport
buffer was empty, so the byte order on the wire stays right.
``transferMsgByHeap`` (the copying twin, upstream's default) copies the
records into one bytes object instead.

The direct path is only used on plain TCP transports (not TLS) and when the
body is large enough for the syscalls to pay off.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from dataclasses import dataclass

from rocketmq._core import remoting as codec
from rocketmq.errors import RemotingSendRequestError

# Below this many body bytes the transport's own write path is as cheap.
DIRECT_MIN_BODY_SIZE = 16 * 1024
# Ranges at least this large on average go by sendfile, smaller ones by writev.
SENDFILE_MIN_RANGE_SIZE = 64 * 1024
# Buffers per writev call (the kernel's UIO_MAXIOV).
WRITEV_MAX_BUFFERS = os.sysconf("SC_IOV_MAX") if "SC_IOV_MAX" in os.sysconf_names else 1024


@dataclass
class FileRange:
    """``size`` bytes at ``offset`` of ``fd``; ``view`` is the same bytes, mapped."""

    fd: int
    offset: int
    size: int
    view: memoryview


class FileRegionResponse:
    """A handler's reply whose body is file ranges (upstream ManyMessageTransfer).

    ``release`` runs once the ranges are written or handed to the transport.
    """

    __slots__ = ("command", "ranges", "release", "zero_copy")

    def __init__(
        self,
        command: codec.RemotingCommand,
        ranges: list[FileRange],
        release: Callable[[], None] | None = None,
        *,
        zero_copy: bool = True,
    ) -> None:
        self.command = command
        self.ranges = ranges
        self.release = release
        self.zero_copy = zero_copy

    @property
    def body_size(self) -> int:
        return sum(item.size for item in self.ranges)


def frame_prefix(command: codec.RemotingCommand, body_size: int) -> bytes:
    """Length prefix, header word and header of a frame with a ``body_size`` body."""
    header = codec.encode_header(command)
    word = (command.serialize_type << 24) | len(header)
    return struct.pack(">iI", 4 + len(header) + body_size, word) + header


def write_file_region(transport, reply: FileRegionResponse) -> int:
    """Write ``reply`` to ``transport``; returns body bytes written from the mappings directly.

    Raises RemotingSendRequestError when the socket is broken.
    """
    body_size = reply.body_size
    prefix = frame_prefix(reply.command, body_size)
    if not reply.zero_copy:
        transport.write(prefix + b"".join([item.view for item in reply.ranges]))
        return 0
    sock = transport.get_extra_info("socket")
    direct = (
        body_size >= DIRECT_MIN_BODY_SIZE
        and sock is not None
        and transport.get_extra_info("sslcontext") is None
        and transport.get_write_buffer_size() == 0
    )
    if not direct:
        transport.writelines([prefix, *(item.view for item in reply.ranges)])
        return 0
    if body_size >= SENDFILE_MIN_RANGE_SIZE * len(reply.ranges):
        return _sendfile(transport, sock.fileno(), prefix, reply.ranges)
    return _writev(transport, sock.fileno(), prefix, reply.ranges)


def _failed(transport, exc: OSError, on_wire: bool) -> RemotingSendRequestError:
    if on_wire:
        # Part of the frame is on the wire: the stream cannot continue.
        transport.abort()
    return RemotingSendRequestError(f"direct write failed: {exc}")


def _writev(transport, fd: int, prefix: bytes, ranges: list[FileRange]) -> int:
    """One writev per WRITEV_MAX_BUFFERS buffers until the socket would block."""
    buffers: list = [prefix, *(item.view for item in ranges)]
    written_total = 0
    start = 0
    while start < len(buffers):
        batch = buffers[start : start + WRITEV_MAX_BUFFERS]
        try:
            written = os.writev(fd, batch)
        except (BlockingIOError, InterruptedError):
            written = 0
        except OSError as exc:
            raise _failed(transport, exc, written_total > 0) from exc
        written_total += written
        if written == sum(len(buffer) for buffer in batch):
            start += len(batch)
            continue
        # The socket is full: skip the buffers it took whole, queue the rest.
        while written >= len(buffers[start]):
            written -= len(buffers[start])
            start += 1
        transport.writelines([memoryview(buffers[start])[written:], *buffers[start + 1 :]])
        break
    return max(0, written_total - len(prefix))


def _sendfile(transport, fd: int, prefix: bytes, ranges: list[FileRange]) -> int:
    """The prefix by write, then each range by sendfile until the socket would block."""
    try:
        written = os.write(fd, prefix)
    except (BlockingIOError, InterruptedError):
        written = 0
    except OSError as exc:
        raise _failed(transport, exc, False) from exc
    if written < len(prefix):
        transport.writelines([prefix[written:], *(item.view for item in ranges)])
        return 0
    sent = 0
    for index, item in enumerate(ranges):
        done = 0
        while done < item.size:
            try:
                count = os.sendfile(fd, item.fd, item.offset + done, item.size - done)
            except (BlockingIOError, InterruptedError):
                count = 0
            except OSError as exc:
                raise _failed(transport, exc, True) from exc
            if count == 0:
                rest = [item.view[done:], *(later.view for later in ranges[index + 1 :])]
                transport.writelines(rest)
                return sent
            done += count
            sent += count
    return sent
