"""The expression context values, whole: what @trigger, @input, @results, @run, @parent/@child,
@webhook, @resume and @node hold, with their exact property names (templates and json() see the
keys as written) and what each renders as when used directly (its default).

Contexts are built straight from engine objects; `snap()` turns a context value into plain Python
(XObject -> dict of its resolved properties plus "@default" when it has one) so a whole value can
be compared at once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from flows.engine import Assets, Environment
from flows.engine.contact import Contact
from flows.engine.context import (
    TOP_LEVELS,
    build_context,
    input_context,
    result_context,
    results_context,
    run_summary_context,
    trigger_context,
    webhook_context,
)
from flows.engine.session import Run, Session
from flows.engine.values import XObject, to_text

from .helpers import CHANNEL, FIELDS, GROUPS, contact, question_flow

UTC = dt.UTC
ENV = Environment()
ASSETS = Assets.from_json(
    {"flows": [question_flow()], "channels": [CHANNEL], "fields": FIELDS, "groups": GROUPS}
)
FLOW_REF = {"uuid": "f1000000-0000-4000-8000-000000000001", "name": "Question"}


def question_run(**over: Any) -> Run:
    """A run (uuid 7a…01) of the question flow; `over` sets its other fields or replaces these."""
    kwargs: dict[str, Any] = {"uuid": "7a000000-0000-4000-8000-000000000001", "flow": dict(FLOW_REF)}
    kwargs.update(over)
    return Run(**kwargs)


def snap(v: Any) -> Any:
    """A context value as plain Python, every lazy property resolved."""
    if isinstance(v, XObject):
        out = {k: snap(x) for k, x in v.items()}
        if v.has_default:
            out["@default"] = snap(v.default)
        return out
    if isinstance(v, list):
        return [snap(x) for x in v]
    return v


def kind(v: Any) -> Any:
    """Like snap, but keeps the type of leaves (so "" and None, "31" and 31 differ)."""
    s = snap(v)

    def walk(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: walk(y) for k, y in x.items()}
        if isinstance(x, list):
            return [walk(y) for y in x]
        return (type(x).__name__, x)

    return walk(s)


# --- @trigger ------------------------------------------------------------------------------------

FULL_TRIGGER = {
    "type": "campaign",
    "params": {"source": "sms", "count": 2},
    "keyword": "join",
    "user": {"email": "bob@example.com", "name": "Bob"},
    "origin": "api",
    "campaign": {"uuid": "ca000000-0000-4000-8000-000000000001", "name": "Reminders"},
    "optin": {"uuid": "0a000000-0000-4000-8000-000000000001", "name": "Newsletter"},
}


def test_trigger_context_exposes_each_trigger_property() -> None:
    assert kind(trigger_context(FULL_TRIGGER, ASSETS, ENV)) == kind(
        {
            "type": "campaign",
            "params": {"source": "sms", "count": Decimal(2)},
            "keyword": "join",
            "user": {"email": "bob@example.com", "name": "Bob"},
            "origin": "api",
            "campaign": {"uuid": "ca000000-0000-4000-8000-000000000001", "name": "Reminders"},
            "ticket": None,
            "optin": {"uuid": "0a000000-0000-4000-8000-000000000001", "name": "Newsletter"},
        }
    )


EMPTY_TRIGGER_CTX: dict[str, Any] = {
    "type": "",
    "params": {},
    "keyword": "",
    "user": None,
    "origin": "",
    "campaign": None,
    "ticket": None,
    "optin": None,
}


@pytest.mark.parametrize(
    "trigger",
    [
        {},
        # empty objects count as absent: no user, campaign or opt-in object
        {"params": {}, "user": {}, "campaign": {}, "optin": {}},
        {"params": None, "user": None, "campaign": None, "optin": None},
    ],
)
def test_trigger_context_without_properties(trigger: dict[str, Any]) -> None:
    assert kind(trigger_context(trigger, ASSETS, ENV)) == kind(EMPTY_TRIGGER_CTX)


def test_trigger_context_keys_in_order() -> None:
    assert trigger_context({}, ASSETS, ENV).keys() == [
        "type",
        "params",
        "keyword",
        "user",
        "origin",
        "campaign",
        "ticket",
        "optin",
    ]


# --- @input --------------------------------------------------------------------------------------

FULL_MSG = {
    "uuid": "9a000000-0000-4000-8000-000000000001",
    "channel": {"uuid": CHANNEL["uuid"], "name": "Test SMS"},
    "text": "Hi there",
    "attachments": ["image/jpeg:https://example.com/a.jpg", "audio/mp3:https://example.com/b.mp3"],
    "urn": "tel:+250788123123?channel=c1a00000-0000-4000-8000-000000000001",
    "external_id": "ext-42",
}


def test_input_context_exposes_the_message() -> None:
    ctx = input_context(FULL_MSG, "2024-03-01T09:00:05.123456789Z")
    assert kind(ctx) == kind(
        {
            "uuid": "9a000000-0000-4000-8000-000000000001",
            "type": "msg",
            "channel": {"uuid": CHANNEL["uuid"], "name": "Test SMS", "@default": "Test SMS"},
            "created_on": dt.datetime(2024, 3, 1, 9, 0, 5, 123456, tzinfo=UTC),
            "text": "Hi there",
            "attachments": [
                "image/jpeg:https://example.com/a.jpg",
                "audio/mp3:https://example.com/b.mp3",
            ],
            # the URN without its query
            "urn": "tel:+250788123123",
            "external_id": "ext-42",
            # @input renders as the text then each attachment, one a line
            "@default": "Hi there\nimage/jpeg:https://example.com/a.jpg\naudio/mp3:https://example.com/b.mp3",
        }
    )
    assert ctx is not None
    assert ctx.keys() == [
        "uuid",
        "type",
        "channel",
        "created_on",
        "text",
        "attachments",
        "urn",
        "external_id",
    ]


def test_input_context_of_a_bare_message() -> None:
    ctx = input_context({"text": ""}, None)
    assert kind(ctx) == kind(
        {
            "uuid": "",
            "type": "msg",
            "channel": None,
            "created_on": None,
            "text": "",
            "attachments": [],
            "urn": None,
            "external_id": "",
            "@default": "",
        }
    )


@pytest.mark.parametrize(
    ("msg", "rendered"),
    [
        ({"attachments": ["image/png:https://x.org/a.png"]}, "image/png:https://x.org/a.png"),
        ({"text": "hey"}, "hey"),
        ({"text": "hey", "attachments": ["a:1", "b:2"]}, "hey\na:1\nb:2"),
        ({"text": "", "attachments": ["a:1", "", "b:2"]}, "a:1\nb:2"),
        ({"uuid": "x"}, ""),
    ],
)
def test_input_renders_text_and_attachments(msg: dict[str, Any], rendered: str) -> None:
    ctx = input_context(msg, None)
    assert ctx is not None
    assert ctx.default == rendered
    assert ctx.get("text") == msg.get("text", "")
    assert ctx.get("attachments") == msg.get("attachments", [])


def test_input_channel_without_a_name_renders_empty() -> None:
    ctx = input_context({"text": "x", "channel": {"uuid": "c1"}}, None)
    assert ctx is not None
    assert kind(ctx.get("channel")) == kind({"uuid": "c1", "@default": None})
    assert to_text(ctx.get("channel")) == ""


def test_no_input_is_null() -> None:
    assert input_context(None, None) is None
    assert input_context({}, None) is None


# --- @results ------------------------------------------------------------------------------------

FULL_RESULT = {
    "name": "Likes Tea",
    "value": "yes",
    "category": "Yes",
    "category_localized": "Oui",
    "input": "yes please",
    "extra": {"score": 0.9, "tags": ["a"]},
    "node_uuid": "n-ask",
    "created_on": "2024-03-01T09:00:07.000001Z",
}


def test_result_context_exposes_each_property() -> None:
    ctx = result_context(FULL_RESULT)
    assert kind(ctx) == kind(
        {
            "name": "Likes Tea",
            "value": "yes",
            "category": "Yes",
            "category_localized": "Oui",
            "input": "yes please",
            "extra": {"score": Decimal("0.9"), "tags": ["a"]},
            "node_uuid": "n-ask",
            "created_on": dt.datetime(2024, 3, 1, 9, 0, 7, 1, tzinfo=UTC),
            "@default": "yes",
        }
    )
    assert ctx.keys() == [
        "name",
        "value",
        "category",
        "category_localized",
        "input",
        "extra",
        "node_uuid",
        "created_on",
    ]


def test_result_context_of_an_empty_result() -> None:
    assert kind(result_context({})) == kind(
        {
            "name": "",
            "value": "",
            "category": "",
            "category_localized": "",
            "input": "",
            "extra": None,
            "node_uuid": "",
            "created_on": None,
            "@default": "",
        }
    )


def test_result_category_localized_falls_back_to_category() -> None:
    ctx = result_context({"name": "X", "value": "1", "category": "Low"})
    assert ctx.get("category_localized") == "Low"


def test_results_render_as_sorted_name_value_lines() -> None:
    ctx = results_context(
        {
            "zeta": {"name": "Zeta", "value": "9"},
            "b_key": {"value": "2"},  # no name: the key stands in
            "alpha": {"name": "Alpha"},  # no value: empty
        }
    )
    assert ctx.default == "Alpha: \nZeta: 9\nb_key: 2"
    assert ctx.keys() == ["zeta", "b_key", "alpha"]
    assert snap(ctx.get("b_key"))["value"] == "2"


# --- @parent / @child / trigger run summaries -------------------------------------------------

SUMMARY = {
    "uuid": "5a000000-0000-4000-8000-000000000001",
    "flow": {"uuid": "f2000000-0000-4000-8000-000000000002", "name": "Parent Flow"},
    "contact": {
        "uuid": "b0000000-0000-4000-8000-00000000000b",
        "name": "Bob Mugisha",
        "created_on": "2024-01-01T00:00:00Z",
        "urns": ["tel:+250788000111", "telegram:1234"],
        "fields": {"age": {"text": "40", "number": 40}, "city": {"text": "Huye"}},
    },
    "status": "waiting",
    "results": {"color": {"name": "Color", "value": "red", "category": "Red"}},
}


def test_run_summary_context_whole() -> None:
    ctx = run_summary_context(SUMMARY, ASSETS, ENV)
    got = snap(ctx)
    assert ctx.keys() == ["uuid", "contact", "flow", "status", "results", "fields", "urns"]
    assert got["uuid"] == "5a000000-0000-4000-8000-000000000001"
    assert got["@default"] == "5a000000-0000-4000-8000-000000000001"
    assert got["flow"] == {
        "uuid": "f2000000-0000-4000-8000-000000000002",
        "name": "Parent Flow",
        "@default": "Parent Flow",
    }
    assert got["status"] == "waiting"
    assert got["contact"]["name"] == "Bob Mugisha"
    assert got["contact"]["@default"] == "Bob Mugisha"
    assert got["results"]["color"]["category"] == "Red"
    assert got["results"]["@default"] == "Color: red"
    assert kind(got["fields"]) == kind({"age": Decimal(40), "city": "Huye"})
    assert got["urns"]["tel"] == "tel:+250788000111"
    assert got["urns"]["telegram"] == "telegram:1234"
    assert got["urns"]["whatsapp"] is None
    # old flows' @parent.run.status is the summary itself
    assert ctx.get("run") is ctx
    assert ctx.get("RUN") is ctx


def test_run_summary_context_of_an_empty_summary() -> None:
    got = kind(run_summary_context({}, ASSETS, ENV))
    assert got["uuid"] == ("str", "")
    assert got["@default"] == ("str", "")
    assert got["flow"] == {"@default": ("str", "")}
    assert got["status"] == ("str", "")
    assert got["results"] == {"@default": ("str", "")}
    assert got["fields"] == {"age": ("NoneType", None), "city": ("NoneType", None)}


def test_run_summary_flow_without_name_renders_empty() -> None:
    ctx = run_summary_context({"uuid": "u", "flow": {"uuid": "f"}}, ASSETS, ENV)
    assert kind(ctx.get("flow")) == kind({"uuid": "f", "@default": ""})


# --- @webhook ------------------------------------------------------------------------------------


def test_webhook_context_of_a_call() -> None:
    call = {
        "method": "POST",
        "url": "https://example.com/hook",
        "status": 200,
        "headers": {"Content-Type": "application/json"},
        "json": {"ok": True},
    }
    ctx = webhook_context(call)
    assert kind(ctx) == kind(
        {
            "status": Decimal(200),
            "headers": {"Content-Type": "application/json"},
            "json": {"ok": True},
            "@default": "POST https://example.com/hook",
        }
    )


def test_webhook_context_without_method_or_url() -> None:
    ctx = webhook_context({"status": 500, "json": None})
    assert kind(ctx) == kind({"status": Decimal(500), "headers": None, "json": None, "@default": " "})


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (None, None),
        ("plain text body", "plain text body"),
        ([1, "a"], [Decimal(1), "a"]),
        # stored by older versions: the body itself, no status/json wrapper
        ({"json": {"a": 1}}, {"json": {"a": Decimal(1)}}),
        ({"status": 200}, {"status": Decimal(200)}),
        ({"name": "x"}, {"name": "x"}),
    ],
)
def test_webhook_context_of_older_sessions(call: Any, expected: Any) -> None:
    assert kind(webhook_context(call)) == kind(expected)


# --- the whole context -----------------------------------------------------------------------


def _session(**over: Any) -> tuple[Session, Run]:
    run = question_run(
        created_on="2024-03-01T09:00:00Z",
        path=[{"node_uuid": "n-ask", "arrived_on": "2024-03-01T09:00:01Z"}],
    )
    kwargs: dict[str, Any] = {
        "uuid": "5e000000-0000-4000-8000-000000000001",
        "contact": Contact.from_json(contact(without=("language",))),
        "environment": ENV,
        "trigger": {"type": "manual"},
        "runs": [run],
    }
    kwargs.update(over)
    return Session(**kwargs), run


def test_build_context_has_every_top_level() -> None:
    session, run = _session()
    ctx = build_context(session, run, ASSETS, ENV)
    assert ctx.keys() == [
        "contact",
        "fields",
        "urns",
        "results",
        "run",
        "input",
        "webhook",
        "locals",
        "globals",
        "trigger",
        "node",
        "resume",
        "ticket",
        "legacy_extra",
        "parent",
        "child",
    ]
    assert set(ctx.keys()) == TOP_LEVELS
    got = snap(ctx)
    assert got["ticket"] is None
    assert got["input"] is None
    assert got["parent"] is None
    assert got["child"] is None
    assert got["resume"] is None
    assert got["trigger"]["type"] == "manual"
    assert got["contact"]["name"] == "Amina Uwase"
    assert got["fields"]["age"] == Decimal(31)
    assert got["urns"]["tel"] == "tel:+250788123123"


def test_build_context_input_created_on() -> None:
    session, run = _session(input={"text": "hi"}, input_created_on="2024-03-01T09:00:03Z")
    got = snap(build_context(session, run, ASSETS, ENV))
    assert got["input"]["created_on"] == dt.datetime(2024, 3, 1, 9, 0, 3, tzinfo=UTC)
    assert got["input"]["text"] == "hi"


def test_parent_and_child_contexts_from_the_same_session() -> None:
    session, parent = _session()
    parent.results = {"color": {"name": "Color", "value": "red"}}
    child = Run(
        uuid="7a000000-0000-4000-8000-000000000002",
        flow={"uuid": "f3000000-0000-4000-8000-000000000003", "name": "Child Flow"},
        status="completed",
        parent_uuid=parent.uuid,
        results={"size": {"name": "Size", "value": "L"}},
    )
    session.runs.append(child)

    as_parent = snap(build_context(session, parent, ASSETS, ENV))
    assert as_parent["parent"] is None
    kid = as_parent["child"]
    assert kid["uuid"] == child.uuid
    assert kid["@default"] == child.uuid
    assert kid["status"] == "completed"
    assert kid["flow"]["@default"] == "Child Flow"
    assert kid["results"]["size"]["value"] == "L"
    assert kid["fields"] == {"age": Decimal(31), "city": None}
    assert kid["contact"]["name"] == "Amina Uwase"

    as_child = snap(build_context(session, child, ASSETS, ENV))
    assert as_child["child"] is None
    mom = as_child["parent"]
    assert mom["uuid"] == parent.uuid
    assert mom["status"] == "active"
    assert mom["flow"]["@default"] == "Question"
    assert mom["results"]["color"]["value"] == "red"
    assert mom["fields"] == {"age": Decimal(31), "city": None}


def test_parent_from_the_trigger_run_summary() -> None:
    session, run = _session(trigger={"type": "flow_action", "run_summary": SUMMARY})
    got = snap(build_context(session, run, ASSETS, ENV))
    assert got["parent"]["uuid"] == SUMMARY["uuid"]
    assert got["parent"]["contact"]["name"] == "Bob Mugisha"
    assert got["parent"]["fields"]["city"] == "Huye"


def test_run_parent_in_session_wins_over_trigger_summary() -> None:
    session, parent = _session(trigger={"type": "flow_action", "run_summary": SUMMARY})
    child = question_run(uuid="7a000000-0000-4000-8000-000000000002", parent_uuid=parent.uuid)
    session.runs.append(child)
    got = snap(build_context(session, child, ASSETS, ENV))
    assert got["parent"]["uuid"] == parent.uuid
    assert got["parent"]["contact"]["name"] == "Amina Uwase"


def test_unknown_parent_run_falls_back_to_nothing() -> None:
    session, run = _session()
    run.parent_uuid = "7a000000-0000-4000-8000-00000000dead"
    assert snap(build_context(session, run, ASSETS, ENV))["parent"] is None
