"""Exact behaviour of the expression functions beyond goflow's documented examples: argument
counts and their error texts, which functions see error arguments, and boundary cases.

Each row is `expression -> what it evaluates to`, written as the template output, or `!message`
for an error value (the message as a flow's error event would carry it)."""

from __future__ import annotations

import datetime as dt

from flows.engine import Environment, FixedClock, evaluate
from flows.engine.environment import load_zone
from flows.engine.values import XError, to_text

ENV = Environment(
    timezone=load_zone("Africa/Kigali"),
    date_format="DD-MM-YYYY",
    now=FixedClock(dt.datetime(2024, 3, 1, 10, 0, tzinfo=dt.UTC)),
)
CTX = {"words": ["a", "b"], "obj": {"x": 1}}


def show(expression: str) -> str:
    value = evaluate(expression, CTX, ENV)
    if isinstance(value, XError):
        return "!" + value.message
    text = to_text(value)
    assert isinstance(text, str)
    return text


def check(rows: list[tuple[str, str]]) -> None:
    assert [(e, show(e)) for e, _ in rows] == rows


ARG_COUNTS = [
    # fixed count
    ("upper()", "!error calling upper(...): need 1 argument(s), got 0"),
    ("upper(1, 2)", "!error calling upper(...): need 1 argument(s), got 2"),
    ("field(1)", "!error calling field(...): need 3 argument(s), got 1"),
    ("field(1, 2, 3, 4)", "!error calling field(...): need 3 argument(s), got 4"),
    # a range: both ends are accepted, one past either end is not
    ("split()", "!error calling split(...): need 1 to 2 argument(s), got 0"),
    ('split("a b")', "[a, b]"),
    ('split("a,b", ",")', "[a, b]"),
    ('split("a", " ", 1)', "!error calling split(...): need 1 to 2 argument(s), got 3"),
    ('word_slice("a b c", 1)', "b c"),
    ('word_slice("a b c", 0, 2, " ")', "a b"),
    ('word_slice("a b c", 0, 2, " ", 5)', "!error calling word_slice(...): need 2 to 4 argument(s), got 5"),
    # variadic: only a minimum (goflow: "need at least")
    ("or()", "!error calling or(...): need at least 1 argument(s), got 0"),
    ("and()", "!error calling and(...): need at least 1 argument(s), got 0"),
    ("or(false)", "false"),
    ("and(true, true, true, true)", "true"),
    ("array()", "[]"),
    ("object()", "{}"),
]


def test_argument_counts() -> None:
    check(ARG_COUNTS)


ERROR_ARGUMENTS = [
    # an error argument is passed on as the result, untouched...
    ("upper(1 / 0)", "!error calling upper(...): division by zero"),
    ("join(array(1), 1 / 0)", "!error calling join(...): division by zero"),
    # ...except to the functions that exist to look at errors
    ("is_error(1 / 0)", "true"),
    ('default(1 / 0, "x")', "x"),
    ('if(is_error(1 / 0), "e", "ok")', "e"),
    ("count(1 / 0)", "!error calling count(...): division by zero"),
    ("or(true, 1 / 0)", "true"),
    ("and(false, 1 / 0)", "false"),
]


def test_error_arguments() -> None:
    check(ERROR_ARGUMENTS)
