"""Exact JSON of sessions and runs (flows/engine/session.py): what `to_json()` stores, what
`from_json()` makes of stored JSON (including the defaults of missing keys), the summary of a run
that subflows see, and the JSON-safe copies (Decimals, large webhook bodies)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from flows.engine import Contact, Environment, FixedClock, Run, Session
from flows.engine.session import MAX_STORED_WEBHOOK, jsonable

from .helpers import contact

Json = dict[str, Any]
CONTACT = contact(status="active")  # the test contact as a session stores it: with its status
FLOW = {"name": "Question", "uuid": "f1000000-0000-4000-8000-000000000001"}
FULL_RUN: Json = {
    "uuid": "r1",
    "flow": FLOW,
    "status": "completed",
    "created_on": "2024-03-01T09:00:01.000000Z",
    "modified_on": "2024-03-01T09:00:09.000000Z",
    "exited_on": "2024-03-01T09:00:09.000000Z",
    "path": [
        {"uuid": "s1", "node_uuid": "n-ask", "arrived_on": "2024-03-01T09:00:02.000000Z", "exit_uuid": "e1"}
    ],
    "expires_on": "2024-03-04T09:00:05.000000Z",
    "results": {
        "likes_tea": {
            "name": "Likes Tea",
            "value": "yes",
            "category": "Yes",
            "node_uuid": "n-ask",
            "created_on": "2024-03-01T09:00:08.000000Z",
            "input": "yes",
        }
    },
    "locals": {"count": "2"},
    "parent_uuid": "r0",
    "webhook": {"json": {"ok": True}},
}
FULL_SESSION: Json = {
    "uuid": "s-1",
    "type": "voice",
    "status": "waiting",
    "created_on": "2024-03-01T09:00:00.000000Z",
    "environment": {
        "date_format": "MM-DD-YYYY",
        "time_format": "tt:mm:ss",
        "timezone": "Africa/Kigali",
        "redaction_policy": "urns",
        "allowed_languages": ["eng", "fra"],
        "default_country": "RW",
    },
    "trigger": {"type": "manual", "flow": FLOW},
    "contact": CONTACT,
    "runs": [FULL_RUN],
    "sprints": 3,
    "wait": {"type": "msg", "expires_on": "2024-03-04T09:00:05.000000Z"},
    "input": {"msg": {"uuid": "m1", "text": "yes"}, "created_on": "2024-03-01T09:05:00Z"},
}


def test_a_full_run_round_trips() -> None:
    run = Run.from_json(json.loads(json.dumps(FULL_RUN)))
    assert (run.exited_on, run.locals, run.parent_uuid) == (FULL_RUN["exited_on"], {"count": "2"}, "r0")
    assert run.to_json() == FULL_RUN


def test_a_minimal_run_gets_defaults() -> None:
    run = Run.from_json({"uuid": "r1"})
    assert run == Run(uuid="r1", flow={})
    assert (run.status, run.created_on, run.modified_on, run.exited_on, run.locals) == (
        "active",
        "",
        "",
        None,
        {},
    )
    assert run.to_json() == {
        "uuid": "r1",
        "flow": {},
        "status": "active",
        "created_on": "",
        "modified_on": "",
        "exited_on": None,
        "path": [],
    }


def test_a_full_session_round_trips() -> None:
    session = Session.from_json(json.loads(json.dumps(FULL_SESSION)))
    assert session.type == "voice"
    assert session.input == {"uuid": "m1", "text": "yes"}
    assert session.input_created_on == "2024-03-01T09:05:00Z"
    assert session.sprints == 3
    assert session.to_json() == FULL_SESSION


def test_a_minimal_session_gets_defaults() -> None:
    session = Session.from_json({"uuid": "s-1"})
    assert (session.type, session.status, session.created_on, session.sprints) == (
        "messaging",
        "active",
        "",
        0,
    )
    assert (session.input, session.input_created_on, session.wait, session.trigger) == (None, None, None, {})
    assert session.to_json() == {
        "uuid": "s-1",
        "type": "messaging",
        "status": "active",
        "created_on": "",
        "environment": {
            "date_format": "DD-MM-YYYY",
            "time_format": "tt:mm",
            "timezone": "UTC",
            "redaction_policy": "none",
        },
        "trigger": {},
        "contact": {"uuid": "", "name": "", "status": "active", "created_on": ""},
        "runs": [],
        "sprints": 0,
    }


@pytest.mark.parametrize(
    ("stored", "engine_env", "expected"),
    [
        # the stored session's settings win...
        ({"default_country": "RW", "allowed_languages": ["fra"]}, {}, ("RW", ["fra"])),
        (
            {"default_country": "RW", "allowed_languages": ["fra"]},
            {"default_country": "KE", "allowed_languages": ["eng"]},
            ("RW", ["fra"]),
        ),
        # ...and the engine's fill in what the stored session leaves out
        ({}, {"default_country": "KE", "allowed_languages": ["eng"]}, ("KE", ["eng"])),
        ({}, {}, ("", [])),
    ],
)
def test_loading_into_an_engine_environment(
    stored: Json, engine_env: Json, expected: tuple[str, list[str]]
) -> None:
    clock = FixedClock(dt.datetime(2024, 3, 1, tzinfo=dt.UTC))
    env = Environment.from_json(engine_env, now=clock)
    data = {
        "uuid": "s-1",
        "environment": {"timezone": "Africa/Kigali", "date_format": "YYYY-MM-DD", **stored},
    }
    session = Session.from_json(data, env)
    assert session.environment is env
    assert env.now is clock
    assert (env.default_country, env.allowed_languages) == expected
    assert (env.timezone_name, env.date_format, env.time_format) == ("Africa/Kigali", "YYYY-MM-DD", "tt:mm")


def test_run_summary() -> None:
    session = Session.from_json(FULL_SESSION)
    assert session.run_summary(session.runs[0]) == {
        "uuid": "r1",
        "flow": FLOW,
        "contact": CONTACT,
        "status": "completed",
        "results": FULL_RUN["results"],
    }


def test_last_child() -> None:
    parent = Run(uuid="p", flow=FLOW)
    first, second = Run(uuid="c1", flow=FLOW, parent_uuid="p"), Run(uuid="c2", flow=FLOW, parent_uuid="p")
    session = Session(uuid="s", contact=Contact.from_json(CONTACT), environment=Environment(), trigger={})
    session.runs = [parent, first, second]
    assert session.last_child(parent) is second
    assert session.last_child(second) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("3"), "3"),
        (Decimal("3.0"), "3"),
        (Decimal("1.5"), "1.5"),
        ({"a": [Decimal("-2"), (Decimal("0.25"), "x")]}, '{"a": [-2, [0.25, "x"]]}'),
    ],
)
def test_jsonable_numbers(value: Any, expected: str) -> None:
    assert json.dumps(jsonable(value)) == expected


def body_of(size: int) -> str:
    """A string whose JSON encoding is `size` characters long."""
    return "x" * (size - 2)


@pytest.mark.parametrize(
    ("webhook", "kept"),
    [
        ({"json": body_of(MAX_STORED_WEBHOOK)}, True),
        ({"json": body_of(MAX_STORED_WEBHOOK + 1)}, False),
        # only the response body counts, not the rest of the call
        ({"json": {"ok": True}, "body": "y" * (MAX_STORED_WEBHOOK * 2)}, True),
        # a body stored as is (not a call)
        ([1, 2, 3], True),
        (body_of(MAX_STORED_WEBHOOK + 1), False),
    ],
)
def test_webhook_stored_only_when_small(webhook: Any, kept: bool) -> None:
    out = Run(uuid="r", flow=FLOW, webhook=webhook).to_json()
    assert out.get("webhook") == (webhook if kept else None)
