"""java.util.Properties text (broker.conf, namesrv.conf) and upstream key mapping.

Each config module maps upstream camelCase keys to its own dataclass fields
with a table ``{key: (field, parser)}``; ``upstream_changes`` applies one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


def parse_bool(text: str) -> bool:
    """Boolean.parseBoolean: "true" in any case, everything else false."""
    return text.strip().lower() == "true"


def upstream_changes(
    properties: Mapping[str, str], keys: Mapping[str, tuple[str, Callable[[str], object]]]
) -> dict[str, object]:
    """Field values for the keys of ``properties`` that ``keys`` knows; others are ignored.

    Raises ValueError naming the key whose value does not parse.
    """
    changes: dict[str, object] = {}
    for key, raw in properties.items():
        mapped = keys.get(key)
        if mapped is None:
            continue
        name, parse = mapped
        try:
            changes[name] = parse(raw.strip())
        except ValueError:
            raise ValueError(f"bad value for {key}: {raw!r}") from None
    return changes


_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def parse_properties(text: str) -> dict[str, str]:
    """java.util.Properties#load, the parts conf files use.

    ``key=value``, ``key: value`` or ``key value``; ``#`` and ``!`` start
    comment lines; a trailing backslash continues the line; ``\\t \\n \\uXXXX``
    escapes. Later keys win. Leading whitespace of the value is dropped.
    """
    result: dict[str, str] = {}
    logical: list[str] = []
    for raw_line in text.splitlines():
        line = raw_line.lstrip(" \t\f")
        if not logical and (not line or line[0] in "#!"):
            continue
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2 == 1:
            logical.append(line[:-1])
            continue
        logical.append(line)
        key, value = _split_property("".join(logical))
        logical = []
        result[key] = value
    if logical:
        key, value = _split_property("".join(logical))
        result[key] = value
    return result


def _split_property(line: str) -> tuple[str, str]:
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\":
            index += 2
            continue
        if char in "=: \t\f":
            break
        index += 1
    key = line[:index]
    rest = line[index:].lstrip(" \t\f")
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(" \t\f")
    return _unescape(key), _unescape(rest)


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "\\" or index + 1 >= len(text):
            out.append(char)
            index += 1
            continue
        following = text[index + 1]
        if following == "u" and index + 6 <= len(text):
            try:
                out.append(chr(int(text[index + 2 : index + 6], 16)))
                index += 6
                continue
            except ValueError:
                pass
        out.append(_ESCAPES.get(following, following))
        index += 2
    return "".join(out)
