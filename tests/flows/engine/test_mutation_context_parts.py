"""More of the expression context, exactly: old flows' @legacy_extra (@extra), @run, @node,
@contact (its channel, id, first name and what it renders as), @urns, @fields, @resume and the
timestamp parsing behind every *_on property."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from flows.engine import Assets
from flows.engine.contact import Contact
from flows.engine.context import (
    compact_json,
    contact_context,
    fields_context,
    legacy_extra_context,
    parse_iso,
    resume_context,
    run_context,
    urn_text,
    urns_context,
)
from flows.engine.session import Run, Session
from flows.engine.values import to_text

from .helpers import CHANNEL, CONTACT_UUID, FIELDS, GROUPS
from .test_mutation_context import ASSETS, ENV, FLOW_REF, kind, snap
from .test_mutation_context import question_run as _run

UTC = dt.UTC


# --- @legacy_extra -------------------------------------------------------------------------------


def test_legacy_extra_params_then_results() -> None:
    trigger = {"params": {"First Name": "Ann", "Zip-Code": 123}}
    run = _run(
        results={
            "w": {"name": "Weather API", "value": "ok", "extra": {"temp": 21, "tags": ["x", "y"]}},
            "plain": {"name": "Plain", "value": "no extra"},
        }
    )
    got = snap(legacy_extra_context(trigger, run))
    assert got == {
        "first_name": "Ann",
        "zip_code": Decimal(123),
        # the whole extra as compact JSON text, keyed by the snakified result name
        "weather_api": '{"tags":["x","y"],"temp":21}',
        "temp": Decimal(21),
        "tags": ["x", "y"],
    }


def test_legacy_extra_list_extra_is_keyed_by_index() -> None:
    run = _run(results={"r": {"name": "R", "value": "v", "extra": ["a", {"b": 1}]}})
    got = snap(legacy_extra_context({}, run))
    assert got == {"r": '["a",{"b":1}]', "0": "a", "1": {"b": Decimal(1)}}


def test_legacy_extra_keys_are_truncated_to_255() -> None:
    long_key = "K" * 300
    got = legacy_extra_context({"params": {long_key: "v"}}, _run())
    assert got.keys() == ["k" * 255]


def test_legacy_extra_uses_the_text_the_extra_arrived_in() -> None:
    run = _run(results={"r": {"name": "R", "value": "v", "extra": {"b": 1, "a": 2}}})
    run.extra_texts = {"r": '{ "b": 1, "a": 2 }'}
    assert snap(legacy_extra_context({}, run))["r"] == '{ "b": 1, "a": 2 }'


def test_legacy_extra_result_without_name_uses_key() -> None:
    run = _run(results={"Some Key": {"value": "v", "extra": {"q": 1}}})
    assert legacy_extra_context({}, run).keys() == ["some_key", "q"]


def test_legacy_extra_null_extra_is_text_null() -> None:
    # only a missing or null extra is skipped
    run = _run(results={"r": {"name": "R", "value": "v", "extra": {}}})
    assert snap(legacy_extra_context({}, run)) == {"r": "{}"}


def _timed(order: list[tuple[str, str | None, str]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key, created_on, x in order:
        r: dict[str, Any] = {"name": key, "value": x, "extra": {"x": x}}
        if created_on is not None:
            r["created_on"] = created_on
        out[key] = r
    return out


# the later-saved result wins: saved order is created_on, not key or insertion order
ORDERINGS = [
    ([("a_second", "2024-01-02T00:00:00Z", "A"), ("b_first", "2024-01-01T00:00:00Z", "B")], "A"),
    # a result without a created_on sorts first
    ([("c_timed", "2024-01-01T00:00:00Z", "C"), ("d_untimed", None, "D")], "C"),
]


@pytest.mark.parametrize(("order", "winner"), ORDERINGS)
def test_legacy_extra_run_results_in_saved_order(order: list[Any], winner: str) -> None:
    run = _run(results=_timed(order))
    assert snap(legacy_extra_context({}, run))["x"] == winner


@pytest.mark.parametrize(("order", "winner"), ORDERINGS)
def test_legacy_extra_parent_results_in_saved_order(order: list[Any], winner: str) -> None:
    trigger = {"run_summary": {"results": _timed(order)}}
    assert snap(legacy_extra_context(trigger, _run()))["x"] == winner


def test_legacy_extra_parent_results_come_before_the_runs_own() -> None:
    trigger = {
        "params": {"x": "param", "p": 1},
        "run_summary": {
            "results": {"pr": {"name": "Parent R", "value": "1", "extra": {"x": "parent", "y": "é"}}}
        },
    }
    run = _run(results={"mine": {"name": "Mine", "value": "2", "extra": {"x": "mine"}}})
    run.extra_texts = {"pr": "IGNORED: parent results have no stored text"}
    got = snap(legacy_extra_context(trigger, run))
    assert got == {
        "x": "mine",
        "p": Decimal(1),
        "parent_r": '{"x":"parent","y":"é"}',
        "y": "é",
        "mine": '{"x":"mine"}',
    }


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"b": 1, "a": [True, None]}, '{"a":[true,null],"b":1}'),
        ({"name": "Zoë ✓"}, '{"name":"Zoë ✓"}'),
        ([1, "x"], '[1,"x"]'),
    ],
)
def test_compact_json(value: Any, text: str) -> None:
    assert compact_json(value) == text


# --- @run ----------------------------------------------------------------------------------------


def _session(run: Run) -> Session:
    return Session(
        uuid="5e000000-0000-4000-8000-000000000001",
        contact=_contact(),
        environment=ENV,
        trigger={},
        runs=[run],
    )


def test_run_context_whole() -> None:
    run = _run(
        status="completed",
        created_on="2024-03-01T09:00:00Z",
        exited_on="2024-03-01T09:05:00.5Z",
        path=[{"node_uuid": "n-ask", "arrived_on": "2024-03-01T09:00:01Z"}, {"arrived_on": None}],
        results={"likes_tea": {"name": "Likes Tea", "value": "yes"}},
    )
    ctx = run_context(run, _session(run), ASSETS, ENV)
    got = kind(ctx)
    assert got["@default"] == ("str", run.uuid)
    assert got["flow"] == kind({**FLOW_REF, "@default": "Question"})
    assert got["status"] == ("str", "completed")
    assert got["created_on"] == ("datetime", dt.datetime(2024, 3, 1, 9, 0, tzinfo=UTC))
    assert got["exited_on"] == ("datetime", dt.datetime(2024, 3, 1, 9, 5, 0, 500000, tzinfo=UTC))
    assert got["results"]["likes_tea"]["value"] == ("str", "yes")
    assert got["results"]["@default"] == ("str", "Likes Tea: yes")
    assert got["path"] == kind(
        [
            {"arrived_on": dt.datetime(2024, 3, 1, 9, 0, 1, tzinfo=UTC), "node_uuid": "n-ask"},
            {"arrived_on": None, "node_uuid": ""},
        ]
    )
    assert got["contact"]["name"] == ("str", "Amina Uwase")
    assert to_text(ctx) == run.uuid


def test_run_flow_without_name_renders_empty() -> None:
    run = _run(flow={"uuid": "f9"})
    ctx = run_context(run, _session(run), ASSETS, ENV)
    assert kind(ctx.get("flow")) == kind({"uuid": "f9", "@default": ""})


# --- @node ---------------------------------------------------------------------------------------


def _node(run: Run, assets: Assets = ASSETS) -> Any:
    from flows.engine.context import build_context

    return snap(build_context(_session(run), run, assets, ENV))["node"]


def test_node_context_of_a_router_node() -> None:
    run = _run(path=[{"node_uuid": "n-ask"}, {"node_uuid": "n-thanks"}, {"node_uuid": "n-ask"}])
    node = _node(run)
    assert node == {"uuid": "n-ask", "visit_count": 2, "categories": ["Yes", "No", "Other", "No Response"]}
    assert list(node) == ["uuid", "visit_count", "categories"]


def test_node_context_of_an_action_node() -> None:
    run = _run(path=[{"node_uuid": "n-thanks"}])
    assert _node(run) == {"uuid": "n-thanks", "visit_count": 1, "categories": []}


def test_node_context_before_any_node() -> None:
    assert _node(_run()) == {"uuid": "", "visit_count": 0, "categories": []}


def test_node_context_of_a_flow_not_in_the_assets() -> None:
    run = _run(flow={"uuid": "f9000000-0000-4000-8000-000000000009"}, path=[{"node_uuid": "n-ask"}])
    assert _node(run) == {"uuid": "n-ask", "visit_count": 1, "categories": []}


# --- @contact ------------------------------------------------------------------------------------

OTHER_CHANNEL = {"uuid": "c2a00000-0000-4000-8000-000000000002", "name": "Other", "address": "+1555"}
CH_ASSETS = Assets.from_json({"channels": [CHANNEL, OTHER_CHANNEL], "fields": FIELDS, "groups": GROUPS})


def _contact(**over: Any) -> Contact:
    """The test contact with only its uuid and name (and `over`): the rest is the reader's defaults."""
    data: dict[str, Any] = {"uuid": CONTACT_UUID, "name": "Amina Uwase"}
    data.update(over)
    return Contact.from_json(data)


@pytest.mark.parametrize(
    ("urns", "channel"),
    [
        ([], None),
        (["tel:+250788123123"], None),
        (["bogus"], None),
        ([f"tel:+250788123123?channel={OTHER_CHANNEL['uuid']}"], "Other"),
        ([f"tel:+250788123123?channel={OTHER_CHANNEL['uuid']}&id=5"], "Other"),
        ([f"tel:+250788123123?channel={OTHER_CHANNEL['uuid']}&old_channel={CHANNEL['uuid']}"], "Other"),
        # the uuid runs up to the next "&"
        ([f"tel:+250788123123?channel={OTHER_CHANNEL['uuid']}channel=x"], None),
        (["tel:+250788123123?channel=unknown", f"tel:+250788000000?channel={CHANNEL['uuid']}"], "Test SMS"),
    ],
)
def test_contact_channel(urns: list[str], channel: str | None) -> None:
    ctx = contact_context(_contact(urns=urns), CH_ASSETS, ENV)
    ch = ctx.get("channel")
    if channel is None:
        assert ch is None
    else:
        assert to_text(ch) == channel
        assert ch.has_default
        got = snap(ch)
        assert got["name"] == channel
        assert list(got) == ["uuid", "name", "address", "@default"]


def test_contact_channel_properties() -> None:
    ctx = contact_context(_contact(urns=[f"tel:+1?channel={OTHER_CHANNEL['uuid']}"]), CH_ASSETS, ENV)
    assert snap(ctx.get("channel")) == {
        "uuid": OTHER_CHANNEL["uuid"],
        "name": "Other",
        "address": "+1555",
        "@default": "Other",
    }


@pytest.mark.parametrize(
    ("data", "rendered", "first_name", "id_"),
    [
        ({"name": "Amina Uwase", "id": 12}, "Amina Uwase", "Amina", "12"),
        # no name, no first name (goflow resolves it to nothing, not to "")
        ({"name": "", "urns": ["tel:+250788000111?channel=x", "tel:+2"]}, "tel:+250788000111", None, ""),
        ({"name": ""}, "", None, ""),
        ({"name": "Solo"}, "Solo", "Solo", ""),
    ],
)
def test_contact_renders_and_names(
    data: dict[str, Any], rendered: str, first_name: str | None, id_: str
) -> None:
    ctx = contact_context(_contact(**data), CH_ASSETS, ENV)
    assert ctx.default == rendered
    assert ctx.get("first_name") == first_name
    assert ctx.get("id") == id_


@pytest.mark.parametrize(
    ("last_seen_on", "expected"),
    [(None, None), ("2024-02-01T10:00:00Z", dt.datetime(2024, 2, 1, 10, 0, tzinfo=UTC))],
)
def test_contact_last_seen_on(last_seen_on: str | None, expected: dt.datetime | None) -> None:
    ctx = contact_context(_contact(last_seen_on=last_seen_on), CH_ASSETS, ENV)
    assert ctx.get("last_seen_on") == expected


# --- @urns, @fields, URN text --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("urn", "text"),
    [
        ("tel:+250788123123", "tel:+250788123123"),
        ("tel:+250788123123?channel=abc&id=1", "tel:+250788123123"),
        ("telegram:1234#bob", "telegram:1234#bob"),
        ("bogus", "bogus"),
    ],
)
def test_urn_text(urn: str, text: str) -> None:
    assert urn_text(urn) == text


def test_urns_context_first_urn_of_each_scheme() -> None:
    c = _contact(urns=["bogus", "tel:+250788000001?channel=x", "tel:+250788000002", "telegram:99#ann"])
    got = snap(urns_context(c))
    assert got["tel"] == "tel:+250788000001"
    assert got["telegram"] == "telegram:99#ann"
    assert got["email"] is None


def test_fields_context_typed_values() -> None:
    c = _contact(fields={"age": {"text": "31", "number": 31}, "city": {"text": "Kigali"}})
    assert kind(fields_context(c, CH_ASSETS)) == kind({"age": Decimal(31), "city": "Kigali"})


# --- @resume -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resume", "expected"),
    [
        (None, None),
        ({"type": "msg", "msg": {"text": "hi"}}, {"type": "msg", "msg": {"text": "hi"}}),
        (
            {"type": "dial", "dial": {"status": "answered", "duration": 10}},
            {"type": "dial", "dial": {"status": "answered", "duration": Decimal(10)}},
        ),
        (
            {"type": "dial", "event": {"dial": {"status": "busy", "duration": 0}}},
            {
                "type": "dial",
                "event": {"dial": {"status": "busy", "duration": Decimal(0)}},
                "dial": {"status": "busy", "duration": Decimal(0)},
            },
        ),
        ({"type": "dial"}, {"type": "dial", "dial": None}),
    ],
)
def test_resume_context(resume: dict[str, Any] | None, expected: Any) -> None:
    assert kind(resume_context(resume)) == kind(expected)


# --- timestamps ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, None),
        ("", None),
        ("not a date", None),
        # only an upper-case Z marks UTC (as in Go's RFC 3339 parsing)
        ("2024-03-01T09:00:00z", None),
        ("2024-03-01T09:00:00Z", dt.datetime(2024, 3, 1, 9, 0, tzinfo=UTC)),
        (" 2024-03-01T09:00:00Z ", dt.datetime(2024, 3, 1, 9, 0, tzinfo=UTC)),
        ("2024-03-01T09:00:00.5Z", dt.datetime(2024, 3, 1, 9, 0, 0, 500000, tzinfo=UTC)),
        ("2024-03-01T09:00:00.123", dt.datetime(2024, 3, 1, 9, 0, 0, 123000)),
        # goflow writes nanoseconds: kept to the microsecond
        ("2024-03-01T09:00:00.123456789Z", dt.datetime(2024, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)),
        (
            "2024-03-01T09:00:00.25+02:00",
            dt.datetime(2024, 3, 1, 9, 0, 0, 250000, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        ),
    ],
)
def test_parse_iso(text: str | None, expected: dt.datetime | None) -> None:
    got = parse_iso(text)
    assert got == expected
    assert (got.tzinfo if got else None) == (expected.tzinfo if expected else None)
