"""Reading custom headers (extFields) that have no hand-written codec.

Missing or malformed fields raise HeaderError, which the connection answers
with SYSTEM_ERROR and the message as remark (upstream: RemotingCommandException).
"""

from __future__ import annotations

from collections.abc import Mapping

from rocketmq._core import headers
from rocketmq.errors import HeaderError

_NO_FIELDS: dict[str, str] = {}


def ext_of(request) -> Mapping[str, str]:
    return request.ext_fields or _NO_FIELDS


def required_str(ext: Mapping[str, str], key: str) -> str:
    value = ext.get(key)
    if value is None:
        raise HeaderError(f"the custom field <{key}> is null")
    return value


def optional_str(ext: Mapping[str, str], key: str) -> str | None:
    return ext.get(key)


def required_int(ext: Mapping[str, str], key: str) -> int:
    return headers.parse_java_int(required_str(ext, key), key)


def required_long(ext: Mapping[str, str], key: str) -> int:
    return headers.parse_java_long(required_str(ext, key), key)


def optional_long(ext: Mapping[str, str], key: str) -> int | None:
    value = ext.get(key)
    return None if value is None else headers.parse_java_long(value, key)


def optional_int(ext: Mapping[str, str], key: str) -> int | None:
    value = ext.get(key)
    return None if value is None else headers.parse_java_int(value, key)


def optional_bool(ext: Mapping[str, str], key: str) -> bool | None:
    value = ext.get(key)
    return None if value is None else headers.parse_java_bool(value)
