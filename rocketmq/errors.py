"""Exception hierarchy.

RocketMQError is the root. BrokerError carries a response code; one leaf class
per response code is generated below from ResponseCode (do not add them by
hand: add the code to rocketmq.common.codes). Remoting errors also derive from
the builtin ConnectionError / TimeoutError so generic handlers catch them.
"""

from __future__ import annotations

import builtins

from rocketmq.common.codes import RESPONSE_CODE_NAMES


class RocketMQError(Exception):
    """Root of every error this package raises on purpose."""


class ProtocolError(RocketMQError, ValueError):
    """Malformed input from the wire (or a bug in an encoder)."""


class FrameError(ProtocolError):
    """A frame cannot be split or decoded; the connection must be closed."""


class HeaderError(ProtocolError):
    """A custom header (extFields) field is missing or malformed."""


class ClientError(RocketMQError, ValueError):
    """The caller misused the API."""


class SelectorError(RocketMQError, ValueError):
    """A message selector (SQL92 filter expression) that does not compile.

    ``position`` is the 0-based index in the expression where the problem
    was found; ``line`` and ``column`` are the same place counted from 1.
    """

    def __init__(self, message: str, position: int, line: int, column: int) -> None:
        super().__init__(message)
        self.position = position
        self.line = line
        self.column = column


class RemotingError(RocketMQError):
    """Transport failure."""


class RemotingConnectError(RemotingError, ConnectionError):
    """Could not connect to, or lost the connection to, a peer."""


class RemotingSendRequestError(RemotingError, ConnectionError):
    """The request could not be written to the peer."""


class RemotingTimeoutError(RemotingError, TimeoutError):
    """No response within the call's timeout."""


class RemotingTooMuchRequestError(RemotingError):
    """Too many requests in flight on this client."""


class _BrokerErrorMeta(type):
    """Registers BrokerError leaves by code and rejects a code used twice."""

    registry: dict[int, type] = {}

    def __new__(mcs, name, bases, namespace):
        cls = super().__new__(mcs, name, bases, namespace)
        code = namespace.get("code")
        if code is not None:
            if code in mcs.registry:
                raise TypeError(f"response code {code} already has {mcs.registry[code].__name__}")
            mcs.registry[code] = cls
        return cls


class BrokerError(RocketMQError, metaclass=_BrokerErrorMeta):
    """A peer answered with a non-success response code.

    ``BrokerError(code, remark, addr)`` returns the leaf class of that code
    when one exists, so ``except TopicNotExistError`` works.
    """

    code: int = -1

    def __new__(cls, code: int, remark: str | None = None, addr: str | None = None):
        if cls is BrokerError:
            cls = _BrokerErrorMeta.registry.get(code, BrokerError)
        return super().__new__(cls)

    def __init__(self, code: int, remark: str | None = None, addr: str | None = None) -> None:
        super().__init__(code, remark, addr)
        self.code = code
        self.remark = remark
        self.addr = addr

    def __str__(self) -> str:
        name = RESPONSE_CODE_NAMES.get(self.code, "UNKNOWN")
        where = f" from {self.addr}" if self.addr else ""
        return f"CODE: {self.code} ({name}) DESC: {self.remark}{where}"


def _class_name(code_name: str) -> str:
    base = "".join(part.capitalize() for part in code_name.split("_"))
    name = base if base.endswith("Error") else base + "Error"
    # SYSTEM_ERROR must not shadow the builtin SystemError.
    return "Broker" + name if hasattr(builtins, name) else name


def _generate_leaves() -> list[str]:
    names = []
    for code, code_name in sorted(RESPONSE_CODE_NAMES.items()):
        if code == 0:
            continue
        class_name = _class_name(code_name)
        globals()[class_name] = _BrokerErrorMeta(
            class_name, (BrokerError,), {"code": code, "__module__": __name__}
        )
        names.append(class_name)
    return names


BROKER_ERROR_CLASSES: list[str] = _generate_leaves()
