"""Remoting codec: frame splitter and the JSON and ROCKETMQ header codecs.

The Cython twin of rocketmq/_core/_pure/remoting.py, which is the
specification: the same names and defaults, the same bytes out, the same
decoded values and the same exception types. Wire layout:
shared/spec/remoting.md §1-§4. Sans-IO: bytes in, commands out.

The internals come in from three included files, one concern each:
remoting_wbuf.pxi (the write buffer), remoting_encode.pxi (header
encoders) and remoting_decode_json.pxi (JSON header decoder). The typed
headers of the hottest requests are the sibling module ``headers``.
"""

cimport cython
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport (
    PyBytes_AS_STRING,
    PyBytes_CheckExact,
    PyBytes_FromStringAndSize,
    PyBytes_GET_SIZE,
)
from cpython.dict cimport PyDict_CheckExact, PyDict_Next, PyDict_SetItem
from cpython.long cimport PyLong_CheckExact
from cpython.object cimport PyObject
from cpython.unicode cimport (
    PyUnicode_4BYTE_KIND,
    PyUnicode_CheckExact,
    PyUnicode_DATA,
    PyUnicode_DecodeUTF8,
    PyUnicode_FromKindAndData,
    PyUnicode_FromOrdinal,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_New,
    PyUnicode_READ,
)
from libc.stdint cimport uint16_t, uint32_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcmp, memcpy, memmove, strlen

from rocketmq._core.consts cimport (
    CH_BACKSLASH,
    CH_BACKSPACE,
    CH_COLON,
    CH_COMMA,
    CH_CR,
    CH_DOT,
    CH_FORMFEED,
    CH_LBRACE,
    CH_LF,
    CH_LOWER_E,
    CH_MINUS,
    CH_NINE,
    CH_QUOTE,
    CH_RBRACE,
    CH_SLASH,
    CH_SPACE,
    CH_TAB,
    CH_UPPER_E,
    CH_ZERO,
    INT16_MAX,
    INT16_MIN,
    INT32_MAX,
    INT32_MIN,
)
from rocketmq._core.cpythonx cimport PyUnicode_IS_ASCII, rmq_dict_presized, rmq_unicode_ready
from rocketmq._core.hton cimport (
    rmq_load_i16,
    rmq_load_i32,
    rmq_load_u32,
    rmq_store_u16,
    rmq_store_u32,
)

import json
import re

from rocketmq.errors import FrameError, ProtocolError


cdef extern from *:
    # 1 in ROCKETMQ_DEBUG=1 builds (setup.py defines it); checks compile out otherwise.
    const int RMQ_DEBUG


SERIALIZE_JSON = RMQ_SERIALIZE_JSON
SERIALIZE_ROCKETMQ = RMQ_SERIALIZE_ROCKETMQ
RPC_RESPONSE = RMQ_RPC_RESPONSE  # flag bit0
RPC_ONEWAY = RMQ_RPC_ONEWAY  # flag bit1
# Java's NettyDecoder limit; counts the whole frame including the length field.
MAX_FRAME_SIZE = RMQ_MAX_FRAME_SIZE
# Header length lives in the low 24 bits of the second word.
MAX_HEADER_SIZE = RMQ_MAX_HEADER_SIZE
# MQVersion ordinal of V5_3_3, what we announce in every command we build.
DEFAULT_VERSION = RMQ_DEFAULT_VERSION

LANGUAGE_NAMES = (
    "JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY",
    "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST", "NODE_JS",
)
LANGUAGE_JAVA = RMQ_LANGUAGE_JAVA
LANGUAGE_PYTHON = RMQ_LANGUAGE_PYTHON
LANGUAGE_OTHER = RMQ_LANGUAGE_OTHER

cdef object _LANGUAGE_CODES = {name: code for code, name in enumerate(LANGUAGE_NAMES)}
cdef object _JAVA_INTEGER = re.compile(r"[+-]?[0-9]+")
cdef object _json_loads = json.loads
cdef object _json_dumps = json.dumps


# -- language names: the C form of LANGUAGE_NAMES -------------------------------------


cdef const char *language_name(int language) noexcept nogil:
    if language == 0:
        return "JAVA"
    elif language == 1:
        return "CPP"
    elif language == 2:
        return "DOTNET"
    elif language == 3:
        return "PYTHON"
    elif language == 4:
        return "DELPHI"
    elif language == 5:
        return "ERLANG"
    elif language == 6:
        return "RUBY"
    elif language == 8:
        return "HTTP"
    elif language == 9:
        return "GO"
    elif language == 10:
        return "PHP"
    elif language == 11:
        return "OMS"
    elif language == 12:
        return "RUST"
    elif language == 13:
        return "NODE_JS"
    return "OTHER"


cdef int language_code(const unsigned char *text, Py_ssize_t size) noexcept nogil:
    cdef int code
    cdef const char *name
    for code in range(RMQ_LANGUAGE_COUNT):
        name = language_name(code)
        if <Py_ssize_t>strlen(name) == size and memcmp(name, text, size) == 0:
            return code
    return RMQ_LANGUAGE_OTHER


# -- RemotingCommand ------------------------------------------------------------------


@cython.final
@cython.freelist(256)
cdef class RemotingCommand:
    """One request or response of the remoting protocol.

    ``ext_fields`` is the custom header (str -> str), ``body`` the opaque
    payload (``None`` when empty). ``serialize_type`` is the header encoding
    the command arrived in or will be sent in. The integer fields are C ints:
    assigning a value outside int32 raises OverflowError.
    """

    def __init__(
        self,
        int code=0,
        ext_fields=None,
        body=None,
        *,
        remark=None,
        int opaque=0,
        int flag=0,
        int language=RMQ_LANGUAGE_JAVA,
        int version=RMQ_DEFAULT_VERSION,
        int serialize_type=RMQ_SERIALIZE_JSON,
    ):
        self.code = code
        self.ext_fields = ext_fields
        self.body = body
        self.remark = remark
        self.opaque = opaque
        self.flag = flag
        self.language = language
        self.version = version
        self.serialize_type = serialize_type

    @staticmethod
    cdef RemotingCommand new(int code, int language, int version, int opaque, int flag,
                             object remark, object ext_fields, int serialize_type):
        # Skips __init__ and its argument parsing; body starts as None.
        cdef RemotingCommand cmd = RemotingCommand.__new__(RemotingCommand)
        cmd.code = code
        cmd.language = language
        cmd.version = version
        cmd.opaque = opaque
        cmd.flag = flag
        cmd.remark = remark
        cmd.ext_fields = ext_fields
        cmd.serialize_type = serialize_type
        return cmd

    @property
    def is_response(self):
        return (self.flag & RMQ_RPC_RESPONSE) != 0

    @property
    def is_oneway(self):
        return (self.flag & RMQ_RPC_ONEWAY) != 0

    def __eq__(self, other):
        cdef RemotingCommand that
        if not isinstance(other, RemotingCommand):
            return NotImplemented
        that = <RemotingCommand>other
        return (
            self.code == that.code
            and self.language == that.language
            and self.version == that.version
            and self.opaque == that.opaque
            and self.flag == that.flag
            and self.remark == that.remark
            and self.ext_fields == that.ext_fields
            and (None if self.body is None else bytes(self.body))
            == (None if that.body is None else bytes(that.body))
            and self.serialize_type == that.serialize_type
        )

    __hash__ = None  # mutable

    def __repr__(self):
        kind = "response" if self.flag & RMQ_RPC_RESPONSE else "request"
        size = 0 if self.body is None else len(self.body)
        return (
            f"RemotingCommand({kind} code={self.code} opaque={self.opaque} flag={self.flag} "
            f"remark={self.remark!r} ext_fields={self.ext_fields!r} body={size}B "
            f"serialize_type={self.serialize_type})"
        )


# -- internals, one concern per file (declared in remoting.pxd) ----------------------

include "remoting_wbuf.pxi"
include "remoting_encode.pxi"
include "remoting_decode_json.pxi"


# -- header and frame encoders ------------------------------------------------------


def encode_json_header(RemotingCommand cmd not None):
    """Compact JSON, keys in fastjson's alphabetical order, extFields as strings.

    Raises ProtocolError for a non-str key or remark, UnicodeEncodeError for
    a lone surrogate. (The int fields are C ints: always within int32.)
    """
    cdef WBuf buf
    wbuf_init(&buf)
    try:
        cmd_encode_json(&buf, cmd)
        return PyBytes_FromStringAndSize(buf.data, buf.size)
    finally:
        wbuf_free(&buf)


def encode_rocketmq_header(RemotingCommand cmd not None):
    """RocketMQSerializable layout; ProtocolError if code or version exceed int16.

    Also ProtocolError for a language outside a byte or a non-str key or
    remark; UnicodeEncodeError for a lone surrogate.
    """
    cdef WBuf buf
    wbuf_init(&buf)
    try:
        cmd_encode_rocketmq(&buf, cmd)
        return PyBytes_FromStringAndSize(buf.data, buf.size)
    finally:
        wbuf_free(&buf)


def encode_header(RemotingCommand cmd not None):
    """The header alone, in ``cmd.serialize_type``."""
    cdef WBuf buf
    wbuf_init(&buf)
    try:
        cmd_encode_header(&buf, cmd)
        return PyBytes_FromStringAndSize(buf.data, buf.size)
    finally:
        wbuf_free(&buf)


def encode_frame_header(RemotingCommand cmd not None):
    """Length prefix, type/length word and header; the body goes after it.

    Lets the transport write a large body without concatenating it.
    """
    cdef WBuf buf
    wbuf_init(&buf)
    try:
        cmd_encode_frame_prefix(&buf, cmd)
        return PyBytes_FromStringAndSize(buf.data, buf.size)
    finally:
        wbuf_free(&buf)


def encode_frame(RemotingCommand cmd not None):
    """A whole frame: prefix, header and body, built in one bytes object."""
    cdef WBuf buf
    cdef object body, frame
    cdef Py_ssize_t body_size
    cdef char *out
    wbuf_init(&buf)
    try:
        cmd_encode_frame_prefix(&buf, cmd)
        body = cmd.body
        if not body:
            return PyBytes_FromStringAndSize(buf.data, buf.size)
        if not PyBytes_CheckExact(body):
            body = bytes(body)
        body_size = PyBytes_GET_SIZE(body)
        frame = PyBytes_FromStringAndSize(NULL, buf.size + body_size)
        out = PyBytes_AS_STRING(frame)
        memcpy(out, buf.data, buf.size)
        memcpy(out + buf.size, PyBytes_AS_STRING(body), body_size)
        return frame
    finally:
        wbuf_free(&buf)


# -- header decoders ------------------------------------------------------------------


def decode_json_header(data):
    """Parse a JSON header; lenient like fastjson (spec §3). Raises FrameError."""
    if not PyBytes_CheckExact(data):
        data = bytes(data)
    return cmd_decode_json(PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))


cdef Py_ssize_t rocketmq_count_entries(const char *data, Py_ssize_t size) noexcept nogil:
    """How many extFields entries ``data`` seems to hold: a dict size hint, unchecked."""
    cdef Py_ssize_t pos = 0, count = 0, key_size, value_size
    while size - pos >= 6:
        key_size = rmq_load_i16(data + pos)
        if key_size < 0 or key_size > size - pos - 6:
            break
        pos += 2 + key_size
        value_size = rmq_load_i32(data + pos)
        if value_size < 0 or value_size > size - pos - 4:
            break
        pos += 4 + value_size
        count += 1
    return count


cdef RemotingCommand cmd_decode_rocketmq(const char *data, Py_ssize_t size):
    """Empty strings decode as absent (as Java 5.x)."""
    cdef Py_ssize_t pos = 17, end, remark_size, ext_size, key_size, value_size
    cdef object remark = None, ext = None, key
    cdef str what = "remark"
    if size < RMQ_ROCKETMQ_FIXED:
        raise FrameError(f"ROCKETMQ header too short: {size} bytes")
    remark_size = rmq_load_i32(data + 13)
    if remark_size < 0 or remark_size > size - pos - 4:
        raise FrameError(f"ROCKETMQ header remark length {remark_size} exceeds header")
    # One try for the whole header: entering a try block has a cost per string.
    try:
        if remark_size:
            remark = PyUnicode_DecodeUTF8(data + pos, remark_size, NULL)
        pos += remark_size
        ext_size = rmq_load_i32(data + pos)
        pos += 4
        if ext_size < 0 or ext_size > size - pos:
            raise FrameError(f"ROCKETMQ header extFields length {ext_size} exceeds header")
        if ext_size:
            ext = rmq_dict_presized(rocketmq_count_entries(data + pos, ext_size))
            end = pos + ext_size
            while pos < end:
                if end - pos < 2:
                    raise FrameError("ROCKETMQ header extFields entry truncated")
                key_size = rmq_load_i16(data + pos)
                pos += 2
                if key_size < 0 or key_size > end - pos - 4:
                    raise FrameError(f"ROCKETMQ header extFields key length {key_size} invalid")
                what = "extFields key"
                key = PyUnicode_DecodeUTF8(data + pos, key_size, NULL)
                pos += key_size
                value_size = rmq_load_i32(data + pos)
                pos += 4
                if value_size < 0 or value_size > end - pos:
                    raise FrameError(
                        f"ROCKETMQ header extFields value length {value_size} invalid"
                    )
                if value_size:
                    what = "extFields value"
                    PyDict_SetItem(ext, key, PyUnicode_DecodeUTF8(data + pos, value_size, NULL))
                pos += value_size
    except UnicodeDecodeError as exc:
        raise FrameError(f"ROCKETMQ header {what} is not UTF-8: {exc}") from None
    return RemotingCommand.new(
        rmq_load_i16(data),
        <unsigned char>data[2],
        rmq_load_i16(data + 3),
        rmq_load_i32(data + 5),
        rmq_load_i32(data + 9),
        remark,
        ext,
        RMQ_SERIALIZE_ROCKETMQ,
    )


def decode_rocketmq_header(data):
    """Parse a ROCKETMQ binary header. Empty strings decode as absent (as Java 5.x)."""
    if not PyBytes_CheckExact(data):
        data = bytes(data)
    return cmd_decode_rocketmq(PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))


# -- frames ---------------------------------------------------------------------------


cdef RemotingCommand frame_decode_payload(const char *data, Py_ssize_t size):
    """``data`` is a frame without its 4-byte length prefix."""
    cdef uint32_t word
    cdef Py_ssize_t header_size, body_size
    cdef unsigned int serialize_type
    cdef RemotingCommand cmd
    if size < 4:
        raise FrameError(f"frame of {size} bytes has no header word")
    word = rmq_load_u32(data)
    serialize_type = word >> 24
    header_size = word & 0xFFFFFF
    if header_size > size - 4:
        raise FrameError(f"header length {header_size} exceeds frame length {size}")
    if serialize_type == RMQ_SERIALIZE_JSON:
        cmd = cmd_decode_json(data + 4, header_size)
    elif serialize_type == RMQ_SERIALIZE_ROCKETMQ:
        cmd = cmd_decode_rocketmq(data + 4, header_size)
    else:
        raise FrameError(f"unknown serialize type {serialize_type}")
    body_size = size - 4 - header_size
    if body_size:
        cmd.body = PyBytes_FromStringAndSize(data + 4 + header_size, body_size)
    return cmd


def decode_frame(data):
    """Decode exactly one whole frame (with its length prefix). Raises FrameError."""
    cdef const char *raw
    cdef Py_ssize_t size
    if not PyBytes_CheckExact(data):
        data = bytes(data)
    raw = PyBytes_AS_STRING(data)
    size = PyBytes_GET_SIZE(data)
    if size < 4:
        raise FrameError("frame shorter than its length field")
    if rmq_load_i32(raw) != size - 4:
        raise FrameError(f"frame length field {rmq_load_i32(raw)} but {size - 4} bytes follow")
    return frame_decode_payload(raw + 4, size - 4)


@cython.final
cdef class FrameDecoder:
    """Incremental frame splitter: feed received bytes, get whole commands.

    A bad length or header raises FrameError; the decoder is then poisoned
    (every later feed raises) because the stream cannot be resynchronised.
    Whole frames are decoded straight from the fed object; only a trailing
    partial frame is copied, into a buffer sized for that frame.
    """

    def __cinit__(self):
        self._data = NULL
        self._start = 0
        self._end = 0
        self._capacity = 0
        self._error = None
        self._busy = False

    def __init__(self, Py_ssize_t max_frame_size=RMQ_MAX_FRAME_SIZE):
        if max_frame_size < 8:
            raise ValueError("max_frame_size must be at least 8")
        self.max_frame_size = max_frame_size

    def __dealloc__(self):
        free(self._data)

    @property
    def buffered_size(self):
        """Bytes received but not yet returned as a frame."""
        return self._end - self._start

    def feed(self, data):
        """Append received bytes; return the commands they complete (maybe [])."""
        cdef Py_buffer view
        cdef bint have_view = False
        cdef const char *raw
        cdef Py_ssize_t size
        cdef list commands = []
        if self._error is not None:
            raise self._error
        if self._busy:
            raise RuntimeError("FrameDecoder.feed() re-entered")
        if PyBytes_CheckExact(data):
            raw = PyBytes_AS_STRING(data)
            size = PyBytes_GET_SIZE(data)
        else:
            PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
            have_view = True
            raw = <const char *>view.buf
            size = view.len
        self._busy = True
        try:
            if self._start == self._end:
                self._feed_direct(raw, size, commands)
            else:
                self._append(raw, size)
                self._feed_buffered(commands)
        finally:
            self._busy = False
            if have_view:
                PyBuffer_Release(&view)
        return commands

    cdef Py_ssize_t _split(self, const char *data, Py_ssize_t size,
                           list commands) except -1:
        """Decode the whole frames at ``data``; return the bytes they took."""
        cdef Py_ssize_t pos = 0, length
        while size - pos >= 4:
            length = rmq_load_i32(data + pos)
            # Checked before waiting for the bytes: a hostile length costs nothing.
            if length < 4 or length + 4 > self.max_frame_size:
                raise FrameError(f"frame length {length} outside [4, {self.max_frame_size - 4}]")
            if size - pos - 4 < length:
                break
            commands.append(frame_decode_payload(data + pos + 4, length))
            pos += 4 + length
        return pos

    cdef int _feed_direct(self, const char *data, Py_ssize_t size, list commands) except -1:
        cdef Py_ssize_t consumed
        try:
            consumed = self._split(data, size, commands)
        except FrameError as exc:
            self._poison(exc)
            raise
        except BaseException:
            # Not a framing error: keep every byte, as the pure twin does.
            self._append(data, size)
            raise
        if consumed < size:
            self._append(data + consumed, size - consumed)
            self._reserve_pending_frame()
        return 0

    cdef int _feed_buffered(self, list commands) except -1:
        cdef Py_ssize_t consumed
        try:
            consumed = self._split(self._data + self._start, self._end - self._start, commands)
        except FrameError as exc:
            self._poison(exc)
            raise
        self._start += consumed
        if self._start == self._end:
            self._start = self._end = 0
            if self._capacity > DECODER_KEEP_CAPACITY:
                self._release()  # do not hold a big frame's buffer per idle connection
        elif consumed:
            self._reserve_pending_frame()
        return 0

    cdef int _reserve_pending_frame(self) except -1:
        # The pending frame's length is known (and was checked): make room for
        # all of it now, so big bodies arriving in chunks are copied once.
        cdef Py_ssize_t pending = self._end - self._start
        if pending >= 4:
            self._reserve(4 + rmq_load_i32(self._data + self._start) - pending)
        return 0

    cdef int _reserve(self, Py_ssize_t extra) except -1:
        cdef Py_ssize_t pending = self._end - self._start
        cdef Py_ssize_t capacity
        cdef char *data
        if extra <= 0 or self._end + extra <= self._capacity:
            return 0
        if self._start:
            memmove(self._data, self._data + self._start, pending)
            self._start = 0
            self._end = pending
            if pending + extra <= self._capacity:
                return 0
        capacity = self._capacity * 2
        if capacity < pending + extra:
            capacity = pending + extra
        if capacity < 4096:
            capacity = 4096
        data = <char *>realloc(self._data, capacity)
        if data == NULL:
            raise MemoryError()
        self._data = data
        self._capacity = capacity
        return 0

    cdef int _append(self, const char *data, Py_ssize_t size) except -1:
        self._reserve(size)
        memcpy(self._data + self._end, data, size)
        self._end += size
        return 0

    cdef int _poison(self, object error) except -1:
        self._error = error
        self._release()
        return 0

    cdef void _release(self) noexcept:
        free(self._data)
        self._data = NULL
        self._start = self._end = self._capacity = 0
