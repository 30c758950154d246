"""Remoting codec, pure-Python twin of rocketmq/_core/remoting.pyx.

Frame splitter and the JSON and ROCKETMQ header codecs; the typed headers of
the hottest requests are the sibling module ``headers``.

Same names, signatures, defaults and errors as the Cython module; it is the
oracle of the differential tests and the fallback under ROCKETMQ_PUREPYTHON=1.
Wire layout: shared/spec/remoting.md §1-§4.
"""

from __future__ import annotations

import json
import re
import struct

from rocketmq.errors import FrameError, ProtocolError

SERIALIZE_JSON = 0
SERIALIZE_ROCKETMQ = 1
RPC_RESPONSE = 1  # flag bit0
RPC_ONEWAY = 2  # flag bit1
# Java's NettyDecoder limit; counts the whole frame including the length field.
MAX_FRAME_SIZE = 16 * 1024 * 1024
# Header length lives in the low 24 bits of the second word.
MAX_HEADER_SIZE = (1 << 24) - 1
# MQVersion ordinal of V5_3_3, what we announce in every command we build.
DEFAULT_VERSION = 479

LANGUAGE_NAMES = (
    "JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY",
    "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST", "NODE_JS",
)  # fmt: skip
LANGUAGE_JAVA = 0
LANGUAGE_PYTHON = 3
LANGUAGE_OTHER = 7
_LANGUAGE_CODES = {name: code for code, name in enumerate(LANGUAGE_NAMES)}

_ROCKETMQ_FIXED = 21  # code..flag (13) + remark length (4) + extFields length (4)
_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1
_JAVA_INTEGER = re.compile(r"[+-]?[0-9]+")


class RemotingCommand:
    """One request or response of the remoting protocol.

    ``ext_fields`` is the custom header (str -> str), ``body`` the opaque
    payload (``None`` when empty). ``serialize_type`` is the header encoding
    the command arrived in or will be sent in.
    """

    __slots__ = (
        "body",
        "code",
        "ext_fields",
        "flag",
        "language",
        "opaque",
        "remark",
        "serialize_type",
        "version",
    )

    def __init__(
        self,
        code: int = 0,
        ext_fields: dict | None = None,
        body: bytes | None = None,
        *,
        remark: str | None = None,
        opaque: int = 0,
        flag: int = 0,
        language: int = LANGUAGE_JAVA,
        version: int = DEFAULT_VERSION,
        serialize_type: int = SERIALIZE_JSON,
    ) -> None:
        self.code = code
        self.ext_fields = ext_fields
        self.body = body
        self.remark = remark
        self.opaque = opaque
        self.flag = flag
        self.language = language
        self.version = version
        self.serialize_type = serialize_type

    @property
    def is_response(self) -> bool:
        return bool(self.flag & RPC_RESPONSE)

    @property
    def is_oneway(self) -> bool:
        return bool(self.flag & RPC_ONEWAY)

    def _key(self) -> tuple:
        return (
            self.code,
            self.language,
            self.version,
            self.opaque,
            self.flag,
            self.remark,
            self.ext_fields,
            None if self.body is None else bytes(self.body),
            self.serialize_type,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RemotingCommand):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # mutable

    def __repr__(self) -> str:
        kind = "response" if self.flag & RPC_RESPONSE else "request"
        size = 0 if self.body is None else len(self.body)
        return (
            f"RemotingCommand({kind} code={self.code} opaque={self.opaque} flag={self.flag} "
            f"remark={self.remark!r} ext_fields={self.ext_fields!r} body={size}B "
            f"serialize_type={self.serialize_type})"
        )


# -- value coercion shared by both header encodings ---------------------------


def _ext_value_to_str(value: object) -> str | None:
    """A custom-header value as Java would see it: str, or None for absent."""
    if value is None or type(value) is str:
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, str):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# -- JSON header ----------------------------------------------------------------


def _json_int(fields: dict, key: str) -> int:
    value = fields.get(key, 0)
    if value is None:
        return 0
    if type(value) is bool or not isinstance(value, int | str):
        raise FrameError(f"JSON header field {key!r} is not an integer: {value!r}")
    if isinstance(value, str):
        if not _JAVA_INTEGER.fullmatch(value):
            raise FrameError(f"JSON header field {key!r} is not an integer: {value!r}")
        # Leading zeros are free, as in Integer.parseInt; int() alone would
        # raise ValueError past sys.get_int_max_str_digits().
        digits = value.lstrip("+-").lstrip("0")
        if len(digits) > 10:
            raise FrameError(f"JSON header field {key!r} out of int32 range: {value}")
        value = int(("-" if value[0] == "-" else "") + (digits or "0"))
    if not _INT32_MIN <= value <= _INT32_MAX:
        raise FrameError(f"JSON header field {key!r} out of int32 range: {value}")
    return value


def encode_json_header(cmd: RemotingCommand) -> bytes:
    """Compact JSON, keys in fastjson's alphabetical order, extFields as strings.

    Raises ProtocolError for an int field outside int32 (the decoder would
    refuse it) or a non-str key or remark, UnicodeEncodeError for a lone
    surrogate.
    """
    for name in ("code", "flag", "opaque", "version"):
        _int32(getattr(cmd, name), name)
    parts = [f'{{"code":{int(cmd.code)}']
    if cmd.ext_fields is not None:
        items = []
        for key, value in cmd.ext_fields.items():
            text = _ext_value_to_str(value)
            if text is not None:
                items.append(_json_str(key) + ":" + _json_str(text))
        parts.append(',"extFields":{' + ",".join(items) + "}")
    language = cmd.language
    name = LANGUAGE_NAMES[language] if 0 <= language < len(LANGUAGE_NAMES) else "OTHER"
    parts.append(f',"flag":{int(cmd.flag)},"language":"{name}","opaque":{int(cmd.opaque)}')
    if cmd.remark is not None:
        parts.append(',"remark":' + _json_str(cmd.remark))
    parts.append(f',"version":{int(cmd.version)}}}')
    return "".join(parts).encode("utf-8")


def _header_str(text: str) -> str:
    """``text`` itself; ProtocolError unless it is exactly a str (as the Cython twin)."""
    if type(text) is not str:
        raise ProtocolError(f"header string expected, got {type(text).__name__}")
    return text


def _json_str(text: str) -> str:
    return json.dumps(_header_str(text), ensure_ascii=False)


def decode_json_header(data: bytes) -> RemotingCommand:
    """Parse a JSON header; lenient like fastjson (see spec §3). Raises FrameError."""
    try:
        fields = json.loads(bytes(data).decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise FrameError(f"JSON header is not UTF-8: {exc}") from None
    except ValueError as exc:  # also an integer past sys.get_int_max_str_digits()
        raise FrameError(f"JSON header does not parse: {exc}") from None
    except RecursionError:
        raise FrameError("JSON header nests deeper than the recursion limit") from None
    if not isinstance(fields, dict):
        raise FrameError("JSON header is not an object")
    cmd = RemotingCommand(
        _json_int(fields, "code"),
        opaque=_json_int(fields, "opaque"),
        flag=_json_int(fields, "flag"),
        version=_json_int(fields, "version"),
        serialize_type=SERIALIZE_JSON,
    )
    language = fields.get("language")
    if isinstance(language, str):
        cmd.language = _LANGUAGE_CODES.get(language, LANGUAGE_OTHER)
    elif type(language) is int and 0 <= language <= 255:
        cmd.language = language
    elif language is None:
        cmd.language = LANGUAGE_JAVA
    else:
        raise FrameError(f"JSON header field 'language' is invalid: {language!r}")
    remark = fields.get("remark")
    if remark is not None and not isinstance(remark, str):
        raise FrameError(f"JSON header field 'remark' is not a string: {remark!r}")
    cmd.remark = remark
    ext = fields.get("extFields")
    if ext is not None:
        if not isinstance(ext, dict):
            raise FrameError("JSON header field 'extFields' is not an object")
        cmd.ext_fields = _coerce_ext(ext)
    return cmd


def _coerce_ext(ext: dict) -> dict:
    """A decoded extFields with every value as Java reads it (str), nulls dropped."""
    coerced = {}
    try:
        for key, value in ext.items():
            text = _ext_value_to_str(value)
            if text is not None:
                coerced[key] = text
    except RecursionError:
        # json.dumps of a nested value json.loads just managed to build
        raise FrameError("JSON header extFields value nests too deeply") from None
    return coerced


# -- ROCKETMQ binary header -------------------------------------------------------


def encode_rocketmq_header(cmd: RemotingCommand) -> bytes:
    """RocketMQSerializable layout; ProtocolError if code or version exceed int16.

    Also ProtocolError for opaque or flag outside int32, a language outside a
    byte, a non-str key or remark; UnicodeEncodeError for a lone surrogate.
    """
    if not -32768 <= cmd.code <= 32767:
        raise ProtocolError(f"code {cmd.code} does not fit the ROCKETMQ header (int16)")
    if not -32768 <= cmd.version <= 32767:
        raise ProtocolError(f"version {cmd.version} does not fit the ROCKETMQ header (int16)")
    if not 0 <= cmd.language <= 255:
        raise ProtocolError(f"language {cmd.language} does not fit the ROCKETMQ header")
    opaque = _int32(cmd.opaque, "opaque")
    flag = _int32(cmd.flag, "flag")
    # "" and None both go out as length 0, which Java reads as null.
    remark = b"" if cmd.remark is None else _header_str(cmd.remark).encode("utf-8")
    ext = bytearray()
    if cmd.ext_fields:
        for key, value in cmd.ext_fields.items():
            text = _ext_value_to_str(value)
            if text is None:
                continue
            key_bytes = _header_str(key).encode("utf-8")
            if len(key_bytes) > 32767:
                raise ProtocolError("extFields key longer than 32767 bytes")
            value_bytes = text.encode("utf-8")
            ext += struct.pack(">h", len(key_bytes)) + key_bytes
            ext += struct.pack(">i", len(value_bytes)) + value_bytes
    return b"".join(
        (
            struct.pack(">hBhiii", cmd.code, cmd.language, cmd.version, opaque, flag, len(remark)),
            remark,
            struct.pack(">i", len(ext)),
            bytes(ext),
        )
    )


def _int32(value: int, name: str) -> int:
    if not _INT32_MIN <= value <= _INT32_MAX:
        raise ProtocolError(f"{name} {value} out of int32 range")
    return value


def decode_rocketmq_header(data: bytes) -> RemotingCommand:
    """Parse a ROCKETMQ binary header. Empty strings decode as absent (as Java 5.x)."""
    data = bytes(data)
    size = len(data)
    if size < _ROCKETMQ_FIXED:
        raise FrameError(f"ROCKETMQ header too short: {size} bytes")
    code, language, version, opaque, flag, remark_len = struct.unpack_from(">hbhiii", data, 0)
    pos = 17
    if remark_len < 0 or remark_len > size - pos - 4:
        raise FrameError(f"ROCKETMQ header remark length {remark_len} exceeds header")
    remark = _utf8(data[pos : pos + remark_len], "remark") if remark_len else None
    pos += remark_len
    (ext_len,) = struct.unpack_from(">i", data, pos)
    pos += 4
    if ext_len < 0 or ext_len > size - pos:
        raise FrameError(f"ROCKETMQ header extFields length {ext_len} exceeds header")
    ext_fields = None
    if ext_len:
        ext_fields = {}
        end = pos + ext_len
        while pos < end:
            if end - pos < 2:
                raise FrameError("ROCKETMQ header extFields entry truncated")
            (key_len,) = struct.unpack_from(">h", data, pos)
            pos += 2
            if key_len < 0 or key_len > end - pos - 4:
                raise FrameError(f"ROCKETMQ header extFields key length {key_len} invalid")
            key = _utf8(data[pos : pos + key_len], "extFields key")
            pos += key_len
            (value_len,) = struct.unpack_from(">i", data, pos)
            pos += 4
            if value_len < 0 or value_len > end - pos:
                raise FrameError(f"ROCKETMQ header extFields value length {value_len} invalid")
            if value_len:
                ext_fields[key] = _utf8(data[pos : pos + value_len], "extFields value")
            pos += value_len
    return RemotingCommand(
        code,
        ext_fields,
        remark=remark,
        opaque=opaque,
        flag=flag,
        language=language & 0xFF,
        version=version,
        serialize_type=SERIALIZE_ROCKETMQ,
    )


def _utf8(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FrameError(f"ROCKETMQ header {what} is not UTF-8: {exc}") from None


# -- frames -------------------------------------------------------------------------


def encode_header(cmd: RemotingCommand) -> bytes:
    """The header alone, in ``cmd.serialize_type``."""
    if cmd.serialize_type == SERIALIZE_JSON:
        return encode_json_header(cmd)
    if cmd.serialize_type == SERIALIZE_ROCKETMQ:
        return encode_rocketmq_header(cmd)
    raise ProtocolError(f"unknown serialize type {cmd.serialize_type}")


def encode_frame_header(cmd: RemotingCommand) -> bytes:
    """Length prefix, type/length word and header; the body goes after it.

    Lets the transport write a large body without concatenating it.
    """
    header = encode_header(cmd)
    body_size = 0 if cmd.body is None else len(cmd.body)
    if len(header) > MAX_HEADER_SIZE:
        raise ProtocolError(f"header of {len(header)} bytes exceeds {MAX_HEADER_SIZE}")
    length = 4 + len(header) + body_size
    if length > _INT32_MAX:
        raise ProtocolError(f"frame of {length} bytes does not fit the length field")
    return struct.pack(">iI", length, (cmd.serialize_type << 24) | len(header)) + header


def encode_frame(cmd: RemotingCommand) -> bytes:
    """A whole frame: prefix, header and body."""
    prefix = encode_frame_header(cmd)
    return prefix + bytes(cmd.body) if cmd.body else prefix


def _decode_payload(payload: bytes) -> RemotingCommand:
    """``payload`` is a frame without its 4-byte length prefix."""
    if len(payload) < 4:
        raise FrameError(f"frame of {len(payload)} bytes has no header word")
    (word,) = struct.unpack_from(">I", payload, 0)
    serialize_type = word >> 24
    header_size = word & 0xFFFFFF
    if header_size > len(payload) - 4:
        raise FrameError(f"header length {header_size} exceeds frame length {len(payload)}")
    header = payload[4 : 4 + header_size]
    if serialize_type == SERIALIZE_JSON:
        cmd = decode_json_header(header)
    elif serialize_type == SERIALIZE_ROCKETMQ:
        cmd = decode_rocketmq_header(header)
    else:
        raise FrameError(f"unknown serialize type {serialize_type}")
    body = payload[4 + header_size :]
    cmd.body = bytes(body) if body else None
    return cmd


def decode_frame(data: bytes) -> RemotingCommand:
    """Decode exactly one whole frame (with its length prefix)."""
    data = bytes(data)
    if len(data) < 4:
        raise FrameError("frame shorter than its length field")
    (length,) = struct.unpack_from(">i", data, 0)
    if length != len(data) - 4:
        raise FrameError(f"frame length field {length} but {len(data) - 4} bytes follow")
    return _decode_payload(data[4:])


class FrameDecoder:
    """Incremental frame splitter: feed received bytes, get whole commands.

    A bad length or header raises FrameError; the decoder is then poisoned
    (every later feed raises) because the stream cannot be resynchronised.
    """

    def __init__(self, max_frame_size: int = MAX_FRAME_SIZE) -> None:
        if max_frame_size < 8:
            raise ValueError("max_frame_size must be at least 8")
        self.max_frame_size = max_frame_size
        self._buffer = bytearray()
        self._error: FrameError | None = None

    @property
    def buffered_size(self) -> int:
        """Bytes received but not yet returned as a frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[RemotingCommand]:
        if self._error is not None:
            raise self._error
        self._buffer += data
        buffer = self._buffer
        commands = []
        pos = 0
        try:
            while len(buffer) - pos >= 4:
                (length,) = struct.unpack_from(">i", buffer, pos)
                if length < 4 or length + 4 > self.max_frame_size:
                    raise FrameError(
                        f"frame length {length} outside [4, {self.max_frame_size - 4}]"
                    )
                if len(buffer) - pos - 4 < length:
                    break
                commands.append(_decode_payload(bytes(buffer[pos + 4 : pos + 4 + length])))
                pos += 4 + length
        except FrameError as exc:
            self._error = exc
            self._buffer = bytearray()
            raise
        del buffer[:pos]
        return commands
