"""SQL92 selectors (rocketmq.filter) against upstream's parser and evaluation rules.

DIFFERENTIAL holds (expression, properties, result) rows. Every result was
recorded by running the row through upstream's own SelectorParser and
``Expression.evaluate`` (apache/rocketmq 8fc57f1 filter module, 5.3.x with
CONTAINS/STARTSWITH/ENDSWITH) with a map-backed EvaluationContext: True,
False, None (null), "raise" (evaluate threw: the broker then does not
deliver) or "invalid" (SelectorParser.parse refused the expression).
"""

from __future__ import annotations

import math

import pytest

from rocketmq.errors import SelectorError
from rocketmq.filter import EvaluationError, compile_selector, parse_selector
from rocketmq.filter import parser as selector_parser
from rocketmq.filter.values import (
    DOUBLE,
    INT,
    LONG,
    STRING,
    compare_function,
    double_compare,
    java_boolean,
    java_double,
    java_integer,
)

M: dict[str, str] = {}  # a message without properties
P = {
    "a": "5",
    "s": "hello",
    "f": "2.5",
    "big": "3000000000",
    "t": "true",
    "neg": "-3",
    "TAGS": "TagA",
    "e": "",
    "q": "it's",
}

DIFFERENTIAL = [
    ("a = 5", P, True),
    ("a = 5", M, None),
    ("a <> 5", P, False),
    ("a <> 5", M, None),
    ("a > 4", P, True),
    ("a > 5", P, False),
    ("a >= 5", P, True),
    ("a < 6", P, True),
    ("a <= 4", P, False),
    ("a > 4", M, None),
    ("a = 5L", P, True),
    ("a = 5.0", P, True),
    ("a > 4.5", P, True),
    ("f > 2", P, "raise"),
    ("f = 2.5", P, True),
    ("f > 2.4", P, True),
    ("big > 2147483647", P, "raise"),
    ("big = 3000000000", P, True),
    ("big > 1", P, "raise"),
    ("neg < 0", P, True),
    ("neg = -3", P, True),
    ("a > -1", P, True),
    ("s > 1", P, "raise"),
    ("s = 5", P, "raise"),
    ("s = 5 OR TRUE", P, "raise"),
    ("TRUE OR s = 5", P, True),
    ("s = 5 AND FALSE", P, "raise"),
    ("FALSE AND s = 5", P, False),
    ("NOT (s = 5)", P, "raise"),
    ("s > 1.5", P, "raise"),
    ("a > s", P, "raise"),
    ("a > f", P, True),
    ("f < a", P, True),
    ("a = f", P, False),
    ("e = 0", P, "raise"),
    ("e > 0.0", P, "invalid"),
    ("s = 'hello'", P, True),
    ("s = 'HELLO'", P, False),
    ("s <> 'hello'", P, False),
    ("s = 'hello'", M, None),
    ("'hello' = s", M, False),
    ("s <> 'x'", M, None),
    ("q = 'it''s'", P, True),
    ("e = ''", P, True),
    ("a = '5'", P, True),
    ("TAGS = 'TagA'", P, True),
    ("s = t", P, False),
    ("x = y", M, True),
    ("x = y", P, True),
    ("s = a", P, False),
    ("TRUE", M, True),
    ("FALSE", M, False),
    ("NULL", M, None),
    ("NOT TRUE", M, False),
    ("NOT NULL", M, None),
    ("t = TRUE", P, True),
    ("t = FALSE", P, False),
    ("s = TRUE", P, False),
    ("t <> TRUE", P, False),
    ("TRUE = t", P, "raise"),
    ("TRUE = FALSE", M, False),
    ("1 = TRUE", M, False),
    ("s", P, False),
    ("s", M, None),
    ("NOT s", P, True),
    ("NOT s", M, None),
    ("s OR TRUE", P, True),
    ("s AND TRUE", M, None),
    ("x = 1 OR TRUE", M, True),
    ("x = 1 OR FALSE", M, None),
    ("x = 1 AND FALSE", M, False),
    ("x = 1 AND TRUE", M, None),
    ("NOT (x = 1)", M, None),
    ("NOT (x = 1) OR TRUE", M, True),
    ("x = 1 OR a = 5", P, True),
    ("(x = 1 OR a = 5) AND s = 'hello'", P, True),
    ("NOT (x = 1 AND a = 5)", P, None),
    ("x IS NULL", M, True),
    ("a IS NULL", P, False),
    ("x IS NOT NULL", M, False),
    ("a IS NOT NULL", P, True),
    ("e IS NULL", P, False),
    ("NOT (x IS NULL)", M, False),
    ("(x = 1) IS NULL", M, True),
    ("5 IS NULL", M, False),
    ("a BETWEEN 1 AND 5", P, True),
    ("a BETWEEN 6 AND 9", P, False),
    ("a NOT BETWEEN 6 AND 9", P, True),
    ("a NOT BETWEEN 1 AND 5", P, False),
    ("a BETWEEN 1 AND 5", M, None),
    ("a NOT BETWEEN 1 AND 5", M, None),
    ("f BETWEEN 2 AND 3", P, "raise"),
    ("f BETWEEN 2.5 AND 2.5", P, True),
    ("s BETWEEN 1 AND 5", P, "raise"),
    ("a BETWEEN -5 AND -10", P, False),
    ("a BETWEEN 5 AND 1", P, "invalid"),
    ("a BETWEEN NULL AND 1", P, "invalid"),
    ("a BETWEEN 'x' AND 'y'", P, "invalid"),
    ("a BETWEEN 1 AND 5 AND TAGS IN ('TagA')", P, True),
    ("TAGS IN ('TagA', 'TagB')", P, True),
    ("TAGS IN ('TagB')", P, False),
    ("TAGS NOT IN ('TagB')", P, True),
    ("TAGS NOT IN ('TagA')", P, False),
    ("x IN ('a')", M, None),
    ("x NOT IN ('a')", M, None),
    ("a IN ('5')", P, True),
    ("a IN ('1','2','3','4','5','6')", P, True),
    ("q IN ('it''s')", P, True),
    ("(a) IN ('5')", P, True),
    ("+a IN ('5')", P, True),
    ("5 IN ('5')", P, "invalid"),
    ("a IN (5)", P, "invalid"),
    ("a IN ()", P, "invalid"),
    ("s CONTAINS 'ell'", P, True),
    ("s CONTAINS 'xyz'", P, False),
    ("s NOT CONTAINS 'ell'", P, False),
    ("s NOT CONTAINS 'xyz'", P, True),
    ("x CONTAINS 'a'", M, False),
    ("x NOT CONTAINS 'a'", M, False),
    ("NOT (x CONTAINS 'a')", M, True),
    ("s CONTAINS ''", P, False),
    ("s NOT CONTAINS ''", P, False),
    ("s STARTSWITH 'he'", P, True),
    ("s STARTSWITH 'lo'", P, False),
    ("s NOT STARTSWITH 'he'", P, False),
    ("s ENDSWITH 'lo'", P, True),
    ("s NOT ENDSWITH 'lo'", P, False),
    ("x ENDSWITH 'a'", M, False),
    ("a CONTAINS '5'", P, True),
    ("5 CONTAINS '5'", P, False),
    ("s CONTAINS 5", P, "invalid"),
    ("-a = -5", P, None),
    ("a = -(-5)", P, True),
    ("-5 < a", P, True),
    ("+5 = a", P, True),
    ("-'x' = a", P, None),
    ("-a IS NULL", P, True),
    ("-a", P, "invalid"),
    ("NOT a = 5", P, False),
    ("NOT a > 5", P, "invalid"),
    ("NOT NOT TRUE", M, True),
    ("a = 5 AND s = 'hello' OR FALSE", P, True),
    ("FALSE OR a = 5 AND s = 'hello'", P, True),
    ("a > 1 = TRUE", P, True),
    ("a = 5 = TRUE", P, True),
    ("(a > 1) = (a < 9)", P, True),
    ("a = 5 AND (s = 'x' OR s = 'hello')", P, True),
    ("a = 5l", P, True),
    ("big = 3000000000L", P, True),
    ("a > 9223372036854775807", P, False),
    ("a > 9223372036854775808", P, "invalid"),
    ("a > .5", P, True),
    ("a > 5.", P, False),
    ("a > 1e0", P, True),
    ("a < 1E1", P, True),
    ("a > 1e400", P, "invalid"),
    ("a > 0.0", P, "invalid"),
    ("a > 0", P, True),
    ("a = 05", P, False),
    ("a = 0L", P, False),
    ("a = NULL", P, "invalid"),
    ("NULL = a", P, "invalid"),
    ("a > 'x'", P, "invalid"),
    ("a > TRUE", P, "invalid"),
    ("(a = 5) > 1", P, "invalid"),
    ("5", M, "invalid"),
    ("'x'", M, "invalid"),
    ("", M, "invalid"),
    ("a =", P, "invalid"),
    ("a = 5 garbage", P, True),
    ("a = 5 )", P, True),
    ("a = 5 #", P, "invalid"),
    ("a = 5 NOT", P, "invalid"),
    ("a = 5 IS", P, "invalid"),
    ("a == 5", P, "invalid"),
    ("a != 5", P, "invalid"),
    ('a = "5"', P, "invalid"),
    ("(a = 5", P, "invalid"),
    ("a = 'x", P, "invalid"),
    ("a NOT LIKE 'x'", P, "invalid"),
    ("a LIKE 'x'", P, False),
    ("a = 5 -- comment\n", P, True),
    ("a = 5 -- comment", P, True),
    ("/* c */ a = 5", P, True),
    ("a = 5 /* c", P, "invalid"),
    ("a\t=\n5", P, True),
    ("and = 5", P, "invalid"),
    ("AnD_1 = 5", P, None),
    ("$x IS NULL", M, True),
    ("a.b = 1", P, "invalid"),
    ("1a = 1", P, "invalid"),
]


def outcome(expression: str, properties: dict[str, str]) -> object:
    try:
        selector = parse_selector(expression)
    except SelectorError:
        return "invalid"
    try:
        return selector.evaluate(properties)
    except EvaluationError:
        return "raise"


@pytest.mark.parametrize(("expression", "properties", "expected"), DIFFERENTIAL)
def test_differential_against_upstream(
    expression: str, properties: dict[str, str], expected: object
) -> None:
    assert outcome(expression, properties) == expected


@pytest.mark.parametrize(
    ("expression", "properties", "expected"),
    [row for row in DIFFERENTIAL if row[2] != "invalid"],
)
def test_matches_is_true_only_for_true(
    expression: str, properties: dict[str, str], expected: object
) -> None:
    """The broker delivers on TRUE only: not on FALSE, unknown or an evaluation error."""
    assert compile_selector(expression).matches(properties) is (expected is True)


# -- three-valued logic, spelled out -----------------------------------------------------------


def test_missing_property_makes_comparisons_unknown() -> None:
    for expression in ("x = 1", "x <> 1", "x > 1", "x BETWEEN 1 AND 2", "x IN ('a')", "x = 'a'"):
        assert parse_selector(expression).evaluate({}) is None, expression
        # ... and NOT of unknown stays unknown, so neither form is delivered.
        assert parse_selector(f"NOT ({expression})").evaluate({}) is None, expression


def test_null_rules_that_are_not_symmetric() -> None:
    assert parse_selector("x = 'a'").evaluate({}) is None  # null on the left: unknown
    assert parse_selector("'a' = x").evaluate({}) is False  # null on the right: FALSE
    assert parse_selector("NOT ('a' = x)").evaluate({}) is True
    assert parse_selector("x = y").evaluate({}) is True  # null = null
    assert parse_selector("x NOT CONTAINS 'a'").evaluate({}) is False  # string tests: FALSE
    assert parse_selector("NOT (x CONTAINS 'a')").evaluate({}) is True


def test_and_or_decide_through_unknown() -> None:
    assert parse_selector("x = 1 AND FALSE").evaluate({}) is False
    assert parse_selector("x = 1 OR TRUE").evaluate({}) is True
    assert parse_selector("x = 1 AND TRUE").evaluate({}) is None
    assert parse_selector("x = 1 OR FALSE").evaluate({}) is None
    assert parse_selector("x IS NULL AND y IS NOT NULL").evaluate({"y": ""}) is True


def test_a_failed_conversion_stops_the_whole_evaluation() -> None:
    """Java throws NumberFormatException: even a TRUE branch after it cannot save the message."""
    selector = parse_selector("a > 1 OR TRUE")
    with pytest.raises(EvaluationError, match="For input string"):
        selector.evaluate({"a": "not a number"})
    assert not selector.matches({"a": "not a number"})
    # Evaluation is left to right and stops early, so a deciding branch first wins.
    assert parse_selector("TRUE OR a > 1").matches({"a": "not a number"})


def test_numeric_conversion_follows_the_literal_type() -> None:
    assert not parse_selector("a > 1").matches({"a": "1.5"})  # Integer.valueOf("1.5") throws
    assert parse_selector("a > 1.0").matches({"a": "1.5"})  # Double.valueOf
    assert parse_selector("a > 1.0").matches({"a": " 1.5d "})  # Java trims, takes a suffix
    assert parse_selector("a = 3000000000").matches({"a": "3000000000"})  # Long
    assert not parse_selector("a > 1").matches({"a": "3000000000"})  # not an Integer
    assert parse_selector("a > b").matches({"a": "2", "b": "1e0"})  # two Strings: Doubles


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "position", "line", "column", "message"),
    [
        ("a >", 3, 1, 4, "Encountered end of expression; expected an expression"),
        ("a = 5 #", 6, 1, 7, "Lexical error: unexpected character '#'"),
        ("a = 'open", 4, 1, 5, "unterminated string literal"),
        ("a > 'x'", 2, 1, 3, "Value ''x'' cannot be compared."),
        ("a = NULL", 2, 1, 3, "'NULL' cannot be compared."),
        ("a BETWEEN 5 AND 1", 2, 1, 3, "left value(5) must less than or equal to right value(1)"),
        ("a IN (1)", 6, 1, 7, "Encountered '1'; expected a string literal"),
        ("5 IN ('5')", 2, 1, 3, "Expected a property for In expression, got: 5"),
        ("a NOT x", 6, 1, 7, "expected CONTAINS, STARTSWITH, ENDSWITH, BETWEEN or IN after NOT"),
        ("a IS x", 5, 1, 6, "expected NULL or NOT NULL after IS"),
        ("'x'", 0, 1, 1, "Expression will not result in a boolean value: 'x'"),
        ("NOT a > 1", 6, 1, 7, "Value 'NOT a' cannot be compared."),
        ("a > 0.0", 4, 1, 5, "0.0 is less than 4.9E-324"),
        ("a = 9223372036854775808", 4, 1, 5, "NumberFormatException"),
        ("a = 1 AND\n  (b = 2", 18, 2, 9, "expected ) or an operator"),
        ("a = 1\r\nAND b ==", 14, 2, 8, "Encountered '='"),
        ("", 0, 1, 1, "Encountered end of expression"),
    ],
)
def test_errors_name_the_position(
    expression: str, position: int, line: int, column: int, message: str
) -> None:
    with pytest.raises(SelectorError) as caught:
        parse_selector(expression)
    error = caught.value
    assert (error.position, error.line, error.column) == (position, line, column)
    assert message in str(error)
    assert f"(line {line}, column {column})" in str(error)
    assert isinstance(error, ValueError)


def test_text_after_a_complete_expression_is_ignored_like_upstream() -> None:
    """SelectorParser's top rule does not require the end of input."""
    selector = parse_selector("a = 1 garbage here")
    assert selector.ignored_from == 6
    assert selector.matches({"a": "1"})
    assert parse_selector("a = 1").ignored_from is None
    assert parse_selector("a = 1 -- comment\n").ignored_from is None
    with pytest.raises(SelectorError):
        parse_selector("a = 1 NOT x")  # NOT makes the parser read on


def test_limits() -> None:
    deep = "(" * (selector_parser.NESTING_DEPTH_MAX + 1) + "a" + ")" * 70
    with pytest.raises(SelectorError, match="nested deeper"):
        parse_selector(deep)
    with pytest.raises(SelectorError, match="longer than"):
        parse_selector("a = 1 OR " * 10_000 + "a = 1")
    # A long flat chain is not deep: AND/OR operands are kept in one list.
    chain = " AND ".join(f"p{n} = 'v'" for n in range(2000))
    properties = {f"p{n}": "v" for n in range(2000)}
    assert parse_selector(chain).matches(properties)
    assert not parse_selector(chain).matches({**properties, "p1999": "w"})


def test_compile_cache_keeps_selectors_and_failures() -> None:
    first = compile_selector("cached_a = 'x'")
    assert compile_selector("cached_a = 'x'") is first
    errors = []
    for _ in range(2):
        with pytest.raises(SelectorError) as caught:
            compile_selector("cached_a = ")
        errors.append(caught.value)
    assert errors[0] is not errors[1]  # a fresh exception each time
    assert (errors[0].position, str(errors[0])) == (errors[1].position, str(errors[1]))
    for n in range(selector_parser.SELECTOR_CACHE_SIZE + 10):
        compile_selector(f"cache_fill = {n}")
    assert len(selector_parser._cache) == selector_parser.SELECTOR_CACHE_SIZE


def test_keywords_ignore_case_identifiers_do_not() -> None:
    selector = parse_selector("tags in ('TagA') and Not (TAGS is null)")
    assert selector.evaluate({"tags": "TagA", "TAGS": "x"}) is True
    assert selector.evaluate({"TAGS": "TagA"}) is None  # "tags" is another property


# -- Java value rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("5", INT, 5),
        ("+5", INT, 5),
        ("-0007", INT, -7),
        ("2147483647", INT, 2**31 - 1),
        ("\u0663", INT, 3),  # Character.digit accepts any Unicode decimal digit
        ("2147483648", LONG, 2**31),
        ("-9223372036854775808", LONG, -(2**63)),
    ],
)
def test_java_integer(text: str, kind: int, value: int) -> None:
    assert java_integer(text, kind) == value


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("2147483648", INT),
        ("9223372036854775808", LONG),
        (" 5", INT),
        ("5L", LONG),
        ("1_0", INT),
        ("", INT),
        ("+", INT),
        ("5.0", INT),
    ],
)
def test_java_integer_refuses(text: str, kind: int) -> None:
    with pytest.raises(EvaluationError, match="NumberFormatException"):
        java_integer(text, kind)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.5", 1.5),
        (" 1.5 ", 1.5),
        ("\t-2e3\n", -2000.0),
        ("1.", 1.0),
        (".5", 0.5),
        ("7f", 7.0),
        ("7D", 7.0),
        ("Infinity", math.inf),
        ("-Infinity", -math.inf),
        ("0x1.8p1", 3.0),
        ("-0X10P0d", -16.0),
        ("1e400", math.inf),
    ],
)
def test_java_double(text: str, value: float) -> None:
    assert java_double(text) == value


@pytest.mark.parametrize(
    "text", ["", "abc", "1e", "0x10", "inf", "nan", "1_0", "\u0663", "1.5 x", "Infinityf2", "--1"]
)
def test_java_double_refuses(text: str) -> None:
    with pytest.raises(EvaluationError):
        java_double(text)


def test_java_double_nan() -> None:
    assert math.isnan(java_double("NaN")) and math.isnan(java_double("-NaN"))


def test_double_compare_is_double_compare_to() -> None:
    assert double_compare(-0.0, 0.0) == -1
    assert double_compare(0.0, -0.0) == 1
    assert double_compare(math.nan, math.nan) == 0
    assert double_compare(math.nan, math.inf) == 1
    assert double_compare(-math.inf, math.nan) == -1
    assert double_compare(1.0, 2.0) == -1


def test_java_boolean() -> None:
    assert java_boolean("true") and java_boolean("TRUE") and java_boolean("tRuE")
    assert not java_boolean("yes") and not java_boolean(" true") and not java_boolean("1")


def test_compare_function_conversions() -> None:
    assert compare_function(INT, STRING)(5, "5") == 0
    assert compare_function(STRING, DOUBLE)("2.5", 2.0) == 1
    assert compare_function(INT, LONG)(1, 2**40) == -1
    with pytest.raises(EvaluationError):
        compare_function(LONG, STRING)(1, "1.0")
