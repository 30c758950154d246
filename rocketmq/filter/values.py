"""Java value rules of upstream's selector evaluation (filter/.../expression/ComparisonExpression).

Expressions evaluate to Python values that stand for Java objects: ``str``
(String), ``int`` (Integer or Long), ``float`` (Double), ``bool`` (Boolean)
or ``None`` (null). Every node's Java type is static: properties are
Strings, literals have their own type and operators a fixed result type.
So a comparison picks its conversion once, when it is compiled
(``compare_function``), instead of testing classes per message.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable

# Static kinds of expression values. NULL: the value is always null (the NULL
# literal, or "-" applied to something that is not a number).
STRING, INT, LONG, DOUBLE, BOOLEAN, NULL = range(6)
KIND_NAMES = ("String", "Integer", "Long", "Double", "Boolean", "null")
NUMERIC_KINDS = frozenset({INT, LONG, DOUBLE})

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
DOUBLE_MAX = 1.7976931348623157e308  # Double.MAX_VALUE
DOUBLE_MIN = 5e-324  # Double.MIN_VALUE: the smallest positive double

Compare = Callable[[object, object], int]


class EvaluationError(Exception):
    """A Java runtime exception inside evaluate (NumberFormatException,
    ClassCastException): upstream's message filter then says "no match"."""


# Integer.parseInt / Long.parseLong: an optional sign, then decimal digits.
# Character.digit accepts every Unicode decimal digit, as int() does; no
# blanks, no underscores.
_JAVA_INTEGER = re.compile(r"[+-]?\d+\Z")

# Double.valueOf (FloatingDecimal.readJavaFormatString) after String.trim():
# NaN / Infinity, or ASCII digits with an optional fraction and exponent, or a
# hexadecimal significand with a mandatory binary exponent; then an optional
# f/F/d/D suffix.
_JAVA_DECIMAL_DOUBLE = re.compile(
    r"[+-]?(?:NaN|Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)([fFdD]?)\Z"
)
_JAVA_HEX_DOUBLE = re.compile(
    r"([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+)[fFdD]?\Z"
)
_JAVA_TRIMMED = "".join(chr(code) for code in range(0x21))  # String.trim(): chars <= ' '

_DOUBLE_BITS = struct.Struct(">d")
_LONG_BITS = struct.Struct(">q")
_CANONICAL_NAN_BITS = 0x7FF8000000000000


def java_integer(text: str, kind: int) -> int:
    """Integer.valueOf (kind INT) or Long.valueOf (kind LONG) of a property value."""
    if _JAVA_INTEGER.match(text) is not None:
        value = int(text)
        low, high = (INT_MIN, INT_MAX) if kind == INT else (LONG_MIN, LONG_MAX)
        if low <= value <= high:
            return value
    raise EvaluationError(f'NumberFormatException: For input string: "{text}"')


def java_double(text: str) -> float:
    """Double.valueOf of a property value."""
    trimmed = text.strip(_JAVA_TRIMMED)
    match = _JAVA_DECIMAL_DOUBLE.match(trimmed)
    if match is not None:
        return float(trimmed[: match.start(1)])
    match = _JAVA_HEX_DOUBLE.match(trimmed)
    if match is not None:
        try:
            value = float.fromhex(match.group(2))
        except OverflowError:
            value = math.inf
        return -value if match.group(1) == "-" else value
    raise EvaluationError(f'NumberFormatException: For input string: "{text}"')


def java_boolean(text: str) -> bool:
    """Boolean.valueOf: "true" in any (ASCII) case; anything else is false."""
    return len(text) == 4 and text.isascii() and text.lower() == "true"


def _double_bits(value: float) -> int:
    if value != value:
        return _CANONICAL_NAN_BITS  # doubleToLongBits folds every NaN into one
    return _LONG_BITS.unpack(_DOUBLE_BITS.pack(value))[0]


def double_compare(left: float, right: float) -> int:
    """Double.compareTo: -0.0 < 0.0, NaN equals NaN and is above +Infinity."""
    if left < right:
        return -1
    if left > right:
        return 1
    left_bits, right_bits = _double_bits(left), _double_bits(right)
    return (left_bits > right_bits) - (left_bits < right_bits)


def _natural(left, right) -> int:
    return (left > right) - (left < right)


def _string_compare(left: str, right: str) -> int:
    # String.compareTo orders UTF-16 code units, not code points.
    return _natural(
        left.encode("utf-16-be", "surrogatepass"), right.encode("utf-16-be", "surrogatepass")
    )


def _incomparable(_left, _right) -> int:
    return -1  # __compare's answer for classes it cannot convert between


def _class_cast(left, _right) -> int:
    # Boolean on the left, String on the right: upstream casts the Boolean to
    # String (a bug), which throws ClassCastException.
    raise EvaluationError(f"ClassCastException: Boolean {left!r} cannot be cast to String")


def compare_function(left_kind: int, right_kind: int) -> Compare:
    """ComparisonExpression.__compare with convertStringExpressions on (as in
    every expression the parser builds): convert one side up, then compareTo.

    The returned function raises EvaluationError where Java throws.
    """
    if left_kind == right_kind:
        if left_kind == DOUBLE:
            return double_compare
        return _string_compare if left_kind == STRING else _natural
    if left_kind == BOOLEAN:
        return _class_cast if right_kind == STRING else _incomparable
    if left_kind in (INT, LONG):
        if right_kind in (INT, LONG):
            return _natural  # Integer widened to Long
        if right_kind == DOUBLE:
            return lambda left, right: double_compare(float(left), right)
        if right_kind == STRING:
            return lambda left, right: _natural(left, java_integer(right, left_kind))
        return _incomparable
    if left_kind == DOUBLE:
        if right_kind in (INT, LONG):
            return lambda left, right: double_compare(left, float(right))
        if right_kind == STRING:
            return lambda left, right: double_compare(left, java_double(right))
        return _incomparable
    if left_kind == STRING:
        if right_kind == BOOLEAN:
            return lambda left, right: _natural(java_boolean(left), right)
        if right_kind in (INT, LONG):
            return lambda left, right: _natural(java_integer(left, right_kind), right)
        if right_kind == DOUBLE:
            return lambda left, right: double_compare(java_double(left), right)
    return _incomparable
