"""Pins the run-state and flow actions: set_run_result (saved result and event), set_run_local
(set, increment, clear, as seen by later actions), add_input_labels (by uuid or by name),
enter_flow and start_session (the exact session_triggered event), and their missing-dependency
errors."""

from __future__ import annotations

from typing import Any

import pytest

from .builders import action_events, flow_def, node
from .helpers import contact, engine, exit_, msg_resume
from .test_actions import FLOW_UUID, TRIGGER, one_node, run_actions

T4 = "2024-03-01T09:00:04.000000Z"
T5 = "2024-03-01T09:00:05.000000Z"
U2 = "6b0d549b-6f03-475a-9600-a35a099950d8"  # the first id an action's event takes
CHILD_UUID = "f9200000-0000-4000-8000-000000000002"


def missing(kind: str, identity: str, name: str, uuid: str = U2, created_on: str = T4) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "type": "error",
        "created_on": created_on,
        "text": f"Missing dependency: {kind}[uuid={identity},name={name}]",
        "code": "dependency:missing",
        "extra": {"identity": identity, "type": kind},
    }


def texts(events: list[dict[str, Any]]) -> list[str]:
    return [e["msg"]["text"] for e in events if e["type"] == "msg_created"]


def run_with_child(action: dict[str, Any], child_uuid: str = CHILD_UUID) -> tuple[list[dict[str, Any]], Any]:
    """Runs one action in a flow whose workspace also has a child flow."""
    sprint = engine([one_node(action), child_flow(child_uuid)]).start(contact(), TRIGGER)
    return action_events(sprint), sprint


def child_flow(uuid: str = CHILD_UUID) -> dict[str, Any]:
    child = one_node({"type": "send_msg", "text": "in child"})
    child.update(uuid=uuid, name="Child")
    return child


# ----------------------------------------------------------------------------------- set_run_result


def test_set_run_result_saves_the_stripped_value_and_its_category_as_written() -> None:
    flow = one_node(
        {
            "type": "set_run_result",
            "name": "Kind",
            "value": "  @contact.first_name ",
            "category": "Good",
            "uuid": "a-res",
        }
    )
    # the category's translation is for the editor: goflow saves no category_localized for this
    # action (set_run_result.json, "Category can be localized"), whatever key it is under
    flow["localization"] = {"fra": {"a-res": {"category": ["Bon"], "name": ["Genre"]}}}
    sprint = engine([flow]).start(contact(language="fra"), TRIGGER, {"allowed_languages": ["eng", "fra"]})
    assert sprint.events[1] == {
        "uuid": U2,
        "type": "run_result_changed",
        "created_on": T5,
        "name": "Kind",
        "value": "Amina",
        "category": "Good",
    }
    assert sprint.session.runs[0].results == {
        "kind": {
            "name": "Kind",
            "value": "Amina",
            "category": "Good",
            "node_uuid": "n1",
            "created_on": T4,
        }
    }


def test_set_run_result_value_can_use_the_run() -> None:
    _, sprint = run_actions(
        {"type": "set_run_local", "local": "n", "value": "7"},
        {"type": "set_run_result", "name": "Copy", "value": "@locals.n"},
    )
    assert sprint.session.runs[0].results["copy"]["value"] == "7"


def test_set_run_result_without_value_or_category() -> None:
    events, sprint = run_actions({"type": "set_run_result", "name": "Seen"})
    assert sprint.session.runs[0].results == {
        "seen": {"name": "Seen", "value": "", "category": "", "node_uuid": "n1", "created_on": T4}
    }
    assert events == [
        {
            "uuid": U2,
            "type": "run_result_changed",
            "created_on": T5,
            "name": "Seen",
            "value": "",
            "category": "",
        }
    ]


# ----------------------------------------------------------------------------------- set_run_local


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        ([{"local": "n", "value": "@contact.fields.age"}], {"n": "31"}),
        ([{"local": "n"}], {"n": ""}),
        ([{"value": "x"}], {"": "x"}),
        ([{"local": "n", "value": "4"}, {"local": "n", "value": "3", "operation": "increment"}], {"n": "7"}),
        ([{"local": "n", "value": "3", "operation": "increment"}], {"n": "3"}),
        ([{"local": "n", "value": ""}, {"local": "n", "value": "5", "operation": "increment"}], {"n": "5"}),
        ([{"local": "n", "value": "3"}, {"local": "n", "value": "", "operation": "increment"}], {"n": "3"}),
        ([{"local": "n", "value": "3"}, {"local": "n", "operation": "clear"}], {}),
        ([{"local": "n", "value": "3"}, {"local": "m", "operation": "clear"}], {"n": "3"}),
    ],
)
def test_set_run_local_operations(actions: list[dict[str, Any]], expected: dict[str, str]) -> None:
    events, sprint = run_actions(*[dict(a, type="set_run_local") for a in actions])
    assert events == []
    assert sprint.session.runs[0].locals == expected


def test_set_run_local_value_reads_earlier_locals() -> None:
    _, sprint = run_actions(
        {"type": "set_run_local", "local": "a", "value": "x"},
        {"type": "set_run_local", "local": "b", "value": "@locals.a@locals.a"},
    )
    assert sprint.session.runs[0].locals == {"a": "x", "b": "xx"}


def test_increment_of_a_non_number_is_an_error() -> None:
    events, sprint = run_actions(
        {"type": "set_run_local", "local": "n", "value": "3"},
        {"type": "set_run_local", "local": "n", "value": "lots", "operation": "increment"},
    )
    assert events == [
        {"uuid": U2, "type": "error", "created_on": T4, "text": "increment requires numeric values"}
    ]
    assert sprint.session.runs[0].locals == {"n": "3"}


def test_cleared_local_is_gone_for_later_actions() -> None:
    events, _ = run_actions(
        {"type": "set_run_local", "local": "n", "value": "3"},
        {"type": "send_msg", "text": "before=@locals.n"},
        {"type": "set_run_local", "local": "n", "operation": "clear"},
        {"type": "send_msg", "text": "after=@locals.n"},
    )
    assert texts(events) == ["before=3", "after="]


# ----------------------------------------------------------------------------------- add_input_labels

LABELS = [
    {"uuid": "1ab00000-0000-4000-8000-000000000001", "name": "Spam"},
    {"uuid": "1ab00000-0000-4000-8000-000000000002", "name": "Urgent"},
    {"uuid": "XXXX", "name": "Odd"},
]


def labelled(*refs: dict[str, Any], msg_uuid: str | None = "m1") -> list[dict[str, Any]]:
    """Waits for a message, then labels it with `refs`; the events after the resume."""
    kind = {"uuid": "a-kind", "type": "set_run_result", "name": "Kind", "value": "urgent"}
    wait = {
        "type": "switch",
        "operand": "@input.text",
        "wait": {"type": "msg"},
        "cases": [],
        "categories": [{"uuid": "cat-all", "name": "All", "exit_uuid": "e1"}],
        "default_category_uuid": "cat-all",
    }
    label = {"uuid": "a-label", "type": "add_input_labels", "labels": list(refs)}
    flow = flow_def(
        FLOW_UUID,
        "Labels",
        [node("n-wait", [kind], [exit_("1", "n-label")], wait), node("n-label", [label], [exit_("2")])],
    )
    eng = engine([flow], labels=LABELS)
    resume = msg_resume("buy now")
    if msg_uuid is None:
        del resume["event"]["msg"]["uuid"]
    sprint = eng.resume(eng.start(contact(), TRIGGER).session, resume)
    return [e for e in sprint.events if e["type"] not in ("run_ended", "run_result_changed")]


def labels_added(
    *labels: dict[str, str], input_uuid: str = "m1", uuid: str, created_on: str
) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "type": "input_labels_added",
        "created_on": created_on,
        "input_uuid": input_uuid,
        "labels": list(labels),
    }


def test_add_input_labels_by_uuid_and_by_name() -> None:
    events = labelled(
        {"uuid": LABELS[0]["uuid"], "name": "Spam", "name_match": "Odd"},
        {"name_match": " @(upper(results.kind)) "},
    )
    assert events == [
        labels_added(
            {"name": "Spam", "uuid": LABELS[0]["uuid"]},
            {"name": "Urgent", "uuid": LABELS[1]["uuid"]},
            uuid="a170b338-3926-4059-b28c-105d1fb17c23",
            created_on="2024-03-01T09:00:11.000000Z",
        )
    ]


def test_missing_label_is_reported_and_the_others_still_added() -> None:
    events = labelled(
        {"uuid": "1ab00000-0000-4000-8000-00000000dead", "name": "Gone"},
        {"name_match": "nothing like it"},
        {"uuid": LABELS[1]["uuid"], "name": "Urgent"},
    )
    assert events == [
        missing(
            "label",
            "1ab00000-0000-4000-8000-00000000dead",
            "Gone",
            uuid="a170b338-3926-4059-b28c-105d1fb17c23",
            created_on="2024-03-01T09:00:11.000000Z",
        ),
        missing(
            "label",
            "",
            "",
            uuid="0fd630f1-f29d-4da9-953f-48f1a09f76b5",
            created_on="2024-03-01T09:00:12.000000Z",
        ),
        labels_added(
            {"name": "Urgent", "uuid": LABELS[1]["uuid"]},
            uuid="0cb1e29c-658c-4a14-95e6-0af593bd04cf",
            created_on="2024-03-01T09:00:13.000000Z",
        ),
    ]


def test_input_without_uuid() -> None:
    events = labelled({"uuid": LABELS[0]["uuid"], "name": "Spam"}, msg_uuid=None)
    assert [e["input_uuid"] for e in events] == [""]


def test_no_labels_without_input() -> None:
    events, _ = run_actions(
        {"type": "add_input_labels", "labels": [{"uuid": LABELS[0]["uuid"]}]}, labels=LABELS
    )
    assert events == []


# ----------------------------------------------------------------------------------- enter_flow


def test_enter_flow_with_unknown_flow() -> None:
    events, sprint = run_actions(
        {"type": "enter_flow", "flow": {"uuid": "f9300000-0000-4000-8000-00000000dead", "name": "Gone"}}
    )
    assert events == [missing("flow", "f9300000-0000-4000-8000-00000000dead", "Gone")]
    assert len(sprint.session.runs) == 1


# ----------------------------------------------------------------------------------- start_session


def run_summary(results: dict[str, Any]) -> dict[str, Any]:
    return {
        "uuid": "d23f0824-128b-4f33-8c5c-7fd0a6a3a450",
        "flow": {"name": "Actions", "uuid": FLOW_UUID},
        "contact": {
            "uuid": "a0000000-0000-4000-8000-00000000000a",
            "name": "Amina Uwase",
            "status": "active",
            "language": "eng",
            "created_on": "2024-01-01T00:00:00Z",
            "urns": ["tel:+250788123123"],
            "fields": {"age": {"text": "31", "number": 31}},
        },
        "status": "active",
        "results": results,
    }


SESSION_UUID = "6513270e-269e-4d37-b2a7-4de452e6b438"
HISTORY = {"parent_uuid": SESSION_UUID, "ancestors": 1, "ancestors_since_input": 0}


def test_start_session_with_every_option() -> None:
    flow = one_node(
        {"type": "set_run_result", "name": "Kind", "value": "tea"},
        {
            "type": "start_session",
            "flow": {"uuid": CHILD_UUID, "name": "Old name"},
            "groups": [{"uuid": "60000000-0000-4000-8000-000000000001", "name": "Farmers"}],
            "contacts": [{"uuid": "a0000000-0000-4000-8000-00000000000b", "name": "Bob"}],
            "urns": ["tel:+2507@results.kind.value", "mailto:a@b.co"],
            "contact_query": "name = @contact.first_name AND kind = @results.kind",
            "create_contact": True,
            "exclusions": {"in_a_flow": True},
        },
    )
    sprint = engine([flow, child_flow()]).start(contact(), TRIGGER)
    assert sprint.session.uuid == SESSION_UUID
    assert sprint.events[2] == {
        "uuid": "8d116ece-1738-47d9-bd9c-172411e20b8f",
        "type": "session_triggered",
        "created_on": "2024-03-01T09:00:06.000000Z",
        "flow": {"name": "Child", "uuid": CHILD_UUID},
        "groups": [{"uuid": "60000000-0000-4000-8000-000000000001", "name": "Farmers"}],
        "contacts": [{"uuid": "a0000000-0000-4000-8000-00000000000b", "name": "Bob"}],
        "urns": ["tel:+2507tea", "mailto:a@b.co"],
        "contact_query": "name = Amina AND kind = tea",
        "create_contact": True,
        "exclusions": {"in_a_flow": True},
        "run_summary": run_summary(
            {
                "kind": {
                    "name": "Kind",
                    "value": "tea",
                    "category": "",
                    "node_uuid": "n1",
                    "created_on": T4,
                }
            }
        ),
        "history": HISTORY,
    }


def test_start_session_with_only_a_flow() -> None:
    events, _ = run_with_child(
        {
            "type": "start_session",
            "flow": {"uuid": CHILD_UUID},
            "groups": [],
            "urns": [],
            "create_contact": False,
        }
    )
    assert events == [
        {
            "uuid": U2,
            "type": "session_triggered",
            "created_on": T4,
            "flow": {"name": "Child", "uuid": CHILD_UUID},
            "exclusions": {},
            "run_summary": run_summary({}),
            "history": HISTORY,
        }
    ]


def test_start_session_with_unknown_flow() -> None:
    events, _ = run_actions(
        {"type": "start_session", "flow": {"uuid": "f9300000-0000-4000-8000-00000000dead", "name": "Gone"}}
    )
    assert events == [missing("flow", "f9300000-0000-4000-8000-00000000dead", "Gone")]


def test_start_session_reference_without_uuid_matches_no_flow() -> None:
    events, _ = run_with_child({"type": "start_session", "flow": {"name": "Child"}}, "XXXX")
    assert events == [missing("flow", "", "Child")]
