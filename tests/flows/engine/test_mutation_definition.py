"""The flow definition reader and validator (flows.engine.definition), checked by exact results.

Validation errors mirror goflow's read errors (the conformance vectors compare their text), so each
check is asserted with its exact message, node and field; the reader's output is compared as whole
dataclasses, so a default or a dropped field shows. The two migrations it runs on older definitions
(spec 13.2's @webhook -> @webhook.json, spec 14.2/14.3's ticket and airtime changes) are checked at
their version edges. DB-free.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from flows.engine.definition import (
    Action,
    Case,
    Category,
    Exit,
    Flow,
    FlowError,
    FlowReadError,
    Node,
    Router,
    Timeout,
    Wait,
    migrate_flow,
    migrate_ticket_and_airtime_nodes,
    read_flow,
    read_node,
    read_router,
    validate_action,
    validate_node,
    validate_router,
)

from .builders import flow_def, node
from .helpers import exit_

Json = dict[str, Any]

FLOW_UUID = "f0000000-0000-4000-8000-00000000d001"


def one_node_flow(*actions: Json, **over: Any) -> Json:
    """A flow of one node n1 running `actions`, leaving by one exit e1 that ends the flow; `over`
    adds or replaces flow keys."""
    return {**flow_def(FLOW_UUID, "Definition", [node("n1", list(actions), [exit_("1")])]), **over}


def errors_of(data: Json) -> list[FlowError]:
    """The errors read_flow refuses `data` with (none: it read)."""
    try:
        read_flow(data)
    except FlowReadError as e:
        return e.errors
    return []


def switch(**over: Any) -> Json:
    """A valid switch on the input: 'yes' -> Yes (exit e1), anything else -> Other (exit e2)."""
    router: Json = {
        "type": "switch",
        "operand": "@input.text",
        "cases": [{"uuid": "c1", "type": "has_any_word", "arguments": ["yes"], "category_uuid": "k1"}],
        "categories": [
            {"uuid": "k1", "name": "Yes", "exit_uuid": "e1"},
            {"uuid": "k2", "name": "Other", "exit_uuid": "e2"},
        ],
        "default_category_uuid": "k2",
    }
    router.update(over)
    return router


def switch_flow(**over: Any) -> Json:
    """A flow of one node n1 that waits and routes by `switch(**over)` to its exits e1 and e2."""
    return flow_def(FLOW_UUID, "Definition", [node("n1", [], [exit_("1"), exit_("2")], switch(**over))])


# ------------------------------------------------------------------------------ error texts


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (FlowError("bad"), "flow: bad"),
        (FlowError("bad", field="uuid"), "flow: uuid: bad"),
        (FlowError("bad", "n1"), "node n1: bad"),
        (FlowError("bad", "n1", "exits[0]"), "node n1: exits[0]: bad"),
    ],
)
def test_an_error_says_where_then_what(error: FlowError, text: str) -> None:
    """The node (or the flow when none), the field when there is one, then the message."""
    assert str(error) == text


def test_a_read_error_lists_every_error_in_order() -> None:
    errors = [
        FlowError("field 'uuid' is required", field="uuid"),
        FlowError("duplicate node uuid", "n1", "uuid"),
    ]
    exc = FlowReadError(errors)
    assert exc.errors is errors
    assert str(exc) == "flow: uuid: field 'uuid' is required; node n1: uuid: duplicate node uuid"


# ------------------------------------------------------------------------------ reading


def test_a_bare_flow_reads_with_the_defaults() -> None:
    """Only a uuid: the current spec, English, messaging, no revision, no expiry, no nodes."""
    data: Json = {"uuid": FLOW_UUID}
    assert read_flow(data) == Flow(
        uuid=FLOW_UUID,
        name="",
        spec_version="14.4.1",
        language="eng",
        type="messaging",
        revision=0,
        expire_after_minutes=0,
        nodes=[],
        localization={},
        raw=data,
    )


def test_a_flow_reads_what_it_says() -> None:
    data: Json = {
        "uuid": FLOW_UUID,
        "name": "Survey",
        "spec_version": "13.1.0",
        "language": "spa",
        "type": "voice",
        "revision": 7,
        "expire_after_minutes": 60,
        "nodes": [],
        "localization": {"fra": {"a1": {"text": ["Bonjour"]}}},
    }
    assert read_flow(data) == Flow(
        uuid=FLOW_UUID,
        name="Survey",
        spec_version="13.1.0",
        language="spa",
        type="voice",
        revision=7,
        expire_after_minutes=60,
        nodes=[],
        localization={"fra": {"a1": {"text": ["Bonjour"]}}},
        raw=data,
    )


@pytest.mark.parametrize(
    ("language", "read"), [("base", "und"), ("und", "und"), ("kin", "kin"), (None, "eng")]
)
def test_the_flow_language(language: str | None, read: str) -> None:
    """Spec 13.2 renamed the legacy "base" language to "und"; no language reads as English."""
    assert read_flow({"uuid": FLOW_UUID, "language": language}).language == read


def test_without_validation_a_flow_missing_everything_still_reads() -> None:
    assert read_flow({}, validate=False) == Flow(uuid="", name="", raw={})


def test_a_node_missing_everything_reads_empty() -> None:
    """Absent keys read as empty strings and lists, never None (the validator reports them)."""
    assert read_node({}) == Node(uuid="", actions=[], router=None, exits=[])
    data: Json = {"actions": [{}], "exits": [{}], "router": {"type": "switch"}}
    assert read_node(data) == Node(
        uuid="",
        actions=[Action(uuid="", type="", raw={})],
        router=Router(type="switch", categories=[]),
        exits=[Exit(uuid="", destination_uuid=None)],
    )


def test_a_node_reads_its_actions_exits_and_router() -> None:
    action = {"uuid": "a1", "type": "send_msg", "text": "Hi"}
    data = node("n1", [action], [exit_("1", "n2"), exit_("2")], switch())
    assert read_node(data) == Node(
        uuid="n1",
        actions=[Action(uuid="a1", type="send_msg", raw=action)],
        router=Router(
            type="switch",
            categories=[Category("k1", "Yes", "e1"), Category("k2", "Other", "e2")],
            operand="@input.text",
            cases=[Case("c1", "has_any_word", ["yes"], "k1")],
            default_category_uuid="k2",
            wait=None,
        ),
        exits=[Exit("e1", "n2"), Exit("e2", None)],
    )


def test_a_router_missing_everything_reads_empty() -> None:
    """No type, no wait; the operand defaults to the input's text; categories and cases without
    their keys read as empty strings."""
    assert read_router({}) == Router(
        type="",
        categories=[],
        result_name="",
        operand="@input.text",
        cases=[],
        default_category_uuid="",
        wait=None,
    )
    assert read_router({"categories": [{}], "cases": [{}]}) == Router(
        type="", categories=[Category("", "", "")], cases=[Case("", "", [], "")]
    )


def test_case_arguments_read_as_text() -> None:
    router = read_router(
        {"cases": [{"uuid": "c1", "type": "has_number_between", "arguments": [1, 5.5, "9"]}]}
    )
    assert router.cases == [Case("c1", "has_number_between", ["1", "5.5", "9"], "")]


@pytest.mark.parametrize(
    ("wait", "read"),
    [
        ({"type": "msg"}, Wait(type="msg")),
        # no type: a message wait
        ({"hint": {"type": "image"}}, Wait(type="msg", hint={"type": "image"})),
        ({"type": "msg", "timeout": {"seconds": 300}}, Wait(type="msg", timeout=Timeout(300, ""))),
        ({"type": "msg", "timeout": {"category_uuid": "k2"}}, Wait(type="msg", timeout=Timeout(0, "k2"))),
        # an empty timeout is no timeout
        ({"type": "msg", "timeout": {}}, Wait(type="msg", timeout=None)),
        (
            {"type": "dial", "phone": "+250788123123"},
            Wait(type="dial", phone="+250788123123", dial_limit_seconds=60, call_limit_seconds=7200),
        ),
        (
            {"type": "dial", "phone": "+250788123123", "dial_limit_seconds": 30, "call_limit_seconds": 600},
            Wait(type="dial", phone="+250788123123", dial_limit_seconds=30, call_limit_seconds=600),
        ),
    ],
)
def test_the_router_wait(wait: Json, read: Wait) -> None:
    assert read_router({"type": "switch", "wait": wait}).wait == read


def test_uuidless_exits_and_categories_are_accepted() -> None:
    """A known decision: exits, categories and cases without uuids read (goflow refuses them) as
    empty strings, so a category without an exit uuid still leads out by the exit without one."""
    router = {
        "type": "switch",
        "operand": "@input.text",
        "cases": [{"uuid": "c1", "type": "has_text", "arguments": []}],
        "categories": [{"name": "Any"}],
    }
    flow = read_flow(flow_def(FLOW_UUID, "Loose", [{"uuid": "n1", "router": router, "exits": [{}]}]))
    assert flow.nodes == [
        Node(
            uuid="n1",
            router=Router(
                type="switch", categories=[Category("", "Any", "")], cases=[Case("c1", "has_text", [], "")]
            ),
            exits=[Exit("", None)],
        )
    ]


def test_lookups_of_nodes_exits_and_categories() -> None:
    flow = read_flow(switch_flow())
    n1 = flow.node("n1")
    assert n1 is not None and n1.router is not None
    assert n1.exit("e2") == Exit("e2", None)
    assert n1.exit("e9") is None
    assert n1.router.category("k1") == Category("k1", "Yes", "e1")
    assert n1.router.category("k9") is None
    assert flow.node("n9") is None


def test_localized_translations() -> None:
    """Translations are looked up in another language than the flow's; the flow's own language
    (even if the localization lists it) and no language give none."""
    flow = read_flow(
        {
            "uuid": FLOW_UUID,
            "language": "eng",
            "localization": {"eng": {"a1": {"text": ["Hi!"]}}, "spa": {"a1": {"text": ["¡Hola!"]}}},
        }
    )
    assert flow.localized("spa", "a1", "text") == ["¡Hola!"]
    assert flow.localized("eng", "a1", "text") is None
    assert flow.localized("", "a1", "text") is None
    assert flow.localized("fra", "a1", "text") is None
    assert flow.localized("spa", "a9", "text") is None
    assert flow.localized("spa", "a1", "quick_replies") is None


# ------------------------------------------------------------------------------ flow and node errors


@pytest.mark.parametrize(
    ("over", "errors"),
    [
        (
            {"spec_version": "15.0.0"},
            [FlowError("spec version 15.0.0 is not supported", field="spec_version")],
        ),
        (
            {"spec_version": "12.0.0"},
            [FlowError("spec version 12.0.0 is not supported", field="spec_version")],
        ),
        ({"spec_version": "15"}, [FlowError("spec version 15 is not supported", field="spec_version")]),
        ({"spec_version": "13.0.0"}, []),
        ({"spec_version": "14.9.9"}, []),
        ({"uuid": ""}, [FlowError("field 'uuid' is required", field="uuid")]),
        ({"type": "sms"}, [FlowError("'sms' is not a valid flow type", field="type")]),
        ({"type": "messaging"}, []),
        ({"type": "messaging_background"}, []),
        ({"type": "messaging_offline"}, []),
        ({"type": "voice"}, []),
        ({"type": "background"}, []),
        (
            {"uuid": "", "type": "sms", "spec_version": "2.0"},
            [
                FlowError("spec version 2.0 is not supported", field="spec_version"),
                FlowError("field 'uuid' is required", field="uuid"),
                FlowError("'sms' is not a valid flow type", field="type"),
            ],
        ),
    ],
)
def test_flow_errors(over: Json, errors: list[FlowError]) -> None:
    assert errors_of(one_node_flow({"uuid": "a1", "type": "send_msg", "text": "Hi"}, **over)) == errors


def test_a_node_without_uuid() -> None:
    data = flow_def(FLOW_UUID, "F", [{"actions": [], "exits": [exit_("1")]}])
    assert errors_of(data) == [FlowError("field 'uuid' is required", field="uuid")]


def test_duplicate_node_uuids() -> None:
    data = flow_def(FLOW_UUID, "F", [node("n1", [], [exit_("1", "n1")]), node("n1", [], [exit_("2")])])
    assert errors_of(data) == [FlowError("duplicate node uuid", "n1", "uuid")]


def test_a_node_without_exits() -> None:
    data = flow_def(FLOW_UUID, "F", [node("n1", [{"uuid": "a1", "type": "send_msg", "text": "Hi"}], [])])
    assert errors_of(data) == [FlowError("node must have at least one exit", "n1", "exits")]


def test_an_action_node_has_one_exit() -> None:
    """Without a router an action node can only leave one way; a node with neither can list more."""
    send = {"uuid": "a1", "type": "send_msg", "text": "Hi"}
    two = flow_def(FLOW_UUID, "F", [node("n1", [send], [exit_("1"), exit_("2")])])
    assert errors_of(two) == [FlowError("node without a router can only have one exit", "n1", "exits")]
    assert errors_of(flow_def(FLOW_UUID, "F", [node("n1", [], [exit_("1"), exit_("2")])])) == []


def test_an_exit_to_an_unknown_node() -> None:
    data = flow_def(FLOW_UUID, "F", [node("n1", [], [exit_("1"), exit_("2", "n9")], switch())])
    assert errors_of(data) == [FlowError("destination n9 isn't a known node", "n1", "exits[1]")]
    # a node checked on its own knows no other node: its destinations aren't checked
    assert validate_node(read_node(data["nodes"][0])) == []


def test_action_and_router_errors_say_their_node_and_field() -> None:
    send = {"uuid": "a1", "type": "send_msg", "text": "Hi"}
    data = flow_def(
        FLOW_UUID,
        "F",
        [
            node(
                "n1",
                [send, {"uuid": "a2", "type": "send_msg"}],
                [exit_("1"), exit_("2")],
                switch(type="loop"),
            )
        ],
    )
    assert errors_of(data) == [
        FlowError("field 'text' is required", "n1", "actions[1]"),
        FlowError("'loop' is not a valid router type", "n1", "router"),
    ]


def test_a_category_leading_to_no_exit_of_its_node() -> None:
    cats = [
        {"uuid": "k1", "name": "Yes", "exit_uuid": "e1"},
        {"uuid": "k2", "name": "Other", "exit_uuid": "e9"},
    ]
    assert errors_of(switch_flow(categories=cats)) == [
        FlowError("category k2 has an exit e9 which isn't a node exit", "n1", "router")
    ]


# ------------------------------------------------------------------------------ router errors


@pytest.mark.parametrize(
    ("over", "errors"),
    [
        ({}, []),
        ({"type": "random", "operand": None, "cases": []}, []),
        ({"type": "loop"}, ["'loop' is not a valid router type"]),
        (
            {"categories": [], "cases": [], "default_category_uuid": ""},
            ["field 'categories' must have at least 1 item"],
        ),
        ({"default_category_uuid": "k9"}, ["default category k9 is not a valid category"]),
        (
            {"cases": [{"uuid": "c1", "type": "is_yes", "arguments": [], "category_uuid": "k1"}]},
            ["invalid case[uuid=c1]: is_yes is not a registered test function"],
        ),
        (
            # a registered function that isn't a test
            {"cases": [{"uuid": "c1", "type": "upper", "arguments": [], "category_uuid": "k1"}]},
            ["invalid case[uuid=c1]: upper is not a registered test function"],
        ),
        (
            {"cases": [{"type": "is_yes", "category_uuid": "k1"}]},
            ["invalid case[uuid=]: is_yes is not a registered test function"],
        ),
        (
            {"cases": [{"uuid": "c1", "category_uuid": "k1"}]},
            ["invalid case[uuid=c1]:  is not a registered test function"],
        ),
        (
            {"cases": [{"uuid": "c1", "type": "has_text", "arguments": [], "category_uuid": "k9"}]},
            ["invalid case[uuid=c1]: category k9 is not a valid category"],
        ),
        (
            {"cases": [{"uuid": "c1", "type": "has_text", "arguments": []}]},
            ["invalid case[uuid=c1]: category  is not a valid category"],
        ),
        (
            {"wait": {"type": "msg", "timeout": {"seconds": 60, "category_uuid": "k9"}}},
            ["timeout category k9 is not a valid category"],
        ),
        (
            {"wait": {"type": "msg", "timeout": {"seconds": 60}}},
            ["timeout category  is not a valid category"],
        ),
        ({"wait": {"type": "msg", "timeout": {"seconds": 60, "category_uuid": "k2"}}}, []),
        ({"result_name": "R" * 64}, []),
        ({"result_name": "R" * 65}, ["field 'result_name' is not a valid result name"]),
    ],
)
def test_router_errors(over: Json, errors: list[str]) -> None:
    assert validate_router(read_router(switch(**over)), {"e1", "e2"}) == errors
    assert errors_of(switch_flow(**over)) == [FlowError(msg, "n1", "router") for msg in errors]


def test_a_router_without_type() -> None:
    router = switch()
    del router["type"]
    assert validate_router(read_router(router), {"e1", "e2"}) == ["'' is not a valid router type"]


def test_a_router_checked_without_its_exits() -> None:
    """Without the node's exits the categories' exits can't be checked."""
    assert validate_router(read_router(switch()), None) == []
    assert validate_router(read_router(switch()), set()) == [
        "category k1 has an exit e1 which isn't a node exit",
        "category k2 has an exit e2 which isn't a node exit",
    ]


# ------------------------------------------------------------------------------ action errors


def action_errors(**raw: Any) -> list[str]:
    """What validate_action says of the action `raw` (uuid a1 unless given)."""
    raw = {"uuid": "a1", **raw}
    return validate_action(Action(uuid=raw["uuid"] or "", type=raw.get("type") or "", raw=raw))


QR = "field 'quick_replies' must have a maximum of 10 items"


@pytest.mark.parametrize(
    ("raw", "errors"),
    [
        ({"type": "send_sms", "text": "x"}, ["'send_sms' is not a valid action type"]),
        ({"type": "send_msg", "text": "Hi", "uuid": ""}, ["field 'uuid' is required"]),
        ({"type": "send_msg", "text": "Hi"}, []),
        ({"type": "send_msg", "text": ""}, ["field 'text' is required"]),
        ({"type": "say_msg", "text": "Hi"}, []),
        ({"type": "say_msg"}, ["field 'text' is required"]),
        ({"type": "send_msg", "text": "Hi", "attachments": ["image:a.jpg"] * 10}, []),
        (
            {"type": "send_msg", "text": "Hi", "attachments": ["image:a.jpg"] * 11},
            ["field 'attachments' must have a maximum of 10 items"],
        ),
        ({"type": "send_msg", "text": "Hi", "quick_replies": ["q"] * 10}, []),
        ({"type": "send_msg", "text": "Hi", "quick_replies": ["q"] * 11}, [QR]),
        ({"type": "say_msg", "text": "Hi", "quick_replies": ["q"] * 11}, [QR]),
        ({"type": "send_msg", "text": "Hi", "quick_replies": ["q", "x" * 1000]}, []),
        (
            {"type": "send_msg", "text": "Hi", "quick_replies": ["q", "x" * 1001]},
            ["field 'quick_replies[1]' must be less than or equal to 1000"],
        ),
        # quick replies as objects (spec 14.x): their text counts, not the object's
        ({"type": "send_msg", "text": "Hi", "quick_replies": [{"text": "x" * 1000, "extra": "e"}]}, []),
        (
            {"type": "send_msg", "text": "Hi", "quick_replies": [{"text": "x" * 1001}]},
            ["field 'quick_replies[0]' must be less than or equal to 1000"],
        ),
        ({"type": "send_msg", "text": "Hi", "quick_replies": [{"extra": "no text"}]}, []),
        ({"type": "set_run_result", "name": "R" * 64, "value": "1"}, []),
        (
            {"type": "set_run_result", "name": "R" * 65, "value": "1"},
            ["field 'name' is not a valid result name"],
        ),
        ({"type": "set_run_result", "value": "1"}, ["field 'name' is required"]),
        ({"type": "set_contact_field", "field": {"key": "age", "name": "Age"}, "value": "3"}, []),
        (
            {"type": "set_contact_field", "field": {"name": "Age"}, "value": "3"},
            ["field 'field' is required"],
        ),
        ({"type": "set_contact_field", "value": "3"}, ["field 'field' is required"]),
        ({"type": "add_contact_groups", "groups": [{"uuid": "g1", "name": "G"}]}, []),
        ({"type": "add_contact_groups", "groups": []}, ["field 'groups' is required"]),
        # removing from no listed groups is legal (all_groups removes from every group)
        ({"type": "remove_contact_groups", "groups": [], "all_groups": True}, []),
        ({"type": "enter_flow", "flow": {"uuid": "f2", "name": "Other"}}, []),
        ({"type": "enter_flow", "flow": {"name": "Other"}}, ["field 'flow' is required"]),
        ({"type": "enter_flow"}, ["field 'flow' is required"]),
        ({"type": "start_session", "contacts": [{"uuid": "c1", "name": "C"}]}, []),
        ({"type": "play_audio", "audio_url": "http://x/a.mp3"}, []),
        ({"type": "play_audio"}, ["field 'audio_url' is required"]),
        ({"type": "add_contact_urn", "scheme": "tel", "path": "+250788123123"}, []),
        ({"type": "add_contact_urn"}, ["field 'scheme' is required", "field 'path' is required"]),
        ({"type": "add_contact_urn", "scheme": "tel"}, ["field 'path' is required"]),
        ({"type": "add_contact_urn", "path": "+250788123123"}, ["field 'scheme' is required"]),
    ],
)
def test_action_errors(raw: Json, errors: list[str]) -> None:
    assert action_errors(**raw) == errors


def test_action_errors_in_a_flow() -> None:
    """Read from a flow: an action without uuid or type gets the same exact messages."""
    assert errors_of(one_node_flow({"type": "send_msg", "text": "Hi"})) == [
        FlowError("field 'uuid' is required", "n1", "actions[0]")
    ]
    assert errors_of(one_node_flow({"uuid": "a1", "text": "Hi"})) == [
        FlowError("'' is not a valid action type", "n1", "actions[0]")
    ]
    assert errors_of(one_node_flow({"uuid": "a1", "type": "add_contact_groups"})) == [
        FlowError("field 'groups' is required", "n1", "actions[0]")
    ]


WEBHOOK = {"type": "call_webhook", "method": "GET", "url": "http://example.com/"}


@pytest.mark.parametrize(
    ("over", "errors"),
    [
        ({}, []),
        ({"method": ""}, ["field 'method' is required"]),
        ({"url": ""}, ["field 'url' is required"]),
        ({"url": None}, ["field 'url' is required"]),
        ({"method": None, "url": None}, ["field 'method' is required", "field 'url' is required"]),
        ({"url": "http://e.com/" + "x" * (8192 - 13)}, []),
        ({"url": "http://e.com/" + "x" * (8193 - 13)}, ["field 'url' must be less than or equal to 8192"]),
        ({"headers": {f"X-H{i}": "v" for i in range(10)}}, []),
        (
            {"headers": {f"X-H{i}": "v" for i in range(11)}},
            ["field 'headers' must be less than or equal to 10"],
        ),
        ({"headers": {"X" * 100: "v"}}, []),
        ({"headers": {"X" * 101: "v"}}, [f"field 'headers[{'X' * 101}]' must be less than or equal to 100"]),
        ({"headers": {"X-Big": "v" * 5000}}, []),
        ({"headers": {"X-Big": "v" * 5001}}, ["field 'headers[X-Big]' must be less than or equal to 5000"]),
        ({"method": "POST", "body": "b" * 20000}, []),
        ({"method": "POST", "body": "b" * 20001}, ["field 'body' must be less than or equal to 20000"]),
        ({"result_name": "R" * 64}, []),
        ({"result_name": "R" * 65}, ["field 'result_name' is not a valid result name"]),
        ({"headers": {"Bad Name": "v", "Good": "v"}}, ["header 'Bad Name' is not a valid HTTP header"]),
        # field errors come alone: the header syntax is checked once the fields are right
        ({"url": "", "headers": {"Bad Name": "v"}}, ["field 'url' is required"]),
    ],
)
def test_webhook_errors(over: Json, errors: list[str]) -> None:
    assert action_errors(**{**WEBHOOK, **over}) == errors


# ------------------------------------------------------------------------------ @webhook migration


def old_flow(text: str, spec_version: str = "13.1.0") -> Json:
    """A flow of one send_msg of `text`, with a Spanish translation of the same `text`."""
    return one_node_flow(
        {"uuid": "a1", "type": "send_msg", "text": text},
        spec_version=spec_version,
        localization={"spa": {"a1": {"text": [text]}}},
    )


def test_webhook_references_are_migrated_in_nodes_and_localization() -> None:
    """Before spec 13.3 @webhook meant the parsed response body, since then @webhook.json (goflow's
    13.3.0 migration)."""
    data = old_flow("Got @webhook.id")
    before = copy.deepcopy(data)
    migrated = migrate_flow(data)
    assert migrated == {
        **before,
        "nodes": [
            node("n1", [{"uuid": "a1", "type": "send_msg", "text": "Got @webhook.json.id"}], [exit_("1")])
        ],
        "localization": {"spa": {"a1": {"text": ["Got @webhook.json.id"]}}},
    }
    assert data == before  # a changed copy: the input is left alone


def webhook_migrated(spec_version: str) -> bool:
    text = migrate_flow(old_flow("Got @webhook.id", spec_version))["nodes"][0]["actions"][0]["text"]
    assert text in ("Got @webhook.json.id", "Got @webhook.id")
    return text == "Got @webhook.json.id"


@pytest.mark.parametrize(
    ("spec_version", "migrated"),
    [
        ("13.1.0", True),
        ("13.0", True),
        # a fourth part is ignored, whatever it is
        ("13.1.0.dev", True),
        ("14.0.0", False),
        ("14.4.1", False),
        # a version it can't read is left alone
        ("13.x", False),
    ],
)
def test_which_versions_have_webhook_migrated(spec_version: str, migrated: bool) -> None:
    assert webhook_migrated(spec_version) == migrated


@pytest.mark.parametrize(
    ("spec_version", "migrated"),
    [("13.2.0", True), ("13.2.9", True), ("13.2", True), ("13.3", False), ("13.3.0", False)],
)
def test_the_webhook_migration_stops_at_13_3(spec_version: str, migrated: bool) -> None:
    """Fixed: 13.2.x flows were left with @webhook, though goflow migrates them too (its 13.3.0)."""
    assert webhook_migrated(spec_version) == migrated


@pytest.mark.parametrize(
    ("text", "migrated"),
    [
        ("@webhook", "@webhook.json"),
        ("@webhook.id first", "@webhook.json.id first"),
        ("Got @webhook.id, thanks", "Got @webhook.json.id, thanks"),
        ("@webhook.a and @webhook.a", "@webhook.json.a and @webhook.json.a"),
        ("@webhook.a, @webhook.b", "@webhook.json.a, @webhook.json.b"),
        ("@(upper(webhook.name)) and @(webhook)", "@(upper(webhook.json.name)) and @(webhook.json)"),
        ("@results.webhook and @webhook.a", "@results.webhook and @webhook.json.a"),
        ("mail me@home.org about @webhook", "mail me@home.org about @webhook.json"),
        ("the webhook @ noon", "the webhook @ noon"),
        ("no references to webhook", "no references to webhook"),
    ],
)
def test_which_webhook_references_are_migrated(text: str, migrated: str) -> None:
    flow = migrate_flow(old_flow(text))
    assert flow["nodes"][0]["actions"][0]["text"] == migrated
    assert flow["localization"]["spa"]["a1"]["text"] == [migrated]


@pytest.mark.parametrize(
    ("text", "migrated"),
    [
        # an escaped @ is text, not a reference: only the real one after it changes
        ("@@webhook.x @webhook.x", "@@webhook.x @webhook.json.x"),
        ("@@@webhook.x", "@@@webhook.json.x"),
        ("@@ @webhook.x", "@@ @webhook.json.x"),
        # the escape found where it is, not only at the start of the text
        ("say @@webhook.x then @webhook.x", "say @@webhook.x then @webhook.json.x"),
        # not a top-level name: text, even where a reference follows
        ("@webhookx @webhook", "@webhookx @webhook.json"),
        # references are case-insensitive, even where the flow never spells it in lower case
        ("@(WEBHOOK.name)", "@(webhook.json.name)"),
        ("@Webhook.name", "@webhook.json.name"),
    ],
)
def test_escaped_lookalike_and_uppercase_references(text: str, migrated: str) -> None:
    """Fixed: the migration searched for each reference's text, so it rewrote an escaped
    `@@webhook` or a literal `@webhookx` and left the real reference after it alone; and it looked
    for references only when the flow spelled "webhook" in lower case."""
    flow = migrate_flow(old_flow(text))
    assert flow["nodes"][0]["actions"][0]["text"] == migrated
    assert flow["localization"]["spa"]["a1"]["text"] == [migrated]


# ------------------------------------------------------------------------------ ticket/airtime nodes


def split_on_result(action: Json, **router_over: Any) -> Json:
    """A node running `action` and switching on its result: Success or Failure."""
    router: Json = {
        "type": "switch",
        "operand": "@results.result",
        "cases": [
            {"uuid": "c1", "type": "has_category", "arguments": ["Success"], "category_uuid": "k1"},
        ],
        "categories": [
            {"uuid": "k1", "name": "Success", "exit_uuid": "e1"},
            {"uuid": "k2", "name": "Failure", "exit_uuid": "e2"},
        ],
        "default_category_uuid": "k2",
        **router_over,
    }
    return node("n1", [action], [exit_("1"), exit_("2")], router)


def ticket(**over: Any) -> Json:
    return {
        "uuid": "a1",
        "type": "open_ticket",
        "topic": None,
        "note": "Help",
        "result_name": "Result",
        **over,
    }


def airtime(**over: Any) -> Json:
    return {
        "uuid": "a1",
        "type": "transfer_airtime",
        "amounts": {"RWF": 500},
        "result_name": "Result",
        **over,
    }


def versioned(spec_version: str, *nodes: Json) -> Json:
    return flow_def(FLOW_UUID, "Old", list(nodes), spec_version=spec_version)


@pytest.mark.parametrize(("action", "local"), [(ticket(), "_new_ticket"), (airtime(), "_new_transfer")])
def test_a_node_splitting_on_its_actions_result_splits_on_its_output_local(action: Json, local: str) -> None:
    """Spec 14.3: the node now splits on whether the action left its output local (has_text, on
    the first case's category), and the result name moves from the action to the router."""
    data = versioned("14.2.0", split_on_result(action))
    before = copy.deepcopy(data)
    out = migrate_ticket_and_airtime_nodes(data)
    expected_action = {k: v for k, v in action.items() if k != "result_name"}
    expected = split_on_result(
        expected_action,
        operand=f"@locals.{local}",
        cases=[{"uuid": "c1", "type": "has_text", "arguments": [], "category_uuid": "k1"}],
        result_name="Result",
    )
    assert out == versioned("14.2.0", expected)
    assert data == before  # a changed copy: the input is left alone


def test_without_a_result_name_the_router_gets_none() -> None:
    out = migrate_ticket_and_airtime_nodes(versioned("14.2.0", split_on_result(ticket(result_name=""))))
    router = out["nodes"][0]["router"]
    assert "result_name" not in router
    assert out["nodes"][0]["actions"] == [ticket(result_name="")]


@pytest.mark.parametrize(
    ("spec_version", "migrated"),
    [
        ("14.2.0", True),
        ("14.2.9", True),
        ("13.5.0", True),
        ("14.3", False),
        ("14.3.0", False),
        ("14.4.1", False),
    ],
)
def test_the_node_migration_stops_at_14_3(spec_version: str, migrated: bool) -> None:
    data = versioned(spec_version, split_on_result(ticket()))
    operand = migrate_ticket_and_airtime_nodes(data)["nodes"][0]["router"]["operand"]
    assert operand == ("@locals._new_ticket" if migrated else "@results.result")


@pytest.mark.parametrize(
    "router_over",
    [
        {"operand": "@input.text"},  # not on a result
        {"operand": None},
        {"type": "random"},  # not a switch
        {"cases": []},  # nothing to route on
    ],
)
def test_nodes_not_splitting_on_a_result_are_left_alone(router_over: Json) -> None:
    data = versioned("14.2.0", split_on_result(ticket(), **router_over))
    assert migrate_ticket_and_airtime_nodes(data) == data


def test_only_single_ticket_or_airtime_action_nodes_with_routers_change() -> None:
    send = {"uuid": "a0", "type": "send_msg", "text": "Hi"}
    nodes = [
        node("n0", [ticket()], [exit_("0", "n1")]),  # no router
        split_on_result(send),  # not a ticket/airtime action
        dict(split_on_result(ticket()), uuid="n2", actions=[send, ticket()]),  # more than one action
    ]
    data = versioned("14.2.0", *nodes)
    assert migrate_ticket_and_airtime_nodes(data) == data


def test_every_node_is_migrated_past_one_left_alone() -> None:
    left = dict(split_on_result(ticket(), operand="@input.text"), uuid="n0")
    out = migrate_ticket_and_airtime_nodes(versioned("14.2.0", left, split_on_result(airtime())))
    assert out["nodes"][0] == left
    assert out["nodes"][1]["router"]["operand"] == "@locals._new_transfer"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({"body": "Help me"}, {"note": "Help me"}),
        ({"body": "Help me", "note": None}, {"note": "Help me"}),
        ({"body": "Help me", "note": "Kept"}, {"note": "Kept"}),
        ({"body": ""}, {}),
        ({"body": "", "note": "Kept"}, {"note": "Kept"}),
        ({"note": "Kept"}, {"note": "Kept"}),
    ],
)
def test_open_ticket_body_became_note_in_14_2(before: Json, after: Json) -> None:
    """Spec 14.2 renamed open_ticket's body to note: a body is dropped, becoming the note when
    there is none."""
    action = {"uuid": "a1", "type": "open_ticket", "topic": None, **before}
    data = versioned("14.1.0", node("n1", [action], [exit_("1")]))
    out = migrate_ticket_and_airtime_nodes(data)
    assert out["nodes"][0]["actions"] == [{"uuid": "a1", "type": "open_ticket", "topic": None, **after}]


@pytest.mark.parametrize("spec_version", ["14.2", "14.2.0", "14.2.5"])
def test_from_14_2_a_body_is_left_as_it_is(spec_version: str) -> None:
    action = {"uuid": "a1", "type": "open_ticket", "topic": None, "body": "Help me"}
    data = versioned(spec_version, node("n1", [action], [exit_("1")]))
    assert migrate_ticket_and_airtime_nodes(data) == data


def test_only_open_ticket_has_a_body_migrated() -> None:
    action = {"uuid": "a1", "type": "send_email", "addresses": ["a@b.c"], "subject": "S", "body": "B"}
    data = versioned("14.1.0", node("n1", [action, ticket()], [exit_("1")]))
    assert migrate_ticket_and_airtime_nodes(data) == data


def test_read_flow_runs_both_migrations() -> None:
    data = versioned("13.1.0", split_on_result(ticket(note="@webhook.id")))
    flow = read_flow(data)
    n1 = flow.nodes[0]
    assert n1.actions[0].get("note") == "@webhook.json.id"
    assert n1.router is not None
    assert (n1.router.operand, n1.router.result_name) == ("@locals._new_ticket", "Result")
    assert n1.router.cases == [Case("c1", "has_text", [], "k1")]
