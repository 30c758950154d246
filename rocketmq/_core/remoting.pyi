"""Type stubs of rocketmq._core.remoting, shared by the Cython module and its pure twin."""

from typing import Final

SERIALIZE_JSON: Final[int]
SERIALIZE_ROCKETMQ: Final[int]
RPC_RESPONSE: Final[int]
RPC_ONEWAY: Final[int]
MAX_FRAME_SIZE: Final[int]
MAX_HEADER_SIZE: Final[int]
DEFAULT_VERSION: Final[int]
LANGUAGE_NAMES: Final[tuple[str, ...]]
LANGUAGE_JAVA: Final[int]
LANGUAGE_PYTHON: Final[int]
LANGUAGE_OTHER: Final[int]

class RemotingCommand:
    code: int
    ext_fields: dict[str, str] | None
    body: bytes | None
    remark: str | None
    opaque: int
    flag: int
    language: int
    version: int
    serialize_type: int
    def __init__(
        self,
        code: int = 0,
        ext_fields: dict[str, str] | None = None,
        body: bytes | None = None,
        *,
        remark: str | None = None,
        opaque: int = 0,
        flag: int = 0,
        language: int = ...,
        version: int = ...,
        serialize_type: int = ...,
    ) -> None: ...
    @property
    def is_response(self) -> bool: ...
    @property
    def is_oneway(self) -> bool: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: None  # type: ignore[assignment]

def encode_json_header(cmd: RemotingCommand) -> bytes: ...
def decode_json_header(data: bytes | bytearray | memoryview) -> RemotingCommand: ...
def encode_rocketmq_header(cmd: RemotingCommand) -> bytes: ...
def decode_rocketmq_header(data: bytes | bytearray | memoryview) -> RemotingCommand: ...
def encode_header(cmd: RemotingCommand) -> bytes: ...
def encode_frame_header(cmd: RemotingCommand) -> bytes: ...
def encode_frame(cmd: RemotingCommand) -> bytes: ...
def decode_frame(data: bytes | bytearray | memoryview) -> RemotingCommand: ...

class FrameDecoder:
    max_frame_size: int
    def __init__(self, max_frame_size: int = ...) -> None: ...
    @property
    def buffered_size(self) -> int: ...
    def feed(self, data: bytes | bytearray | memoryview) -> list[RemotingCommand]: ...
