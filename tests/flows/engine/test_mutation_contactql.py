"""Contact queries (flows.engine.contactql), pinned attribute by attribute and operator by operator.

What each attribute reads from a contact (fields by type, URNs by scheme, groups, tickets, ids,
dates), how values compare (numbers, text, empty/unset values, several values for one attribute),
how queries are tokenized and parsed (implicit AND, parentheses, quoted strings), and the error
messages of queries that can't be parsed or resolved.
"""

from __future__ import annotations

from typing import Any

import pytest

from flows.engine.assets import Assets
from flows.engine.contact import Contact
from flows.engine.contactql import QueryError, compile_query, matches

ASSETS = Assets.from_json(
    {
        "fields": [
            {"key": "gender", "name": "Gender", "type": "text"},
            {"key": "code", "name": "Code", "type": "text"},
            {"key": "age", "name": "Age", "type": "number"},
            {"key": "dob", "name": "Birth Date", "type": "datetime"},
            {"key": "home", "name": "Home", "type": "state"},
            {"key": "county", "name": "County", "type": "district"},
            {"key": "village", "name": "Village", "type": "ward"},
        ]
    }
)

BEN: dict[str, Any] = {
    "uuid": "c1a1b2c3-0000-4000-8000-000000000001",
    "id": 42,
    "name": 'Ben "The Man" Haggerty',
    "language": "eng",
    "status": "blocked",
    "created_on": "2024-01-02T03:04:05Z",
    "urns": ["tel:+250788123123", "whatsapp:12345", "tel:+250788999000"],
    "groups": [{"uuid": "60000000-0000-4000-8000-000000000001", "name": "Farmers"}],
    "tickets": [{"status": "open"}, {"status": "closed"}, {}, None],
    "fields": {
        "gender": {"text": "Male"},
        "code": {"text": "10"},
        "age": {"text": "thirty-three", "number": 33},
        "dob": {"text": "2 May 1990", "datetime": "1990-05-02T00:00:00.000000Z"},
        "home": {"text": "kigali", "state": "Rwanda > Kigali City"},
        "county": {"text": "gasabo", "district": "Rwanda > Kigali City > Gasabo"},
        "village": {"text": "kimironko", "ward": "Rwanda > Kigali City > Gasabo > Kimironko"},
    },
}


def _ben(**over: Any) -> Contact:
    return Contact.from_json({**BEN, **over})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # plain contact attributes
        ("status = blocked", True),
        ("status = active", False),
        ("uuid = C1A1B2C3-0000-4000-8000-000000000001", True),
        ("id = 42", True),
        ("id = 43", False),
        ('id = ""', False),
        ('id != ""', True),
        # tickets: open ones, a ticket without a status (or a null one) counts as open
        ("tickets = 3", True),
        ("tickets > 2", True),
        ("tickets >= 4", False),
        # groups by name
        ("group = farmers", True),
        ("group = doctors", False),
        ('group != ""', True),
        # created_on is set; a date reads as its ISO text for ~
        ('created_on != ""', True),
        ('created_on = ""', False),
        ("created_on ~ 2024-01-02", True),
        # URNs: `urn` looks at every URN's path, a scheme only at its own
        ("urn = 12345", True),
        ("urn ~ 788999", True),
        ("tel = 12345", False),
        ("whatsapp = 12345", True),
        ("tel = +250788999000", True),
        ("tel > 100", True),
        # number fields use the number reading, compared as numbers
        ("age = 33", True),
        ("age = 33.0", True),
        ("age != 30", True),
        ("age != 33", False),
        ("age >= 33", True),
        ("age > 33", False),
        ("age < 33", False),
        ("age <= 33", True),
        ("age < Infinity", False),
        ("age = NaN", False),
        ("age ~ 3", False),
        # a number compared to something that isn't a number
        ("age = abc", False),
        ("age != abc", True),
        ("age = none", False),
        ("age > abc", False),
        # text that looks like a number compares as a number with ordering operators
        ("code > 5", True),
        ("code >= 10", True),
        ("code < 11", True),
        ("code <= 10", True),
        ("code > 10", False),
        # ordering operators on text that isn't a number never match
        ("name > 5", False),
        ("name > abc", False),
        ("gender < abc", False),
        # ~ with an empty value: everything contains ""
        ('name ~ ""', True),
        ("gender = MALE", True),
        ("gender != male", False),
        ("gender != female", True),
        # datetime fields read as datetimes (the ISO text for ~), not as their raw text
        ("dob ~ 1990-05-02", True),
        ("dob ~ may", False),
        ('dob != ""', True),
        # location fields use the location path, not the raw text
        ('home = "Rwanda > Kigali City"', True),
        ("home = kigali", False),
        ('county = "rwanda > kigali city > gasabo"', True),
        ("county = gasabo", False),
        ('village = "Rwanda > Kigali City > Gasabo > Kimironko"', True),
        ("village = kimironko", False),
        # quoted strings with escaped quotes
        ('name = "ben \\"the man\\" haggerty"', True),
        # bare words search names; adjacent conditions and parentheses are ANDed
        ("haggerty", True),
        ("HAGGERTY", True),
        ("smith", False),
        ("haggerty (age > 30)", True),
        ("haggerty (age > 40)", False),
        ("age > 30 haggerty", True),
        ("age > 30 smith", False),
    ],
)
def test_query_against_ben(query: str, expected: bool) -> None:
    assert matches(query, _ben(), ASSETS) is expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('id = ""', True),
        ('id != ""', False),
        ("tickets = 0", True),
        ('group = ""', True),
        ('group != ""', False),
        ('created_on = ""', True),
        ('created_on != ""', False),
        ('urn = ""', True),
        ("urn != 12345", True),
    ],
)
def test_query_against_bare_contact(query: str, expected: bool) -> None:
    bare = Contact.from_json({"uuid": "c2"})
    assert matches(query, bare, ASSETS) is expected


@pytest.mark.parametrize(
    ("fields", "query", "expected"),
    [
        # a number field value stored before the field became a number: its text is read
        ({"age": {"text": "33"}}, "age = 33", True),
        ({"age": {"text": "33"}}, "age > 32", True),
        # a location field without a location reading falls back to its text
        ({"home": {"text": "Atlantis"}}, "home = atlantis", True),
        ({"county": {"text": "Atlantis"}}, "county = atlantis", True),
        ({"village": {"text": "Atlantis"}}, "village = atlantis", True),
    ],
)
def test_field_fallbacks(fields: dict[str, Any], query: str, expected: bool) -> None:
    contact = Contact.from_json({"uuid": "c3", "fields": fields})
    assert matches(query, contact, ASSETS) is expected


def test_not_equal_needs_every_value_to_differ() -> None:
    """With several values (URNs), `!= x` means none is x, `= x` means one is."""
    ben = _ben()
    assert matches("tel != +250788123123", ben, ASSETS) is False
    assert matches("tel = +250788123123", ben, ASSETS) is True
    assert matches("tel != +250788000000", ben, ASSETS) is True


def test_set_means_any_value_is_set() -> None:
    """`!= ""` matches when any of several values is set (here a group without a name)."""
    contact = Contact(uuid="c4", groups=[{"uuid": "g1"}, {"uuid": "g2", "name": "Farmers"}])
    assert matches('group != ""', contact, ASSETS) is True
    assert matches("group = farmers", contact, ASSETS) is True


def test_tickets_not_a_list_of_dicts() -> None:
    contact = _ben(tickets=[{"status": "closed"}])
    assert matches("tickets = 0", contact, ASSETS) is True


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("age >", "unexpected end of query"),
        ("(age > 3 = 5)", "missing )"),
        ("= 5", "unexpected '='"),
        ("age > 3)", "unexpected ')'"),
        ("age = (", "expected a value after ="),
        ('name = "abc', "can't parse query at ' \"abc'"),
    ],
)
def test_parse_errors(query: str, message: str) -> None:
    with pytest.raises(QueryError) as exc:
        compile_query(query)
    assert str(exc.value) == message


def test_unknown_attribute_error() -> None:
    with pytest.raises(QueryError) as exc:
        matches("shoe_size = 9", _ben(), ASSETS)
    assert str(exc.value) == "can't resolve 'shoe_size' to attribute, scheme or field"
