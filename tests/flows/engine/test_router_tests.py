import datetime as dt
from decimal import Decimal

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


def test_a_passing_test_renders_true_and_carries_match_and_extra() -> None:
    """Killed mutants of `passed` (make mutation, flows-routertests): key names, default, extra."""
    result = evaluate('has_pattern("code AB12", "([a-z]{2})(\\\\d+)")', CTX, ENV)
    assert isinstance(result, XObject) and result.keys() == ["match", "extra"]
    assert result.has_default and result.default is True
    assert to_text(result) == "true"
    extra = result.get("extra")
    assert [to_text(extra.get(k)) for k in ("0", "1", "2")] == ["AB12", "AB", "12"]
    plain = evaluate('has_number("12")', CTX, ENV)
    assert isinstance(plain, XObject) and plain.keys() == ["match"] and plain.default is True


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('has_number("٤٢ apples")', "42"),  # Arabic-Indic digits read as 42
        ('has_number("12 ٣")', "12"),  # the first number wins
        ('has_number("x 12,5 kg")', "12.5"),  # a decimal comma
        ('has_number("abc\tdef 7")', "7"),  # any whitespace separates words
        ('has_number("1.2.3 then 4")', "1.2"),  # an unreadable word is skipped, a readable prefix kept
    ],
)
def test_find_number_reads_what_people_type(expr: str, expected: str) -> None:
    assert match(expr) == expected


def test_find_number_skips_words_it_cannot_read_and_goes_on() -> None:
    from flows.engine.routertests import find_number

    assert find_number("7,5,5 or 8") == Decimal("7.5")
    assert find_number("lots of words then 9") == Decimal("9")
    assert find_number("٣") == Decimal("3")
    assert find_number("x³") == Decimal("3")  # any digit character counts, superscripts too
    assert find_number("café 5") == Decimal("5")  # other non-ASCII letters are left alone
    assert find_number("none here") is None


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # the district and state may come either way round, or the state alone
        (
            'has_ward("Oakvale", "North Province", "Hillside")',
            "Zamunda > North Province > Hillside > Oakvale",
        ),
        ('has_ward("Oakvale", "", "Hillside")', "Zamunda > North Province > Hillside > Oakvale"),
        ('has_ward("Oakvale", "North Province")', "Zamunda > North Province > Hillside > Oakvale"),
        ('has_ward("Oakvale", "South Province")', False),
        ('has_ward("Oakvale", "Riverbend", "North Province")', False),  # Riverbend is in the south
        ('has_ward("Oakvale", "Hillside", "Atlantis")', False),
        ('has_ward("Millbrook", "Riverbend", "North Province")', False),  # the district must be in that state
    ],
)
def test_ward_within_district_and_state(expr: str, expected: str | bool) -> None:
    assert match(expr) == expected


def test_location_tests_without_locations_are_false() -> None:
    bare = Environment(timezone=load_zone("Africa/Kigali"), default_country="RW")
    assert evaluate('has_state("North Province")', CTX, bare) is False
    assert evaluate('has_ward("Oakvale")', CTX, bare) is False


INTENTS = {
    "result": {
        "value": "book flight",
        "extra": {
            "intents": [
                {"name": "book_flight", "confidence": 0.6},
                "not an intent",  # skipped, and the intents after it still count
                {"name": "book_hotel", "confidence": 0.9},
            ]
        },
    },
    "flat": {"value": "x"},
    "two": {"extra": {"intents": [{"name": "yes", "confidence": 0.5}, {"name": "no", "confidence": 0.9}]}},
}


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('has_intent(result, "book_hotel", 0.5)', "book_hotel"),  # any intent, not only the top one
        ('has_intent(result, "book_flight", 0.6)', "book_flight"),  # the threshold is inclusive
        ('has_intent(result, "book_flight", 0.61)', False),
        ('has_intent(result, "rent_car", 0)', False),
        ('has_top_intent(result, "book_flight", 0.5)', "book_flight"),
        ('has_top_intent(result, "book_hotel", 0.5)', False),  # third: not the top intent
        ('has_top_intent(two, "no", 0.5)', False),  # second, with more confidence: still not the top one
        ('has_top_intent(two, "yes", 0.5)', "yes"),
        ('has_intent(flat, "book_flight", 0.5)', False),  # no intents at all
        ('has_intent("text", "book_flight", 0.5)', False),
    ],
)
def test_intent_tests(expr: str, expected: str | bool) -> None:
    v = evaluate(expr, INTENTS, ENV)
    assert (to_text(v.get("match")) if isinstance(v, XObject) else v) == expected


def test_intent_confidence_must_be_a_number() -> None:
    v = evaluate('has_intent(result, "book_flight", "high")', INTENTS, ENV)
    assert v.__class__.__name__ == "XError"
