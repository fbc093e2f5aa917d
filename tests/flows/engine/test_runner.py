import json
from typing import Any

import httpx
import pytest

from flows.engine import FlowReadError, ResumeError, Session, read_flow, validate_flow

from .builders import PARENT_UUID, flow_def, node, parent_def, trigger
from .helpers import QUESTION_UUID, contact, engine, exit_, msg_resume, question_flow, types

TRIGGER = trigger()


def test_start_waits_then_resume_routes_and_saves_result() -> None:
    eng = engine([question_flow()])
    sprint = eng.start(contact(), TRIGGER)
    assert types(sprint.events) == ["run_started", "msg_created", "msg_wait"]
    msg = sprint.events[1]["msg"]
    assert msg["text"] == "Do you like tea, Amina?"
    assert msg["urn"] == "tel:+250788123123"
    assert msg["quick_replies"] == [{"text": "Yes", "type": "text"}, {"text": "No", "type": "text"}]
    assert sprint.events[2]["timeout_seconds"] == 300
    assert sprint.status == "waiting"

    # the Django side stores JSON and resumes from it later
    stored = json.loads(json.dumps(sprint.session.to_json()))
    sprint = eng.resume(stored, msg_resume("yeah sure"))
    assert types(sprint.events) == ["run_result_changed", "msg_created", "contact_field_changed", "run_ended"]
    assert sprint.events[0]["value"] == "yeah" and sprint.events[0]["category"] == "Yes"
    assert sprint.events[1]["msg"]["text"] == "Thanks! You said Yes."
    assert sprint.session.contact.fields["city"] == {"text": "Kigali"}
    assert sprint.status == "completed"


def test_other_category_loops_back_and_waits_again() -> None:
    eng = engine([question_flow()])
    sprint = eng.resume(eng.start(contact(), TRIGGER).session, msg_resume("maybe"))
    assert types(sprint.events) == ["run_result_changed", "msg_created", "msg_wait"]
    assert sprint.events[0]["category"] == "Other"
    assert sprint.status == "waiting"


def test_wait_timeout_takes_timeout_category() -> None:
    eng = engine([question_flow()])
    session = eng.start(contact(), TRIGGER).session
    assert session.wait and session.wait["timeout_on"]
    sprint = eng.resume(session, {"type": "wait_timeout", "resumed_on": "2024-03-01T09:10:00Z"})
    assert sprint.events[0]["category"] == "No Response"
    assert sprint.events[1]["msg"]["text"] == "We missed you."
    assert sprint.status == "completed"


def test_timeout_rejected_without_timeout() -> None:
    eng = engine([question_flow(timeout=None)])
    session = eng.start(contact(), TRIGGER).session
    with pytest.raises(ResumeError):
        eng.resume(session, {"type": "wait_timeout"})


def test_expiration_ends_run() -> None:
    eng = engine([question_flow()])
    sprint = eng.resume(eng.start(contact(), TRIGGER).session, {"type": "wait_expiration"})
    assert types(sprint.events) == ["run_ended"]
    assert sprint.events[0]["status"] == "expired"
    assert sprint.session.status == "completed"


def test_localized_message_for_contact_language() -> None:
    eng = engine([question_flow()])
    sprint = eng.start(contact(language="fra"), TRIGGER, {"allowed_languages": ["eng", "fra"]})
    assert sprint.events[1]["msg"]["text"] == "Aimez-vous le thé, Amina?"


def parent_flow() -> dict:
    """The parent flow that enters the question flow and says what the child answered."""
    return parent_def(says="Child said @child.results.likes_tea.value")


def test_subflow_waits_and_returns_to_parent() -> None:
    eng = engine([parent_flow(), question_flow()])
    sprint = eng.start(contact(), trigger(PARENT_UUID))
    assert types(sprint.events) == ["run_started", "run_started", "msg_created", "msg_wait"]
    sprint = eng.resume(sprint.session.to_json(), msg_resume("no thanks"))
    assert types(sprint.events)[-3:] == ["run_ended", "msg_created", "run_ended"]
    assert sprint.events[-2]["msg"]["text"] == "Child said no"
    assert sprint.status == "completed"
    assert [r.status for r in sprint.session.runs] == ["completed", "completed"]


def test_sprint_segments_record_each_move_and_a_parents_move_leaves_the_childs_last_node() -> None:
    """goflow's path segments: (flow, node, exit, destination) per move in a sprint; when a subflow
    ends, the parent's move is recorded as leaving the node the child stood on last."""
    eng = engine([parent_flow(), question_flow()])
    sprint = eng.start(contact(), trigger(PARENT_UUID))
    assert sprint.segments == []  # the parent entered the child, the child waits on its first node
    sprint = eng.resume(sprint.session.to_json(), msg_resume("no thanks"))
    moves = [
        (s["flow_uuid"][:2], s["node_uuid"], s["exit_uuid"], s["destination_uuid"]) for s in sprint.segments
    ]
    child_moves = [m for m in moves if m[0] == "f1"]
    assert child_moves and all(m[1].startswith("n-") for m in child_moves)
    # the parent leaves p-enter by its "Complete" exit, recorded from the child's last node
    parent_move = next(m for m in moves if m[0] == "f2")
    assert parent_move[2:] == ("ep1", "p-done")
    assert parent_move[1] == child_moves[-1][3] != "p-enter"
    assert all(s["time"] for s in sprint.segments)


def test_contact_urn_is_the_first_urn_a_channel_can_send_to() -> None:
    urn = {"uuid": "a-1", "type": "set_run_result", "name": "Urn", "value": "[@contact.urn]"}
    flow = flow_def(QUESTION_UUID, "Urn", [node("n-1", [urn], [exit_("1")])])

    def urn_result(eng: Any, who: dict[str, Any]) -> str:
        [changed] = [e for e in eng.start(who, TRIGGER).events if e["type"] == "run_result_changed"]
        return str(changed["value"])

    assert urn_result(engine([flow]), contact(urns=["mailto:a@example.org", "tel:+250788123123"])) == (
        "[tel:+250788123123]"
    )
    # no channel sends on any of the contact's schemes: goflow's @contact.urn is then empty
    assert urn_result(engine([flow], channels=[]), contact()) == "[]"


def test_child_run_started_names_its_parent_run() -> None:
    """Kills the mutation `run_started.parent_uuid` set to the run's own uuid: the child's
    event (and its saved run) must point at the parent's run uuid; the parent's has none."""
    eng = engine([parent_flow(), question_flow()])
    sprint = eng.start(contact(), trigger(PARENT_UUID))
    parent_event, child_event = [e for e in sprint.events if e["type"] == "run_started"]
    parent_run, child_run = sprint.session.runs
    assert "parent_uuid" not in parent_event
    assert parent_event["run_uuid"] == parent_run.uuid
    assert child_event["run_uuid"] == child_run.uuid != parent_run.uuid
    assert child_event["parent_uuid"] == parent_run.uuid
    assert child_run.parent_uuid == parent_run.uuid
    saved = sprint.session.to_json()["runs"]
    assert saved[1]["parent_uuid"] == saved[0]["uuid"] and "parent_uuid" not in saved[0]


def test_webhook_results_and_at_webhook() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["name"] == "Amina Uwase"
        return httpx.Response(200, json={"balance": 42})

    actions = [
        {
            "uuid": "h-a1",
            "type": "call_webhook",
            "method": "GET",
            "url": "http://example.test/api?name=@(url_encode(contact.name))",
            "result_name": "Balance",
        },
        {
            "uuid": "h-a2",
            "type": "send_msg",
            "text": "Balance @webhook.json.balance (@results.balance.category)",
        },
    ]
    flow = flow_def("f3000000-0000-4000-8000-000000000003", "Hook", [node("h1", actions, [exit_("h")])])
    sprint = engine([flow], handler).start(contact(), trigger(flow["uuid"]))
    assert types(sprint.events) == [
        "run_started",
        "webhook_called",
        "run_result_changed",
        "msg_created",
        "run_ended",
    ]
    assert sprint.events[1]["status_code"] == 200
    assert sprint.events[3]["msg"]["text"] == "Balance 42 (Success)"


def test_webhook_connection_error_is_failure() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    hook = {
        "uuid": "x1",
        "type": "call_webhook",
        "method": "POST",
        "url": "http://example.test/",
        "body": "{}",
        "result_name": "R",
    }
    flow = flow_def("f4000000-0000-4000-8000-000000000004", "Hook", [node("h1", [hook], [exit_("h")])])
    sprint = engine([flow], handler).start(contact(), trigger(flow["uuid"]))
    assert sprint.events[1]["status"] == "connection_error"
    assert sprint.events[2]["category"] == "Failure"


def test_contact_actions() -> None:
    actions: list[dict[str, Any]] = [
        {"uuid": "c1", "type": "set_contact_name", "name": "@(upper(contact.first_name)) U."},
        {"uuid": "c2", "type": "set_contact_language", "language": "kin"},
        {
            "uuid": "c3",
            "type": "set_contact_field",
            "field": {"key": "age", "name": "Age"},
            "value": "@(fields.age + 1)",
        },
        {
            "uuid": "c4",
            "type": "add_contact_groups",
            "groups": [{"uuid": "60000000-0000-4000-8000-000000000001", "name": "Farmers"}],
        },
        {"uuid": "c5", "type": "add_contact_urn", "scheme": "tel", "path": "0788 555 111"},
        {"uuid": "c6", "type": "set_run_result", "name": "Score", "value": "@(5 * 2)", "category": "High"},
        {"uuid": "c7", "type": "remove_contact_groups", "all_groups": True},
        {"uuid": "c8", "type": "set_contact_status", "status": "stopped"},
        {"uuid": "c9", "type": "set_contact_timezone", "timezone": "Africa/Kigali"},
    ]
    flow = flow_def("f5000000-0000-4000-8000-000000000005", "Contact", [node("k1", actions, [exit_("k")])])
    sprint = engine([flow]).start(contact(), trigger(flow["uuid"]), {"default_country": "RW"})
    assert types(sprint.events)[1:-1] == [
        "contact_name_changed",
        "contact_language_changed",
        "contact_field_changed",
        "contact_groups_changed",
        "contact_urns_changed",
        "run_result_changed",
        "contact_groups_changed",
        "contact_status_changed",
        "contact_timezone_changed",
    ]
    c = sprint.session.contact
    assert c.name == "AMINA U."
    assert c.fields["age"]["text"] == "32"
    assert "tel:+250788555111" in c.urns
    assert c.groups == [] and c.status == "stopped"
    assert sprint.session.runs[0].results["score"]["value"] == "10"


def test_session_round_trip() -> None:
    eng = engine([question_flow()])
    session = eng.start(contact(), TRIGGER).session
    data = session.to_json()
    again = Session.from_json(json.loads(json.dumps(data)))
    assert again.to_json() == data


def test_validator_names_node_and_field() -> None:
    bad = question_flow()
    bad["nodes"][0]["router"]["cases"][0]["type"] = "has_magic"
    bad["nodes"][0]["router"]["default_category_uuid"] = "nope"
    bad["nodes"][1]["actions"][0]["text"] = ""
    errors = validate_flow(read_flow(bad, validate=False))
    where = {(e.node_uuid, e.field) for e in errors}
    assert ("n-ask", "router") in where and ("n-thanks", "actions[0]") in where
    assert any("has_magic" in e.message for e in errors)
    with pytest.raises(FlowReadError):
        read_flow(bad)


def test_infinite_loop_is_stopped() -> None:
    flow = flow_def("f6000000-0000-4000-8000-000000000006", "Loop", [node("l1", [], [exit_("l", "l1")])])
    sprint = engine([flow]).start(contact(), trigger(flow["uuid"]))
    assert sprint.status == "failed"
    assert any(e["type"] == "failure" for e in sprint.events)
