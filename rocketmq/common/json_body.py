"""JSON bodies as Java RocketMQ (fastjson) writes and reads them.

Writing: compact JSON (no whitespace; Go splits route bodies on ``,`` and
``:``), UTF-8 without ``\\u`` escaping of non-ASCII (like fastjson), keys
sorted by default (fastjson orders bean fields by name; ``MapSortField`` sorts
map keys). Integer map keys come out quoted, which every client accepts.

Reading: standard JSON goes through the C parser. fastjson also writes things
that are not JSON (shared/spec/remoting.md §9): unquoted scalar map keys
(``{0:"10.0.0.1:10911"}`` for ``Map<Long, String>``) and object map keys
(``{{"brokerName":"b","queueId":0,"topic":"T"}:123}``); and it accepts single
quoted strings. When the C parser refuses a body, a small tolerant parser reads
it instead. Bare keys come back as ``str`` (so ``{0:"a"}`` and ``{"0":"a"}``
read the same); object or array keys come back as their canonical compact JSON
text (``loads(key)`` gives the object back).
"""

from __future__ import annotations

import json
import re
from typing import Any

from rocketmq.errors import ProtocolError

# Nesting deeper than this is refused (bodies are flat: 4 or 5 levels at most).
JSON_DEPTH_MAX = 128


class JsonBodyError(ProtocolError):
    """A body is not JSON, not even fastjson's dialect of it."""


def dumps(value: Any, *, sort_keys: bool = True) -> bytes:
    """Compact UTF-8 JSON bytes of ``value`` (dicts, lists, str, int, bool, None)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
    return text.encode("utf-8")


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Parse a JSON (or fastjson) body. Raises JsonBodyError."""
    if isinstance(data, str):
        text = data
    else:
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonBodyError(f"body is not UTF-8: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    except RecursionError:
        raise JsonBodyError("JSON nested too deeply") from None
    return _TolerantParser(text).parse()


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
# What fastjson reads as an unquoted key: identifiers and numbers.
_BARE_KEY = re.compile(r"[A-Za-z0-9_$.+-]+")
_LITERALS = {"true": True, "false": False, "null": None}
_scanstring = json.decoder.scanstring  # type: ignore[attr-defined]


# -- typed field access for from_json (lenient like fastjson, strict on types) --------


def get_int(obj: dict, key: str, default: int) -> int:
    value = obj.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ProtocolError(f"field {key} is not an integer: {value!r}")
    try:
        return int(value)
    except ValueError:
        raise ProtocolError(f"field {key} is not an integer: {value!r}") from None


def get_bool(obj: dict, key: str, default: bool) -> bool:
    value = obj.get(key, default)
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def get_str(obj: dict, key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProtocolError(f"field {key} is not a string: {value!r}")
    return value


def as_object(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise ProtocolError(f"{what} is not a JSON object")
    return value


class _TolerantParser:
    """Recursive descent over fastjson's dialect; one instance per document."""

    __slots__ = ("_depth", "_pos", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0
        self._depth = 0

    def parse(self) -> Any:
        value = self._value()
        self._skip_whitespace()
        if self._pos != len(self._text):
            self._fail("trailing data after the JSON value")
        return value

    def _fail(self, what: str) -> None:
        raise JsonBodyError(f"{what} at offset {self._pos}")

    def _skip_whitespace(self) -> None:
        self._pos = _WHITESPACE.match(self._text, self._pos).end()  # type: ignore[union-attr]

    def _peek(self) -> str:
        self._skip_whitespace()
        return self._text[self._pos] if self._pos < len(self._text) else ""

    def _value(self) -> Any:
        char = self._peek()
        if char == "{":
            return self._object()
        if char == "[":
            return self._array()
        if char in ('"', "'"):
            return self._string(char)
        number = _NUMBER.match(self._text, self._pos)
        if number is not None:
            self._pos = number.end()
            if number.group(1) or number.group(2):
                return float(number.group())
            return int(number.group())
        for word, value in _LITERALS.items():
            if self._text.startswith(word, self._pos):
                self._pos += len(word)
                return value
        self._fail("expected a JSON value" if char else "unexpected end of body")
        return None  # unreachable

    def _enter(self) -> None:
        self._depth += 1
        if self._depth > JSON_DEPTH_MAX:
            self._fail(f"JSON nested deeper than {JSON_DEPTH_MAX}")
        self._pos += 1

    def _object(self) -> dict:
        self._enter()
        result: dict = {}
        if self._peek() == "}":
            self._pos += 1
            self._depth -= 1
            return result
        while True:
            key = self._key()
            if self._peek() != ":":
                self._fail("expected ':' after an object key")
            self._pos += 1
            result[key] = self._value()
            char = self._peek()
            self._pos += 1
            if char == "}":
                break
            if char != ",":
                self._pos -= 1
                self._fail("expected ',' or '}' in an object")
        self._depth -= 1
        return result

    def _key(self) -> str:
        char = self._peek()
        if char in ('"', "'"):
            return self._string(char)
        if char in ("{", "["):
            # An object used as a map key: keep it as canonical text (hashable).
            return dumps(self._value()).decode("utf-8")
        bare = _BARE_KEY.match(self._text, self._pos)
        if bare is None:
            self._fail("expected an object key")
        self._pos = bare.end()  # type: ignore[union-attr]
        return bare.group()  # type: ignore[union-attr]

    def _array(self) -> list:
        self._enter()
        result: list = []
        if self._peek() == "]":
            self._pos += 1
            self._depth -= 1
            return result
        while True:
            result.append(self._value())
            char = self._peek()
            self._pos += 1
            if char == "]":
                break
            if char != ",":
                self._pos -= 1
                self._fail("expected ',' or ']' in an array")
        self._depth -= 1
        return result

    def _string(self, quote: str) -> str:
        start = self._pos + 1
        if quote == '"':
            try:
                value, self._pos = _scanstring(self._text, start, False)
            except json.JSONDecodeError as exc:
                raise JsonBodyError(f"bad string at offset {self._pos}: {exc.msg}") from None
            return value
        # Single quotes: rewrite as a double-quoted literal for the JSON unescaper.
        text = self._text
        out = ['"']
        index = start
        while True:
            if index >= len(text):
                self._fail("unterminated string")
            char = text[index]
            if char == "'":
                break
            if char == "\\" and index + 1 < len(text):
                following = text[index + 1]
                out.append("'" if following == "'" else char + following)
                index += 2
                continue
            out.append('\\"' if char == '"' else char)
            index += 1
        out.append('"')
        try:
            value, _ = _scanstring("".join(out), 1, False)
        except json.JSONDecodeError as exc:
            raise JsonBodyError(f"bad string at offset {self._pos}: {exc.msg}") from None
        self._pos = index + 1
        return value
