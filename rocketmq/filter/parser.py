"""SelectorParser: recursive descent over upstream's SelectorParser.jj grammar.

Precedence, loosest first (each level loops left to right)::

    or          and ( OR and )*
    and         equality ( AND equality )*
    equality    comparison ( = comparison | <> comparison | IS NULL | IS NOT NULL )*
    comparison  unary ( > unary | >= unary | < unary | <= unary
                      | [NOT] CONTAINS|STARTSWITH|ENDSWITH 'text'
                      | [NOT] BETWEEN unary AND unary | [NOT] IN ('a', 'b', ...) )*
    unary       + unary | - unary | NOT unary | primary
    primary     literal | property | ( or )

So ``NOT`` binds tighter than any comparison: ``NOT a = 1`` is
``(NOT a) = 1`` (never TRUE), and ``NOT a > 1`` does not compile; write
``NOT (a > 1)``. Like upstream (whose top rule does not require the end of
input), text after a complete expression is ignored when the parser does
not need to read into it: ``a = 1 b`` compiles as ``a = 1``
(``Selector.ignored_from`` says where the ignored part starts).
"""

from __future__ import annotations

from collections import OrderedDict

from rocketmq.errors import SelectorError
from rocketmq.filter import expressions
from rocketmq.filter.expressions import ExpressionError, Node, Properties
from rocketmq.filter.lexer import DECIMAL, EOF, FLOAT, ID, STRING, Lexer, Token, selector_error
from rocketmq.filter.lexer import string_value as literal_text
from rocketmq.filter.values import EvaluationError

SELECTOR_LENGTH_MAX = 64 * 1024  # characters
NESTING_DEPTH_MAX = 64  # nested unary operators and parentheses
SELECTOR_CACHE_SIZE = 256  # compiled expressions kept (upstream keeps 100)

_RELATIONS = frozenset({">", ">=", "<", "<="})
_STRING_TESTS = frozenset({"CONTAINS", "STARTSWITH", "ENDSWITH"})
_AFTER_NOT = _STRING_TESTS | {"BETWEEN", "IN"}
_LITERALS = frozenset({STRING, DECIMAL, FLOAT, "TRUE", "FALSE", "NULL"})


class Selector:
    """A compiled SQL92 selector; evaluate it against a message's properties."""

    __slots__ = ("_evaluate", "expression", "ignored_from")

    def __init__(self, expression: str, node: Node, ignored_from: int | None) -> None:
        self.expression = expression
        self.ignored_from = ignored_from  # where ignored trailing text starts, or None
        self._evaluate = node.evaluate

    def evaluate(self, properties: Properties) -> bool | None:
        """TRUE, FALSE or None (unknown); raises EvaluationError where Java throws."""
        return self._evaluate(properties)

    def matches(self, properties: Properties) -> bool:
        """The broker's verdict (ExpressionMessageFilter#isMatchedByCommitLog):
        only TRUE matches; unknown and evaluation errors do not."""
        try:
            return self._evaluate(properties) is True
        except EvaluationError:
            return False

    def __repr__(self) -> str:
        return f"Selector({self.expression!r})"


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lexer = Lexer(text)
        self.depth = 0
        self.end = 0  # end of the last token consumed

    # -- tokens ---------------------------------------------------------------------------------

    def next(self) -> Token:
        token = self.lexer.next()
        self.end = token.end
        return token

    def expect(self, kind: str, what: str) -> Token:
        token = self.lexer.peek()
        if token.kind != kind:
            raise self.unexpected(token, what)
        return self.next()

    def unexpected(self, token: Token, expected: str) -> SelectorError:
        return selector_error(
            self.text, f"Encountered {token.describe()}; expected {expected}", token.position
        )

    def start(self) -> int:
        return self.lexer.peek().position

    def since(self, start: int) -> str:
        return self.text[start : self.end]

    def build(self, at: Token | int, factory, *args) -> Node:
        """Call an expressions factory; its complaints become errors at ``at``."""
        try:
            return factory(*args)
        except ExpressionError as exc:
            position = at if isinstance(at, int) else at.position
            raise selector_error(self.text, str(exc), position) from None

    # -- grammar --------------------------------------------------------------------------------

    def selector(self) -> Selector:
        start = self.start()
        node = self.build(start, expressions.as_condition, self.or_expression())
        tail = self.lexer.peek()  # every loop above looked at it to stop
        return Selector(self.text, node, None if tail.kind == EOF else tail.position)

    def or_expression(self) -> Node:
        start = self.start()
        left = self.and_expression()
        while self.lexer.peek().kind == "OR":
            operator = self.next()
            right = self.and_expression()
            left = self.build(operator, expressions.logic, "OR", left, right, self.since(start))
        return left

    def and_expression(self) -> Node:
        start = self.start()
        left = self.equality_expression()
        while self.lexer.peek().kind == "AND":
            operator = self.next()
            right = self.equality_expression()
            left = self.build(operator, expressions.logic, "AND", left, right, self.since(start))
        return left

    def equality_expression(self) -> Node:
        start = self.start()
        left = self.comparison_expression()
        while True:
            token = self.lexer.peek()
            if token.kind in ("=", "<>"):
                self.next()
                right = self.comparison_expression()
                factory = expressions.equal if token.kind == "=" else expressions.not_equal
                left = self.build(token, factory, left, right, self.since(start))
            elif token.kind == "IS":
                self.next()
                negated = self.lexer.peek().kind != "NULL"
                if negated:
                    self.expect("NOT", "NULL or NOT NULL after IS")
                self.expect("NULL", "NULL after IS NOT")
                left = self.build(token, expressions.is_null, left, self.since(start), negated)
            else:
                return left

    def comparison_expression(self) -> Node:
        start = self.start()
        left = self.unary_expression()
        while True:
            token = self.lexer.peek()
            kind = token.kind
            negated = kind == "NOT"
            if negated:
                following = self.lexer.peek(2)
                if following.kind not in _AFTER_NOT:
                    raise self.unexpected(
                        following, "CONTAINS, STARTSWITH, ENDSWITH, BETWEEN or IN after NOT"
                    )
                self.next()
                kind = following.kind
            elif kind not in _RELATIONS and kind not in _AFTER_NOT:
                return left
            self.next()
            if kind in _RELATIONS:
                right = self.unary_expression()
                left = self.build(token, expressions.relation, kind, left, right, self.since(start))
            elif kind in _STRING_TESTS:
                search = self.string_literal()
                left = self.build(
                    token, expressions.string_test, kind, left, search, self.since(start), negated
                )
            elif kind == "BETWEEN":
                low = self.unary_expression()
                self.expect("AND", "AND between the bounds of BETWEEN")
                high = self.unary_expression()
                left = self.build(
                    token, expressions.between, left, low, high, self.since(start), negated
                )
            else:  # IN
                self.expect("(", "( after IN")
                items = [self.string_literal()]
                while self.lexer.peek().kind == ",":
                    self.next()
                    items.append(self.string_literal())
                self.expect(")", ", or ) in the IN list")
                left = self.build(
                    token, expressions.in_list, left, items, self.since(start), negated
                )

    def unary_expression(self) -> Node:
        token = self.lexer.peek()
        if self.depth >= NESTING_DEPTH_MAX:
            raise selector_error(
                self.text,
                f"expression nested deeper than {NESTING_DEPTH_MAX} levels",
                token.position,
            )
        self.depth += 1
        try:
            if token.kind == "+":
                self.next()
                return self.unary_expression()  # "+x" is x itself
            if token.kind == "-":
                self.next()
                operand = self.unary_expression()
                return self.build(token, expressions.negate, operand, self.since(token.position))
            if token.kind == "NOT":
                self.next()
                operand = self.unary_expression()
                return self.build(
                    token, expressions.logical_not, operand, self.since(token.position)
                )
            return self.primary_expression()
        finally:
            self.depth -= 1

    def primary_expression(self) -> Node:
        token = self.lexer.peek()
        if token.kind in _LITERALS:
            self.next()
            if token.kind == STRING:
                return expressions.string_literal(literal_text(token.image), token.image)
            if token.kind == DECIMAL:
                return self.build(token, expressions.decimal_literal, token.image)
            if token.kind == FLOAT:
                return self.build(token, expressions.float_literal, token.image)
            value = {"TRUE": True, "FALSE": False, "NULL": None}[token.kind]
            return expressions.boolean_literal(value, token.image)
        if token.kind == ID:
            self.next()
            return expressions.property_reference(token.image)
        if token.kind == "(":
            self.next()
            node = self.or_expression()
            self.expect(")", ") or an operator")
            return node
        raise self.unexpected(token, "an expression")

    def string_literal(self) -> str:
        return literal_text(self.expect(STRING, "a string literal").image)


def parse_selector(expression: str) -> Selector:
    """Compile ``expression`` (no cache). Raises SelectorError with the position."""
    if len(expression) > SELECTOR_LENGTH_MAX:
        raise selector_error(
            expression,
            f"expression longer than {SELECTOR_LENGTH_MAX} characters",
            SELECTOR_LENGTH_MAX,
        )
    return _Parser(expression).selector()


# Expression -> Selector, or the (message, position, line, column) of its error.
_cache: OrderedDict[str, Selector | tuple[str, int, int, int]] = OrderedDict()


def compile_selector(expression: str) -> Selector:
    """``parse_selector`` through a small LRU cache that also remembers failures."""
    cached = _cache.get(expression)
    if cached is None:
        try:
            cached = parse_selector(expression)
        except SelectorError as exc:
            cached = (str(exc), exc.position, exc.line, exc.column)
        _cache[expression] = cached
        if len(_cache) > SELECTOR_CACHE_SIZE:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(expression)
    if isinstance(cached, tuple):
        raise SelectorError(*cached)
    return cached
