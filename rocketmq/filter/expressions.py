"""Expression nodes: upstream's ComparisonExpression, LogicExpression and
UnaryExpression factories (filter/.../expression/), with their compile-time
checks and evaluation rules, as closures over a message's properties.

Evaluation is three-valued, exactly as upstream's ``evaluate`` (the broker
calls ``evaluate``, not ``matches``, and accepts only Boolean.TRUE):

* a property missing from the message is null; "=" with a null left side is
  null, with only the right side null FALSE, with both null TRUE;
  ``IS [NOT] NULL`` is always TRUE or FALSE;
* ``>``, ``>=``, ``<``, ``<=``, ``IN``, ``NOT IN`` and BETWEEN's halves are
  null when an operand is null; ``NOT`` of null is null;
* ``AND``/``OR`` follow SQL: FALSE AND null = FALSE, TRUE OR null = TRUE,
  otherwise null wins, and evaluation stops at the first deciding operand;
* CONTAINS, STARTSWITH, ENDSWITH and their NOT forms are FALSE (not null)
  when the property is missing or not a String, or the search text is empty;
* a property used as a condition ("a AND b") is null when missing and FALSE
  otherwise (property values are Strings, never Booleans);
* converting a property for a numeric comparison (``a > 5``, ``a = 5``) uses
  Integer/Long/Double.valueOf for the literal's type; when that fails Java
  throws, the whole evaluation stops and the message does not match, even
  under ``OR``/``NOT`` (``EvaluationError`` here). Two properties compared by
  ``>`` etc. are both read as Doubles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rocketmq.filter import values
from rocketmq.filter.values import BOOLEAN, DOUBLE, INT, LONG, NULL, STRING, EvaluationError

Properties = Mapping[str, str]
Evaluate = Callable[[Properties], object]

# Java classes that the factories' checks look at.
PROPERTY = "property"  # PropertyExpression
CONSTANT = "constant"  # ConstantExpression: string and number literals
BOOLEAN_CONSTANT = "boolean constant"  # BooleanConstantExpression: TRUE, FALSE, NULL
CONDITION = "condition"  # any other BooleanExpression
VALUE = "value"  # anything else: unary minus

# Deeper nodes are refused (Python recursion; upstream has only the JVM stack).
EXPRESSION_DEPTH_MAX = 100


class ExpressionError(Exception):
    """A factory refused its operands; the parser adds the position."""


@dataclass(frozen=True, slots=True)
class Node:
    form: str
    kind: int  # values.STRING ... values.NULL
    evaluate: Evaluate
    text: str  # the source text, for messages
    depth: int = 1
    value: object = None  # a constant's value
    name: str = ""  # a property's name
    logic: str = ""  # "AND" / "OR": operands flattened into ``operands``
    operands: tuple[Node, ...] = ()

    @property
    def is_constant(self) -> bool:
        return self.form in (CONSTANT, BOOLEAN_CONSTANT)


def _depth(*nodes: Node) -> int:
    depth = 1 + max(node.depth for node in nodes)
    if depth > EXPRESSION_DEPTH_MAX:
        raise ExpressionError(f"expression nested deeper than {EXPRESSION_DEPTH_MAX} levels")
    return depth


# -- leaves -------------------------------------------------------------------------------------


def constant(kind: int, value: object, text: str) -> Node:
    form = BOOLEAN_CONSTANT if kind in (BOOLEAN, NULL) else CONSTANT
    return Node(form, kind, lambda _properties: value, text, value=value)


def decimal_literal(image: str) -> Node:
    """ConstantExpression.createFromDecimal: Integer when it fits, else Long; L is dropped."""
    digits = image[:-1] if image[-1] in "lL" else image
    value = int(digits)
    if value > values.LONG_MAX:
        raise ExpressionError(f'NumberFormatException: For input string: "{digits}"')
    return constant(INT if value <= values.INT_MAX else LONG, value, image)


def float_literal(image: str) -> Node:
    """ConstantExpression.createFloat: refuses infinity, and every value below
    Double.MIN_VALUE (the smallest positive double), which includes 0.0."""
    value = float(image)
    if value > values.DOUBLE_MAX:
        raise ExpressionError(f"{image} is greater than 1.7976931348623157E308")
    if value < values.DOUBLE_MIN:
        raise ExpressionError(f"{image} is less than 4.9E-324")
    return constant(DOUBLE, value, image)


def string_literal(value: str, text: str) -> Node:
    return constant(STRING, value, text)


def boolean_literal(value: bool | None, text: str) -> Node:
    return constant(NULL if value is None else BOOLEAN, value, text)


def property_reference(name: str) -> Node:
    def evaluate(properties: Properties) -> str | None:
        return properties.get(name)

    return Node(PROPERTY, STRING, evaluate, name, name=name)


# -- unary --------------------------------------------------------------------------------------


def negate(operand: Node, text: str) -> Node:
    """UnaryExpression.createNegate: numbers change sign; anything else is null."""
    kind = operand.kind if operand.kind in values.NUMERIC_KINDS else NULL
    inner = operand.evaluate

    def evaluate(properties: Properties) -> object:
        value = inner(properties)
        return None if value is None or kind == NULL else -value

    return Node(VALUE, kind, evaluate, text, _depth(operand))


def as_condition(node: Node) -> Node:
    """SelectorParser.asBooleanExpression: conditions pass, a property is cast."""
    if node.form in (CONDITION, BOOLEAN_CONSTANT):
        return node
    if node.form == PROPERTY:
        inner = node.evaluate

        def evaluate(properties: Properties) -> bool | None:
            # createBooleanCast: a String is never a Boolean.
            return None if inner(properties) is None else False

        return Node(CONDITION, BOOLEAN, evaluate, node.text, _depth(node))
    raise ExpressionError(f"Expression will not result in a boolean value: {node.text}")


def logical_not(operand: Node, text: str) -> Node:
    inner = as_condition(operand).evaluate

    def evaluate(properties: Properties) -> bool | None:
        value = inner(properties)
        return None if value is None else not value

    return Node(CONDITION, BOOLEAN, evaluate, text, _depth(operand))


# -- AND / OR -----------------------------------------------------------------------------------


def logic(operator: str, left: Node, right: Node, text: str) -> Node:
    """LogicExpression.createAND / createOR over a flattened operand list.

    Left-nested binary AND (OR) evaluates its operands left to right, stops
    at the first FALSE (TRUE) and is otherwise null if any operand was null,
    so ``(a AND b) AND c`` and ``a AND (b AND c)`` evaluate like one n-ary
    AND and long chains do not nest.
    """
    parts: list[tuple[Node, ...]] = []
    depth = 0
    for node in (as_condition(left), as_condition(right)):
        if node.logic == operator:
            parts.append(node.operands)
            depth = max(depth, node.depth - 1)
        else:
            parts.append((node,))
            depth = max(depth, node.depth)
    operands = parts[0] + parts[1]
    if depth + 1 > EXPRESSION_DEPTH_MAX:
        raise ExpressionError(f"expression nested deeper than {EXPRESSION_DEPTH_MAX} levels")
    functions = tuple(node.evaluate for node in operands)
    decisive = operator == "OR"  # OR stops at TRUE, AND at FALSE

    def evaluate(properties: Properties) -> bool | None:
        unknown = False
        for function in functions:
            value = function(properties)
            if value is decisive:
                return decisive
            if value is None:
                unknown = True
        return None if unknown else not decisive

    return Node(CONDITION, BOOLEAN, evaluate, text, depth + 1, logic=operator, operands=operands)


# -- comparisons --------------------------------------------------------------------------------


def _check_less_than_operand(node: Node) -> None:
    if node.form == CONSTANT and node.kind in values.NUMERIC_KINDS:
        return
    if node.is_constant or node.form == CONDITION:
        raise ExpressionError(f"Value '{node.text}' cannot be compared.")


def _check_equal_operands(left: Node, right: Node) -> None:
    for node in (left, right):
        if node.is_constant and node.value is None:
            raise ExpressionError(f"'{node.text}' cannot be compared.")
    if left.form == BOOLEAN_CONSTANT and right.form == CONSTANT:
        raise ExpressionError(f"'{left.text}' cannot be compared with '{right.text}'")


_RELATIONS: dict[str, Callable[[int], bool]] = {
    ">": lambda answer: answer > 0,
    ">=": lambda answer: answer >= 0,
    "<": lambda answer: answer < 0,
    "<=": lambda answer: answer <= 0,
}


def relation(operator: str, left: Node, right: Node, text: str) -> Node:
    """createGreaterThan, createGreaterThanEqual, createLessThan, createLessThanEqual."""
    _check_less_than_operand(left)
    _check_less_than_operand(right)
    accept = _RELATIONS[operator]
    left_value, right_value = left.evaluate, right.evaluate
    if left.kind == STRING and right.kind == STRING:
        # Two Strings cannot be ordered: upstream reads both as Doubles.
        def compare(lv: str, rv: str) -> int:
            return values.double_compare(values.java_double(lv), values.java_double(rv))
    else:
        compare = values.compare_function(left.kind, right.kind)

    def evaluate(properties: Properties) -> bool | None:
        lv = left_value(properties)
        if lv is None:
            return None
        rv = right_value(properties)
        if rv is None:
            return None
        return accept(compare(lv, rv))

    return Node(CONDITION, BOOLEAN, evaluate, text, _depth(left, right))


def _equal_unchecked(left: Node, right: Node, text: str) -> Node:
    """doCreateEqual. Java first tries ``equals`` then ``compareTo == 0``;
    equal objects always compare 0, so only the comparison is made."""
    compare = values.compare_function(left.kind, right.kind)
    left_value, right_value = left.evaluate, right.evaluate

    def evaluate(properties: Properties) -> bool | None:
        lv = left_value(properties)
        rv = right_value(properties)
        if lv is None:
            return True if rv is None else None
        if rv is None:
            return False
        return compare(lv, rv) == 0

    return Node(CONDITION, BOOLEAN, evaluate, text, _depth(left, right))


def equal(left: Node, right: Node, text: str) -> Node:
    _check_equal_operands(left, right)
    return _equal_unchecked(left, right, text)


def not_equal(left: Node, right: Node, text: str) -> Node:
    """createNotEqual = NOT(createEqual): null stays null."""
    return logical_not(equal(left, right, text), text)


def is_null(operand: Node, text: str, negated: bool) -> Node:
    """createIsNull / createIsNotNull: never null."""
    inner = operand.evaluate

    def evaluate(properties: Properties) -> bool:
        return (inner(properties) is None) != negated

    return Node(CONDITION, BOOLEAN, evaluate, text, _depth(operand))


def between(operand: Node, low: Node, high: Node, text: str, negated: bool) -> Node:
    """createBetween = low <= x AND x <= high; createNotBetween = x < low OR x > high.

    BETWEEN with two constant bounds checks them at compile time: neither may
    be NULL and low must not exceed high (as ComparisonExpression.__compare
    orders them, so converting a String bound to a number may fail).
    """
    if negated:
        return logic(
            "OR", relation("<", operand, low, text), relation(">", operand, high, text), text
        )
    if low.is_constant and high.is_constant:
        if low.value is None or high.value is None:
            raise ExpressionError("Illegal values of between, values can not be null!")
        try:
            order = values.compare_function(high.kind, low.kind)(high.value, low.value)
        except EvaluationError as exc:
            raise ExpressionError(str(exc)) from None
        if order < 0:
            raise ExpressionError(
                f"Illegal values of between, left value({low.text}) must less than or "
                f"equal to right value({high.text})"
            )
    return logic(
        "AND", relation(">=", operand, low, text), relation("<=", operand, high, text), text
    )


def in_list(operand: Node, items: list[str], text: str, negated: bool) -> Node:
    """createInFilter / createNotInFilter: only a property may be tested."""
    if operand.form != PROPERTY:
        raise ExpressionError(f"Expected a property for In expression, got: {operand.text}")
    wanted = frozenset(items)
    name = operand.name

    def evaluate(properties: Properties) -> bool | None:
        value = properties.get(name)
        if value is None:
            return None
        return (value in wanted) != negated

    return Node(CONDITION, BOOLEAN, evaluate, text, _depth(operand))


_STRING_TESTS: dict[str, Callable[[str, str], bool]] = {
    "CONTAINS": lambda value, search: search in value,
    "STARTSWITH": str.startswith,
    "ENDSWITH": str.endswith,
}


def string_test(operator: str, operand: Node, search: str, text: str, negated: bool) -> Node:
    """createContains, createStartsWith, createEndsWith and their NOT forms."""
    test = _STRING_TESTS[operator]
    inner = operand.evaluate
    is_string = operand.kind == STRING

    def evaluate(properties: Properties) -> bool:
        if not search:
            return False
        value = inner(properties)
        if value is None or not is_string:
            return False
        return test(value, search) != negated

    return Node(CONDITION, BOOLEAN, evaluate, text, _depth(operand))
