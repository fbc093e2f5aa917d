import datetime as dt
from decimal import Decimal

import pytest

from flows.engine import Environment, FixedClock, evaluate, evaluate_template_with
from flows.engine.environment import load_zone
from flows.engine.values import XError

ENV = Environment(
    timezone=load_zone("Africa/Kigali"),
    date_format="DD-MM-YYYY",
    now=FixedClock(dt.datetime(2024, 3, 1, 10, 0, tzinfo=dt.UTC)),
)
CTX = {"contact": {"name": "Amina", "age": 31}, "items": ["x", "y"], "input": {"text": "Yes please"}}


def render(t: str) -> str:
    text, errors = evaluate_template_with(t, CTX, ENV)
    return "ERROR" if errors else text


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Hi @contact.name!", "Hi Amina!"),
        ("mail me at amina@example.com", "mail me at amina@example.com"),
        ("@@contact.name", "@contact.name"),
        ("@(contact.age + 1)", "32"),
        ("@(10 / 4)", "2.5"),
        ("@(2 ^ 10)", "1024"),
        ('@("a" & "b" & 1)', "ab1"),
        ('@(1 = "1")', "true"),
        ("@(items[1])", "y"),
        ("@(upper(contact.name))", "AMINA"),
        ('@(word_count("one two, three"))', "3"),
        ("@(format_number(1234567.891, 1))", "1,234,567.9"),
        ('@(format_date("2024-02-29", "D/M/YY"))', "29/2/24"),
        ('@(datetime_add("2024-01-31", 1, "M"))', "2024-03-02T00:00:00.000000+02:00"),
        ("@(today())", "2024-03-01"),
        ('@(json(object("b", 2, "a", array(1, "x"))))', '{"a":[1,"x"],"b":2}'),
        ("@(foreach(items, (v) => v & v))", "[xx, yy]"),
        ('@(default(contact.missing, "none"))', "none"),
        ('@(if(has_text(input.text), "got", "empty"))', "got"),
        ("@(1 / 0)", "ERROR"),
        ("@(contact.missing)", "ERROR"),
        ("@(unknown_fn(1))", "ERROR"),
        ("@(1 +)", "ERROR"),
    ],
)
def test_templates(template: str, expected: str) -> None:
    assert render(template) == expected


def test_errors_are_values_not_exceptions() -> None:
    v = evaluate('number("abc")', CTX, ENV)
    assert isinstance(v, XError)
    assert "number" in v.message
    assert evaluate('is_error(number("abc"))', CTX, ENV) is True


def test_numbers_are_decimals() -> None:
    assert evaluate("0.1 + 0.2", CTX, ENV) == Decimal("0.3")
