import datetime as dt

import pytest

from flows.engine import Environment, FixedClock, evaluate
from flows.engine.environment import load_zone
from flows.engine.locations import Hierarchy
from flows.engine.values import XObject, to_text

from .helpers import LOCATIONS

ENV = Environment(
    timezone=load_zone("Africa/Kigali"),
    date_format="DD-MM-YYYY",
    default_country="RW",
    now=FixedClock(dt.datetime(2024, 3, 1, 10, 0, tzinfo=dt.UTC)),
)
ENV.locations = Hierarchy.from_json(LOCATIONS)
CTX = {"groups": [{"uuid": "g1", "name": "Farmers"}], "result": {"category": "Yes", "value": "y"}}


def match(expr: str) -> str | bool:
    v = evaluate(expr, CTX, ENV)
    if isinstance(v, XObject):
        return to_text(v.get("match"))
    return v


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('has_text("  hello ")', "hello"),
        ('has_text("   ")', False),
        ('has_only_text("Tea", "Tea")', "Tea"),
        ('has_only_text("Tea", "tea")', False),
        ('has_phrase("I want green tea now", "green tea")', "green tea"),
        ('has_phrase("I want tea green", "green tea")', False),
        ('has_only_phrase("Green Tea", "green tea")', "Green Tea"),
        ('has_only_phrase("Green Tea please", "green tea")', False),
        ('has_any_word("Sure, YES!", "yes yeah")', "YES"),
        ('has_any_word("nope", "yes yeah")', False),
        ('has_all_words("tea and coffee", "coffee tea")', "tea coffee"),
        ('has_all_words("tea only", "coffee tea")', False),
        ('has_beginning("Register me", "register")', "Register"),
        ('has_beginning("Please register", "register")', False),
        ('has_pattern("code AB12", "[a-z]{2}\\d+")', "AB12"),
        ('has_number("about 12.5 kg")', "12.5"),
        ('has_number("none")', False),
        ('has_number_between("7", 1, 10)', "7"),
        ('has_number_between("70", 1, 10)', False),
        ('has_number_lt("3", 4)', "3"),
        ('has_number_lte("4", 4)', "4"),
        ('has_number_eq("4.0", 4)', "4"),
        ('has_number_gte("4", 5)', False),
        ('has_number_gt("6", 5)', "6"),
        ('has_date("born 05/06/1990")', "1990-06-05T12:00:00.000000+02:00"),
        ('has_date_lt("05/06/1990", "2000-01-01")', "1990-06-05T12:00:00.000000+02:00"),
        ('has_date_eq("05/06/1990 08:15", "1990-06-05")', "1990-06-05T08:15:00.000000+02:00"),
        ('has_date_gt("05/06/1990", "2000-01-01")', False),
        ('has_time("at 7:45 pm")', "19:45:00.000000"),
        ('has_time("at 7")', False),
        ('has_phone("call 0788 123 456")', "+250788123456"),
        ('has_phone("no number")', False),
        ('has_email("write to a.b@example.org.")', "a.b@example.org"),
        ('has_group(groups, "g1")', "{name: Farmers, uuid: g1}"),
        ('has_group(groups, "g2")', False),
        ("has_error(1 / 0)", "division by zero"),
        ("has_error(1)", False),
        ('has_category(result, "No", "yes")', "Yes"),
        ('has_category(result, "No")', False),
        ("has_value(result.value)", "y"),
        ("has_value(null)", False),
        ('has_state("I live in nord")', "Zamunda > North Province"),
        ('has_district("Hillside", "North Province")', "Zamunda > North Province > Hillside"),
        ('has_district("Hillside", "South Province")', False),
        (
            'has_ward("Oakvale", "Hillside", "North Province")',
            "Zamunda > North Province > Hillside > Oakvale",
        ),
        ('has_ward("Millbrook", "Hillside", "North Province")', False),
    ],
)
def test_router_tests(expr: str, expected: str | bool) -> None:
    assert match(expr) == expected


def test_bad_arguments_are_errors() -> None:
    assert evaluate('has_number_lt("5", "x")', CTX, ENV).__class__.__name__ == "XError"


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # goflow: "a number between `min` and `max` inclusive" — both ends match
        ('has_number_between("1", 1, 10)', "1"),
        ('has_number_between("10", 1, 10)', "10"),
        ('has_number_between("10.0", 1, 10)', "10"),
        ('has_number_between("0.99", 1, 10)', False),
        ('has_number_between("10.01", 1, 10)', False),
        ('has_number_between("5", 5, 5)', "5"),
        ('has_number_between("-3", -5, -1)', "-3"),
        ('has_number_lt("4", 4)', False),
        ('has_number_lte("4.01", 4)', False),
        ('has_number_gt("5", 5)', False),
        ('has_number_gte("5", 5)', "5"),
        ('has_number_gte("4.99", 5)', False),
        ('has_number_eq("4.1", 4)', False),
    ],
)
def test_number_tests_at_their_boundaries(expr: str, expected: str | bool) -> None:
    """Kills the mutation `has_number_between` as `lo <= n < hi` (or `lo < n <= hi`): the
    suite had no case on either bound, so an exclusive end went unnoticed; the other number
    tests get their boundaries too (`<` vs `<=` mutants)."""
    assert match(expr) == expected
