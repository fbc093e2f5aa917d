"""The contact and asset JSON readers/writers, field values, and ServiceError, pinned exactly.

Contact.from_json/to_json (defaults for missing keys, round trips of unknown keys), URN identities,
the stored form of a field value (parse_field_value: text plus number, datetime and location
readings) and what an expression sees for it (typed_field_value), Assets.from_json defaults for
every asset kind, lazy flow parsing in Assets.get_flow, and ServiceError.http_logs.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from flows.engine.assets import Assets, ChannelAsset, FieldAsset, GroupAsset
from flows.engine.contact import Contact, parse_field_value, typed_field_value
from flows.engine.environment import Environment
from flows.engine.locations import Hierarchy
from flows.engine.services import ServiceError

from .helpers import LOCATIONS, question_flow

# ----------------------------------------------------------------------------------- contacts

FULL_CONTACT: dict[str, Any] = {
    "uuid": "a0000000-0000-4000-8000-00000000000a",
    "name": "Amina Uwase",
    "id": 7,
    "status": "archived",
    "language": "kin",
    "timezone": "Africa/Kigali",
    "created_on": "2024-01-01T00:00:00Z",
    "last_seen_on": "2024-02-01T00:00:00Z",
    "urns": ["tel:+250788123123"],
    "groups": [{"uuid": "60000000-0000-4000-8000-000000000001", "name": "Farmers"}],
    "fields": {"age": {"text": "31", "number": 31}},
    "tickets": [{"status": "open"}],
}


def test_contact_from_json_reads_every_key() -> None:
    c = Contact.from_json(FULL_CONTACT)
    assert c == Contact(
        uuid="a0000000-0000-4000-8000-00000000000a",
        name="Amina Uwase",
        id=7,
        status="archived",
        language="kin",
        timezone="Africa/Kigali",
        created_on="2024-01-01T00:00:00Z",
        last_seen_on="2024-02-01T00:00:00Z",
        urns=["tel:+250788123123"],
        groups=[{"name": "Farmers", "uuid": "60000000-0000-4000-8000-000000000001"}],
        fields={"age": {"text": "31", "number": 31}},
        extra={"tickets": [{"status": "open"}]},
    )


def test_contact_from_json_defaults() -> None:
    c = Contact.from_json({"groups": [{"uuid": "g1"}], "fields": {"age": None}})
    assert c.uuid == ""
    assert c.name == ""
    assert c.id is None
    assert c.status == "active"
    assert c.language == ""
    assert c.timezone == ""
    assert c.created_on == ""
    assert c.last_seen_on is None
    assert c.urns == []
    assert c.groups == [{"name": "", "uuid": "g1"}]
    assert c.fields == {}
    assert c.extra == {}


def test_contact_to_json_round_trips() -> None:
    assert Contact.from_json(FULL_CONTACT).to_json() == FULL_CONTACT


def test_contact_to_json_leaves_out_unset_keys() -> None:
    assert Contact(uuid="u1").to_json() == {
        "uuid": "u1",
        "name": "",
        "status": "active",
        "created_on": "",
    }


def test_contact_to_json_keeps_id_zero() -> None:
    assert Contact(uuid="u1", id=0).to_json()["id"] == 0


def test_urn_identities() -> None:
    c = Contact(uuid="u1", urns=["tel:+250788123123?channel=abc#Amina", "not a urn"])
    assert c.urn_identities() == ["tel:+250788123123", "not a urn"]


# ------------------------------------------------------------------------------- field values

ENV = Environment(locations=Hierarchy.from_json(LOCATIONS))
NORTH = "Zamunda > North Province"
SOUTH = "Zamunda > South Province"
HILLSIDE = "Zamunda > North Province > Hillside"
RIVERBEND = "Zamunda > South Province > Riverbend"
OAKVALE = "Zamunda > North Province > Hillside > Oakvale"


@pytest.mark.parametrize(
    ("text", "field_type", "expected"),
    [
        ("", "text", None),
        ("12", "number", {"text": "12", "number": Decimal("12")}),
        ("01-03-2024", "datetime", {"text": "01-03-2024", "datetime": "2024-03-01T00:00:00.000000Z"}),
        ("Nord", "text", {"text": "Nord"}),
        ("Nord", "state", {"text": "Nord", "state": NORTH}),
        # a state field doesn't look for districts
        ("North Province Hillside", "state", {"text": "North Province Hillside", "state": NORTH}),
        ("Hillside", "district", {"text": "Hillside", "district": HILLSIDE, "state": NORTH}),
        # a district is looked for within the state the text names
        ("South Province Hillside", "district", {"text": "South Province Hillside", "state": SOUTH}),
        # a district field doesn't look for wards
        ("Hillside Oakvale", "district", {"text": "Hillside Oakvale", "district": HILLSIDE, "state": NORTH}),
        (
            "Hillside Oakvale",
            "ward",
            {"text": "Hillside Oakvale", "district": HILLSIDE, "state": NORTH, "ward": OAKVALE},
        ),
        # a ward is looked for within the district the text names
        ("Riverbend Oakvale", "ward", {"text": "Riverbend Oakvale", "district": RIVERBEND, "state": SOUTH}),
        ("Oakvale", "ward", {"text": "Oakvale", "ward": OAKVALE}),
    ],
)
def test_parse_field_value(text: str, field_type: str, expected: dict[str, Any] | None) -> None:
    assert parse_field_value(text, field_type, ENV) == expected


@pytest.mark.parametrize("field_type", ["state", "district", "ward"])
def test_parse_location_field_without_locations(field_type: str) -> None:
    assert parse_field_value("Nord", field_type, Environment()) == {"text": "Nord"}


FULL_VALUE: dict[str, Any] = {
    "text": "12 Nord",
    "number": 12,
    "datetime": "2024-03-01T10:00:00.000000Z",
    "state": NORTH,
    "district": HILLSIDE,
    "ward": OAKVALE,
}


@pytest.mark.parametrize(
    ("value", "field_type", "expected"),
    [
        (None, "text", None),
        ({}, "number", None),
        (FULL_VALUE, "text", "12 Nord"),
        (FULL_VALUE, "number", Decimal("12")),
        (FULL_VALUE, "datetime", dt.datetime(2024, 3, 1, 10, 0, tzinfo=dt.UTC)),
        (FULL_VALUE, "state", NORTH),
        (FULL_VALUE, "district", HILLSIDE),
        (FULL_VALUE, "ward", OAKVALE),
        # a type this engine doesn't know reads as text
        ({"text": "a", "color": "b"}, "color", "a"),
        # without the typed reading, the text
        ({"text": "twelve"}, "number", "twelve"),
        ({"text": "someday"}, "datetime", "someday"),
        ({"text": "Atlantis"}, "state", "Atlantis"),
        ({"text": "Atlantis"}, "district", "Atlantis"),
        ({"text": "Atlantis"}, "ward", "Atlantis"),
        ({"text": "0", "number": 0}, "number", Decimal("0")),
        # and without text either, an empty string
        ({"number": 5}, "text", ""),
    ],
)
def test_typed_field_value(value: dict[str, Any] | None, field_type: str, expected: Any) -> None:
    got = typed_field_value(value, field_type)
    assert got == expected
    assert type(got) is type(expected)


def test_typed_datetime_with_offset() -> None:
    got = typed_field_value({"text": "x", "datetime": "2024-03-01T10:00:00+02:00"}, "datetime")
    assert got == dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.UTC)


# ------------------------------------------------------------------------------------ assets


def test_assets_from_json_reads_every_key() -> None:
    a = Assets.from_json(
        {
            "fields": [{"uuid": "f1", "key": "age", "name": "Age", "type": "number"}],
            "groups": [{"uuid": "g1", "name": "Adults", "query": "age > 17"}],
            "channels": [
                {
                    "uuid": "c1",
                    "name": "WA",
                    "address": "+250788000000",
                    "schemes": ["whatsapp"],
                    "roles": ["receive"],
                    "country": "RW",
                }
            ],
            "labels": [{"uuid": "l1", "name": "Spam"}],
            "globals": [{"key": "org", "value": "Flowgate"}],
            "resthooks": [{"slug": "new-mother", "subscribers": ["http://x"]}],
            "topics": [{"uuid": "t1", "name": "Support"}],
        }
    )
    assert a.fields == {"age": FieldAsset("f1", "age", "Age", "number")}
    assert a.groups == {"g1": GroupAsset("g1", "Adults", "age > 17")}
    assert a.channels == {"c1": ChannelAsset("c1", "WA", "+250788000000", ["whatsapp"], ["receive"], "RW")}
    assert a.labels == {"l1": {"name": "Spam", "uuid": "l1"}}
    assert a.globals == {"org": "Flowgate"}
    assert a.resthooks == {"new-mother": ["http://x"]}
    assert a.topics == {"t1": {"name": "Support", "uuid": "t1"}}


def test_assets_from_json_defaults() -> None:
    a = Assets.from_json(
        {
            "fields": [{"key": "age"}],
            "groups": [{"uuid": "g1"}],
            "channels": [{"uuid": "c1", "country": None}, {"uuid": "c2"}],
            "labels": [{"uuid": "l1"}],
            "globals": [{"key": "org"}],
            "topics": [{"uuid": "t1"}],
        }
    )
    assert a.fields == {"age": FieldAsset("", "age", "age", "text")}
    assert a.groups == {"g1": GroupAsset("g1", "", "")}
    assert a.channels["c1"] == ChannelAsset("c1", "", "", ["tel"], ["send", "receive"], "")
    assert a.channels["c2"] == ChannelAsset("c2", "", "", ["tel"], ["send", "receive"], "")
    assert a.labels == {"l1": {"name": "", "uuid": "l1"}}
    assert a.globals == {"org": ""}
    assert a.topics == {"t1": {"name": "", "uuid": "t1"}}


def test_get_flow_parses_once_and_knows_added_flows() -> None:
    flow = question_flow()
    a = Assets.from_json({"flows": [flow]})
    first = a.get_flow(flow["uuid"])
    assert first is not None
    assert first.uuid == flow["uuid"]
    assert a.get_flow(flow["uuid"]) is first
    assert a.get_flow("00000000-0000-4000-8000-000000000000") is None

    other = Assets()
    other.add_flow(first)
    assert other.get_flow(flow["uuid"]) is first


def test_group_by_name() -> None:
    a = Assets.from_json({"groups": [{"uuid": "g1", "name": "Farmers"}]})
    assert a.group_by_name("  farmers ") == GroupAsset("g1", "Farmers", "")
    assert a.group_by_name("Doctors") is None


# ---------------------------------------------------------------------------------- services


def test_service_error_http_logs() -> None:
    assert ServiceError("down").http_logs == []
    logs = [{"url": "http://x", "status": "error"}]
    err = ServiceError("down", logs)
    assert err.http_logs == logs
    assert str(err) == "down"
