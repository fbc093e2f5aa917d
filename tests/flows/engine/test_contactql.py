"""Contact queries as used by query-based groups."""

from __future__ import annotations

import pytest

from flows.engine.assets import Assets
from flows.engine.contact import Contact
from flows.engine.contactql import QueryError, compile_query, matches

ASSETS = Assets.from_json(
    {
        "fields": [
            {"key": "gender", "name": "Gender", "type": "text"},
            {"key": "age", "name": "Age", "type": "number"},
        ]
    }
)
BEN = Contact.from_json(
    {
        "uuid": "c1",
        "name": "Ben Haggerty",
        "language": "eng",
        "urns": ["tel:+12065551212"],
        "fields": {"gender": {"text": "Male"}, "age": {"text": "33", "number": 33}},
    }
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("gender = male", True),
        ("gender = female", False),
        ("gender != female", True),
        ('name = "ben haggerty"', True),
        ('name = ""', False),
        ("age > 30 AND age <= 33", True),
        ("age < 18 OR language = eng", True),
        ("(age < 18 OR gender = female) AND language = eng", False),
        ("tel ~ 206555", True),
        ('gender != ""', True),
        ("tickets > 0", False),
    ],
)
def test_queries(query: str, expected: bool) -> None:
    assert matches(query, BEN, ASSETS) is expected


def test_unset_field_only_matches_empty_and_not_equal() -> None:
    nobody = Contact.from_json({"uuid": "c2", "name": ""})
    assert matches('gender = ""', nobody, ASSETS)
    assert matches("gender != male", nobody, ASSETS)
    assert not matches("gender = male", nobody, ASSETS)


def test_bad_queries_raise() -> None:
    with pytest.raises(QueryError):
        compile_query("age >")
    with pytest.raises(QueryError):
        matches("shoe_size = 9", BEN, ASSETS)


DATED = Contact.from_json(
    {
        "uuid": "c3",
        "name": "Dee",
        "created_on": "2024-01-02T03:04:05Z",
        "fields": {"dob": {"text": "2 May 1990", "datetime": "1990-05-02T00:00:00.000000Z"}},
    }
)
DATED_ASSETS = Assets.from_json({"fields": [{"key": "dob", "name": "Birth Date", "type": "datetime"}]})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # dates compare by day (YYYY-MM-DD), as the database's smart groups do: a flow's
        # "created after X" group and the workspace's agree
        ("created_on = 2024-01-02", True),
        ("created_on = 2024-01-03", False),
        ("created_on != 2024-01-02", False),
        ("created_on > 2024-01-01", True),
        ("created_on > 2024-01-02", False),
        ("created_on >= 2024-01-02", True),
        ("created_on < 2024-01-03", True),
        ("created_on < 2024-01-02", False),
        ("created_on <= 2024-01-02", True),
        ("dob < 2000-01-01", True),
        ("dob > 2000-01-01", False),
        ("dob = 1990-05-02", True),
        ("dob >= 1990-05-03", False),
        # a value that is no date equals no date
        ("dob = may", False),
        ("dob != may", True),
        ("dob > may", False),
    ],
)
def test_dates_compare_by_day(query: str, expected: bool) -> None:
    assert matches(query, DATED, DATED_ASSETS) is expected
