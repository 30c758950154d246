"""Zero-copy replies: a frame whose body is ranges of mapped store files.

The pull path answers with CommitLog records byte for byte. When the
transport's write buffer is empty, the frame header goes to the socket with
send() and each file range with os.sendfile(), so record bytes travel from
the page cache to the socket without a copy through Python objects. Whatever
the socket does not take at once (EAGAIN, a partial write) is handed to the
transport in order, as memoryviews of the mappings: the transport buffer was
empty, so the byte order on the wire stays right. ``transferMsgByHeap`` (the
copying twin) joins the views into one body instead.

Sendfile is only used on plain TCP transports (not TLS) and when the frame
is large enough for the syscalls to pay off.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from dataclasses import dataclass

from rocketmq._core import remoting as codec
from rocketmq.errors import RemotingSendRequestError

# Below this many body bytes a copy is cheaper than one syscall per range.
SENDFILE_MIN_BODY_SIZE = 16 * 1024


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

    __slots__ = ("command", "ranges", "release", "use_sendfile")

    def __init__(
        self,
        command: codec.RemotingCommand,
        ranges: list[FileRange],
        release: Callable[[], None] | None = None,
        *,
        use_sendfile: bool = True,
    ) -> None:
        self.command = command
        self.ranges = ranges
        self.release = release
        self.use_sendfile = use_sendfile

    @property
    def body_size(self) -> int:
        return sum(item.size for item in self.ranges)


def frame_prefix(command: codec.RemotingCommand, body_size: int) -> bytes:
    """Length prefix, header word and header of a frame with a ``body_size`` body."""
    header = codec.encode_header(command)
    word = (command.serialize_type << 24) | len(header)
    return struct.pack(">iI", 4 + len(header) + body_size, word) + header


def write_file_region(transport, reply: FileRegionResponse) -> int:
    """Write ``reply`` to ``transport``; returns bytes sent by sendfile directly."""
    body_size = reply.body_size
    prefix = frame_prefix(reply.command, body_size)
    sock = transport.get_extra_info("socket")
    direct = (
        reply.use_sendfile
        and body_size >= SENDFILE_MIN_BODY_SIZE
        and sock is not None
        and transport.get_extra_info("sslcontext") is None
        and transport.get_write_buffer_size() == 0
    )
    if not direct:
        transport.writelines([prefix, *(item.view for item in reply.ranges)])
        return 0
    return _send_direct(transport, sock.fileno(), prefix, reply.ranges)


def _send_direct(transport, fd: int, prefix: bytes, ranges: list[FileRange]) -> int:
    """Push through the socket until it would block; queue the rest on the transport.

    Raises RemotingSendRequestError when the socket is broken.
    """
    sent_by_sendfile = 0
    try:
        written = os.write(fd, prefix)
    except (BlockingIOError, InterruptedError):
        written = 0
    except OSError as exc:
        raise RemotingSendRequestError(f"direct write failed: {exc}") from exc
    if written < len(prefix):
        transport.writelines([prefix[written:], *(item.view for item in ranges)])
        return 0
    for index, item in enumerate(ranges):
        done = 0
        while done < item.size:
            try:
                count = os.sendfile(fd, item.fd, item.offset + done, item.size - done)
            except (BlockingIOError, InterruptedError):
                count = 0
            except OSError as exc:
                # Part of the frame is on the wire: the stream cannot continue.
                transport.abort()
                raise RemotingSendRequestError(f"sendfile failed: {exc}") from exc
            if count == 0:
                rest = [item.view[done:], *(later.view for later in ranges[index + 1 :])]
                transport.writelines(rest)
                return sent_by_sendfile
            done += count
            sent_by_sendfile += count
    return sent_by_sendfile
