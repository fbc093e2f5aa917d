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
