"""Tokens of a message selector: upstream's SelectorParser.jj token section.

Tokens are made on demand, like the JavaCC token manager does: the parser
only ever looks one or two tokens ahead, so a bad character after a complete
expression is an error only when the parser had to look at it.

At each position the longest token wins; between equally long ones the
keyword wins over an identifier ("NOT" is NOT, "NOTE" is an identifier).
Keywords are case-insensitive, identifiers are ASCII ``[A-Za-z_$][A-Za-z0-9_$]*``
and case-sensitive. Blanks are space, \\t, \\n, \\r and \\f only. A ``--`` line
comment needs its line end (at the very end of the text it is two minus
signs); ``/* */`` comments may span lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rocketmq.errors import SelectorError

KEYWORDS = frozenset(
    {
        "NOT",
        "AND",
        "OR",
        "BETWEEN",
        "IN",
        "TRUE",
        "FALSE",
        "NULL",
        "IS",
        "CONTAINS",
        "STARTSWITH",
        "ENDSWITH",
    }
)
# Token kinds besides the keywords (a keyword's kind is its upper-case text).
EOF = "<EOF>"
DECIMAL = "<DECIMAL_LITERAL>"
FLOAT = "<FLOATING_POINT_LITERAL>"
STRING = "<STRING_LITERAL>"
ID = "<ID>"

_BLANKS = re.compile(r"[ \t\n\r\f]+")
_LINE_COMMENT = re.compile(r"--[^\n\r]*(?:\r\n|\n|\r)")
_BLOCK_COMMENT = re.compile(r"/\*[^*]*\*+(?:[^*/][^*]*\*+)*/")
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_DECIMAL = re.compile(r"0|[1-9][0-9]*[lL]?")
_FLOAT = re.compile(
    r"[0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+"
)
_STRING = re.compile(r"'(?:[^']|'')*'")
# Longest first, so "<>" and "<=" win over "<".
_PUNCTUATION = ("<>", "<=", ">=", "=", ">", "<", "(", ",", ")", "+", "-")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    image: str  # the source text of the token
    position: int  # 0-based index in the expression

    @property
    def end(self) -> int:
        return self.position + len(self.image)

    def describe(self) -> str:
        return "end of expression" if self.kind == EOF else repr(self.image)


def line_column(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of ``position`` (\\n, \\r and \\r\\n end lines)."""
    before = text[:position].replace("\r\n", "\n").replace("\r", "\n")
    line = before.count("\n") + 1
    return line, len(before) - (before.rfind("\n") + 1) + 1


def selector_error(text: str, message: str, position: int) -> SelectorError:
    line, column = line_column(text, position)
    return SelectorError(f"{message} (line {line}, column {column})", position, line, column)


class Lexer:
    """Tokens of ``text`` with look-ahead; raises SelectorError on a bad character."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._cursor = 0  # where the next unread token starts (blanks included)
        self._ahead: list[Token] = []

    def peek(self, distance: int = 1) -> Token:
        """The token ``distance`` places ahead (1: the next one); EOF repeats."""
        while len(self._ahead) < distance:
            self._ahead.append(self._read())
        return self._ahead[distance - 1]

    def next(self) -> Token:
        token = self.peek()
        del self._ahead[0]
        return token

    def _read(self) -> Token:
        text = self.text
        cursor = self._skip(self._cursor)
        if cursor >= len(text):
            self._cursor = cursor
            return Token(EOF, "", cursor)
        token = self._token_at(cursor)
        self._cursor = token.end
        return token

    def _skip(self, cursor: int) -> int:
        text = self.text
        while True:
            match = (
                _BLANKS.match(text, cursor)
                or _LINE_COMMENT.match(text, cursor)
                or _BLOCK_COMMENT.match(text, cursor)
            )
            if match is None:
                return cursor
            cursor = match.end()

    def _token_at(self, cursor: int) -> Token:
        text = self.text
        char = text[cursor]
        match = _IDENTIFIER.match(text, cursor)
        if match is not None:
            image = match.group()
            upper = image.upper()
            return Token(upper if upper in KEYWORDS else ID, image, cursor)
        if char.isascii() and (char.isdigit() or char == "."):
            decimal = _DECIMAL.match(text, cursor)
            floating = _FLOAT.match(text, cursor)
            # Longest match: "1.5" is a float, "15L" a decimal, "1e5L" a float then L.
            if floating is not None and (decimal is None or floating.end() > decimal.end()):
                return Token(FLOAT, floating.group(), cursor)
            if decimal is not None:
                return Token(DECIMAL, decimal.group(), cursor)
        elif char == "'":
            match = _STRING.match(text, cursor)
            if match is None:
                raise selector_error(text, "Lexical error: unterminated string literal", cursor)
            return Token(STRING, match.group(), cursor)
        else:
            for symbol in _PUNCTUATION:
                if text.startswith(symbol, cursor):
                    return Token(symbol, symbol, cursor)
        raise selector_error(text, f"Lexical error: unexpected character {char!r}", cursor)


def string_value(image: str) -> str:
    """The text of a string literal: quotes removed, '' read as '."""
    return image[1:-1].replace("''", "'")
