"""Small fixtures of our own: flows built in code, a test contact, a deterministic engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from flows.engine import Assets, Engine, SeededUUIDs, SequentialClock

CONTACT_UUID = "a0000000-0000-4000-8000-00000000000a"
QUESTION_UUID = "f1000000-0000-4000-8000-000000000001"
START = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
CHANNEL = {
    "uuid": "c1a00000-0000-4000-8000-000000000001",
    "name": "Test SMS",
    "schemes": ["tel"],
    "country": "RW",
}
FIELDS = [
    {"uuid": "f0000000-0000-4000-8000-000000000001", "key": "age", "name": "Age", "type": "number"},
    {"uuid": "f0000000-0000-4000-8000-000000000002", "key": "city", "name": "City", "type": "text"},
]
GROUPS = [{"uuid": "60000000-0000-4000-8000-000000000001", "name": "Farmers"}]
LOCATIONS = [
    {
        "name": "Zamunda",
        "children": [
            {
                "name": "North Province",
                "aliases": ["Nord"],
                "children": [{"name": "Hillside", "children": [{"name": "Oakvale"}]}],
            },
            {
                "name": "South Province",
                "children": [{"name": "Riverbend", "children": [{"name": "Millbrook"}]}],
            },
        ],
    }
]


def contact(*, without: tuple[str, ...] = (), **over: Any) -> dict[str, Any]:
    """The test contact's JSON: Amina Uwase, English, one phone number, aged 31. `over` sets or
    replaces keys; `without` leaves keys out."""
    c = {
        "uuid": CONTACT_UUID,
        "name": "Amina Uwase",
        "language": "eng",
        "created_on": "2024-01-01T00:00:00Z",
        "urns": ["tel:+250788123123"],
        "fields": {"age": {"text": "31", "number": 31}},
    }
    c.update(over)
    for key in without:
        del c[key]
    return c


def exit_(n: str, dest: str | None = None) -> dict[str, Any]:
    """The exit e`n`, leading to the node `dest` (None: the flow ends there)."""
    return {"uuid": f"e{n}", "destination_uuid": dest}


def question_flow(uuid: str = QUESTION_UUID, timeout: int | None = 300) -> dict[str, Any]:
    """Ask a yes/no question, then thank (or note the silence)."""
    wait: dict[str, Any] = {"type": "msg"}
    if timeout:
        wait["timeout"] = {"seconds": timeout, "category_uuid": "cat-none"}
    return {
        "uuid": uuid,
        "name": "Question",
        "spec_version": "14.4.1",
        "language": "eng",
        "type": "messaging",
        "localization": {"fra": {"act-ask": {"text": ["Aimez-vous le thé, @contact.first_name?"]}}},
        "nodes": [
            {
                "uuid": "n-ask",
                "actions": [
                    {
                        "uuid": "act-ask",
                        "type": "send_msg",
                        "text": "Do you like tea, @contact.first_name?",
                        "quick_replies": ["Yes", "No"],
                    }
                ],
                "router": {
                    "type": "switch",
                    "operand": "@input.text",
                    "result_name": "Likes Tea",
                    "wait": wait,
                    "cases": [
                        {
                            "uuid": "case-yes",
                            "type": "has_any_word",
                            "arguments": ["yes yeah"],
                            "category_uuid": "cat-yes",
                        },
                        {
                            "uuid": "case-no",
                            "type": "has_any_word",
                            "arguments": ["no"],
                            "category_uuid": "cat-no",
                        },
                    ],
                    "categories": [
                        {"uuid": "cat-yes", "name": "Yes", "exit_uuid": "e1"},
                        {"uuid": "cat-no", "name": "No", "exit_uuid": "e2"},
                        {"uuid": "cat-other", "name": "Other", "exit_uuid": "e3"},
                        {"uuid": "cat-none", "name": "No Response", "exit_uuid": "e4"},
                    ],
                    "default_category_uuid": "cat-other",
                },
                "exits": [
                    exit_("1", "n-thanks"),
                    exit_("2", "n-thanks"),
                    exit_("3", "n-ask"),
                    exit_("4", "n-silent"),
                ],
            },
            {
                "uuid": "n-thanks",
                "actions": [
                    {
                        "uuid": "act-thanks",
                        "type": "send_msg",
                        "text": "Thanks! You said @results.likes_tea.category.",
                    },
                    {
                        "uuid": "act-field",
                        "type": "set_contact_field",
                        "field": {"key": "city", "name": "City"},
                        "value": "Kigali",
                    },
                ],
                "exits": [exit_("5")],
            },
            {
                "uuid": "n-silent",
                "actions": [{"uuid": "act-silent", "type": "send_msg", "text": "We missed you."}],
                "exits": [exit_("6")],
            },
        ],
    }


def workspace(flows: list[dict[str, Any]], **kinds: Any) -> dict[str, Any]:
    """The test workspace's assets JSON: `flows` with the test channel, fields, groups and
    locations; `kinds` adds asset kinds or replaces these."""
    data = {"flows": flows, "channels": [CHANNEL], "fields": FIELDS, "groups": GROUPS, "locations": LOCATIONS}
    data.update(kinds)
    return data


def mock_http(handler: Any) -> httpx.Client:
    """An HTTP client whose every request `handler` answers: nothing goes to the network."""
    return httpx.Client(transport=httpx.MockTransport(handler))


def seeded_engine(assets: dict[str, Any], handler: Any = None, **engine_kw: Any) -> Engine:
    """An engine on the assets JSON `assets` that does the same on every run: its clock starts at
    START and advances a second per reading, its uuids come from SeededUUIDs(7) (`engine_kw` may
    replace either, or set other Engine options), and `handler` answers its HTTP requests."""
    engine_kw.setdefault("clock", SequentialClock(START))
    engine_kw.setdefault("new_uuid", SeededUUIDs(7))
    http = mock_http(handler) if handler else None
    return Engine(Assets.from_json(assets), http=http, **engine_kw)


def engine(flows: list[dict[str, Any]], handler: Any = None, **assets_extra: Any) -> Engine:
    """A seeded engine on the test workspace with `flows` (`assets_extra` as for workspace())."""
    return seeded_engine(workspace(flows, **assets_extra), handler)


def msg_received(msg: dict[str, Any], created_on: str) -> dict[str, Any]:
    """The msg_received event of `msg`, arrived at `created_on`."""
    return {"type": "msg_received", "created_on": created_on, "msg": msg}


def msg_resume(text: str) -> dict[str, Any]:
    """A msg resume at 09:05: the contact's phone number sent `text` (message m1)."""
    return {
        "type": "msg",
        "resumed_on": "2024-03-01T09:05:00Z",
        "event": msg_received(
            {"uuid": "m1", "text": text, "urn": "tel:+250788123123"}, "2024-03-01T09:05:00Z"
        ),
    }


def types(events: list[dict[str, Any]]) -> list[str]:
    """The events' types, in order."""
    return [e["type"] for e in events]
