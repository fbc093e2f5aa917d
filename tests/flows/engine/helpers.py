"""Small fixtures of our own: flows built in code, a test contact, a deterministic engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from flows.engine import Assets, Engine, SeededUUIDs, SequentialClock

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


def contact(**over: Any) -> dict[str, Any]:
    c = {
        "uuid": "a0000000-0000-4000-8000-00000000000a",
        "name": "Amina Uwase",
        "language": "eng",
        "created_on": "2024-01-01T00:00:00Z",
        "urns": ["tel:+250788123123"],
        "fields": {"age": {"text": "31", "number": 31}},
    }
    c.update(over)
    return c


def exit_(n: str, dest: str | None = None) -> dict[str, Any]:
    return {"uuid": f"e{n}", "destination_uuid": dest}


def question_flow(
    uuid: str = "f1000000-0000-4000-8000-000000000001", timeout: int | None = 300
) -> dict[str, Any]:
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


def engine(flows: list[dict[str, Any]], handler: Any = None, **assets_extra: Any) -> Engine:
    data = {"flows": flows, "channels": [CHANNEL], "fields": FIELDS, "groups": GROUPS, "locations": LOCATIONS}
    data.update(assets_extra)
    http = httpx.Client(transport=httpx.MockTransport(handler)) if handler else None
    return Engine(Assets.from_json(data), http=http, clock=SequentialClock(START), new_uuid=SeededUUIDs(7))


def msg_resume(text: str) -> dict[str, Any]:
    return {
        "type": "msg",
        "resumed_on": "2024-03-01T09:05:00Z",
        "event": {
            "type": "msg_received",
            "created_on": "2024-03-01T09:05:00Z",
            "msg": {"uuid": "m1", "text": text, "urn": "tel:+250788123123"},
        },
    }


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]
