"""The flows API: import, definitions and revisions, export, simulate, triggers, isolation."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from channels_app.models import ContactField, ContactGroup
from flows.models import Flow, Trigger
from tests.flows.conftest import CATCH_ALL, SHARED, SURVEY, SURVEYED_GROUP, load_export, post_json, put_json


def test_import_keeps_uuids_creates_groups_fields_triggers_and_campaigns(api, imported, workspace) -> None:
    assert imported["flows"] == [
        {"uuid": SURVEY, "name": "Two Questions"},
        {"uuid": CATCH_ALL, "name": "Catch All"},
    ]
    assert not any("campaign" in w for w in imported["warnings"])
    assert imported["created"]["campaigns"] == [
        {"uuid": "00000000-0000-4000-8000-000000000900", "name": "Reminders", "events": 0}
    ]
    assert ContactGroup.objects.get(workspace=workspace, name="Surveyed").uuid.hex == SURVEYED_GROUP.replace(
        "-", ""
    )
    assert ContactField.objects.get(workspace=workspace, key="age").value_type == "number"
    kinds = {(t.trigger_type, tuple(t.keywords)) for t in Trigger.objects.filter(workspace=workspace)}
    assert kinds == {("keyword", ("survey",)), ("catch_all", ())}

    listed = api.get("/api/v1/flows").json()
    assert {f["uuid"] for f in listed} == {SURVEY, CATCH_ALL}
    detail = api.get(f"/api/v1/flows/{SURVEY}").json()
    assert detail["name"] == "Two Questions" and detail["revision"] == 1 and detail["archived"] is False
    assert detail["definition"]["nodes"][0]["uuid"].endswith("000000000001")


def test_reimport_makes_a_new_revision_not_a_copy(api, imported, export_data) -> None:
    response = post_json(api, "/api/v1/flows/import", export_data)
    assert response.status_code == 200
    assert Flow.objects.filter(uuid=SURVEY).count() == 1
    assert api.get(f"/api/v1/flows/{SURVEY}").json()["revision"] == 2
    # the keyword trigger is replaced, not duplicated
    assert len([t for t in api.get("/api/v1/triggers").json() if t["type"] == "keyword"]) == 1


def test_bad_exports_are_400_with_errors(api) -> None:
    response = api.post("/api/v1/flows/import", data=b"{not json", content_type="application/json")
    assert response.status_code == 400 and "JSON" in response.json()["error"]
    response = post_json(api, "/api/v1/flows/import", {"version": "2", "flows": []})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "version"
    broken = load_export()
    broken["flows"][0]["nodes"][0]["exits"][0]["destination_uuid"] = "00000000-0000-4000-8000-999999999999"
    response = post_json(api, "/api/v1/flows/import", broken)
    assert response.status_code == 400
    assert response.json()["errors"][0]["node_uuid"]
    assert not Flow.objects.exists()  # all or nothing


def test_save_definition_revisions_and_revert(api, imported) -> None:
    definition = api.get(f"/api/v1/flows/{SURVEY}").json()["definition"]
    changed = copy.deepcopy(definition)
    changed["nodes"][0]["actions"][0]["text"] = "Hello! Your name please?"
    response = put_json(api, f"/api/v1/flows/{SURVEY}/definition", {"definition": changed})
    assert response.status_code == 200, response.content
    assert response.json() == {"revision": 2, "errors": []}

    invalid = copy.deepcopy(changed)
    invalid["nodes"][0]["router"]["default_category_uuid"] = "00000000-0000-4000-8000-999999999999"
    response = put_json(api, f"/api/v1/flows/{SURVEY}/definition", {"definition": invalid})
    assert response.status_code == 400
    err = response.json()["errors"][0]
    assert (
        set(err) == {"node_uuid", "field", "message"} and err["node_uuid"] == definition["nodes"][0]["uuid"]
    )
    assert api.get(f"/api/v1/flows/{SURVEY}").json()["revision"] == 2  # not saved

    revisions = api.get(f"/api/v1/flows/{SURVEY}/revisions").json()
    assert [r["revision"] for r in revisions] == [2, 1]
    response = api.post(f"/api/v1/flows/{SURVEY}/revisions/1/revert")
    assert response.status_code == 200
    reverted = response.json()
    assert reverted["revision"] == 3
    assert reverted["definition"]["nodes"][0]["actions"][0]["text"] == "Hi! What is your name?"
    assert api.post(f"/api/v1/flows/{SURVEY}/revisions/99/revert").status_code == 404


def test_create_empty_flow_then_save_definition(api) -> None:
    response = post_json(api, "/api/v1/flows", {"name": "Fresh"})
    assert response.status_code == 201
    flow = response.json()
    assert flow["definition"]["nodes"] == [] and flow["revision"] == 1
    assert post_json(api, "/api/v1/flows", {"name": "  "}).status_code == 400
    definition = dict(flow["definition"], nodes=load_export()["flows"][1]["nodes"])
    response = put_json(api, f"/api/v1/flows/{flow['uuid']}/definition", {"definition": definition})
    assert response.status_code == 200 and response.json()["revision"] == 2
    sim = post_json(api, "/api/v1/simulate", {"flow": flow["uuid"], "inputs": []}).json()
    assert [e["msg"]["text"] for e in sim["events"] if e["type"] == "msg_created"] == [
        "Send SURVEY to start."
    ]


def test_export_round_trips_into_another_workspace(api, imported, workspace) -> None:
    from django.test import Client

    from channels_app.workspaces import create_workspace

    exported = api.get(f"/api/v1/flows/{SURVEY}/export").json()
    assert exported["version"] == "13"
    assert [f["uuid"] for f in exported["flows"]] == [SURVEY]
    assert [f["key"] for f in exported["fields"]] == ["age"]
    assert [g["name"] for g in exported["groups"]] == ["Surveyed"]
    assert exported["triggers"][0]["keyword"] == "survey"

    _, other_token = create_workspace(name="Other NGO", email="other@test.org", password="secret-pass")
    other = Client(HTTP_AUTHORIZATION=f"Token {other_token}")
    response = post_json(other, "/api/v1/flows/import", exported)
    assert response.status_code == 200, response.content
    assert response.json()["flows"] == [{"uuid": SURVEY, "name": "Two Questions"}]
    # the group uuid belongs to the first workspace, so the copy got its own and the flow follows
    other_flow = Flow.objects.exclude(workspace=workspace).get(uuid=SURVEY)
    group = ContactGroup.objects.get(workspace=other_flow.workspace, name="Surveyed")
    assert str(group.uuid) != SURVEYED_GROUP
    assert str(group.uuid) in json.dumps(other_flow.definition)


def test_other_workspace_flows_are_404(api, imported) -> None:
    from django.test import Client

    from channels_app.workspaces import create_workspace

    _, other_token = create_workspace(name="Other NGO", email="other@test.org", password="secret-pass")
    other = Client(HTTP_AUTHORIZATION=f"Token {other_token}")
    assert other.get("/api/v1/flows").json() == []
    for method, url, body in [
        ("get", f"/api/v1/flows/{SURVEY}", None),
        ("get", f"/api/v1/flows/{SURVEY}/export", None),
        ("get", f"/api/v1/flows/{SURVEY}/revisions", None),
        ("post", f"/api/v1/flows/{SURVEY}/revisions/1/revert", None),
        ("put", f"/api/v1/flows/{SURVEY}/definition", {"definition": {}}),
        ("post", "/api/v1/simulate", {"flow": SURVEY, "inputs": []}),
        ("post", "/api/v1/flow_starts", {"flow": SURVEY, "urns": ["tel:+250788123123"]}),
        ("get", f"/api/v1/runs?flow={SURVEY}", None),
        ("get", f"/api/v1/flows/{SURVEY}/results", None),
    ]:
        if body is None:
            response = getattr(other, method)(url)
        else:
            response = getattr(other, method)(url, data=json.dumps(body), content_type="application/json")
        assert response.status_code == 404, (method, url, response.content)
    trigger = api.get("/api/v1/triggers").json()[0]
    assert other.delete(f"/api/v1/triggers/{trigger['uuid']}").status_code == 404
    assert api.get("/api/v1/flows/not-a-uuid").status_code == 404


def test_simulate_two_questions(api, imported) -> None:
    response = post_json(
        api,
        "/api/v1/simulate",
        {
            "flow": SURVEY,
            "inputs": ["Amina", "thirty", "31"],
            "contact": {"name": "Tester", "urn": "tel:+250788555000"},
        },
    )
    assert response.status_code == 200, response.content
    out = response.json()
    texts = [e["msg"]["text"] for e in out["events"] if e["type"] == "msg_created"]
    assert texts == [
        "Hi! What is your name?",
        "How old are you, Amina?",
        "How old are you, Amina?",
        "Thanks Amina, you are 31.",
    ]
    assert out["status"] == "completed"
    assert out["results"]["name"]["value"] == "Amina"
    assert out["results"]["age"]["category"] == "Valid"
    assert out["contact"]["name"] == "Amina"
    assert out["contact"]["fields"]["age"]["text"] == "31"
    assert [g["name"] for g in out["contact"]["groups"]] == ["Surveyed"]
    assert {e["type"] for e in out["events"]} >= {"msg_wait", "run_result_changed", "contact_field_changed"}


def test_simulate_step_by_step_with_session_and_timeout(api, imported) -> None:
    first = post_json(api, "/api/v1/simulate", {"flow": SURVEY, "inputs": []}).json()
    assert first["status"] == "waiting" and first["session"]["status"] == "waiting"
    assert first["wait"]["timeout_seconds"] == 300
    second = post_json(api, "/api/v1/simulate", {"session": first["session"], "inputs": ["Bo"]}).json()
    assert [e["msg"]["text"] for e in second["events"] if e["type"] == "msg_created"] == [
        "How old are you, Bo?"
    ]
    third = post_json(
        api, "/api/v1/simulate", {"session": second["session"], "inputs": [{"type": "timeout"}]}
    ).json()
    assert [e["msg"]["text"] for e in third["events"] if e["type"] == "msg_created"] == [
        "Sorry we missed you."
    ]
    assert third["status"] == "completed" and third["results"]["age"]["category"] == "No Response"
    # inputs after the flow ended are reported, not silently run
    assert (
        post_json(api, "/api/v1/simulate", {"session": second["session"], "inputs": ["5", "6"]}).json()[
            "ignored_inputs"
        ]
        == 1
    )


def test_simulate_bad_input_is_400(api, imported) -> None:
    cases: list[Any] = [
        {"inputs": []},
        {"flow": SURVEY, "inputs": "hello"},
        {"flow": SURVEY, "inputs": [42]},
        {"session": {"runs": []}, "inputs": ["x"]},
        {"session": {"runs": [{"flow": {"uuid": "00000000-0000-4000-8000-000000000123"}}]}, "inputs": ["x"]},
        {"flow": SURVEY, "contact": "bob"},
        {"flow": {"uuid": "x", "nodes": [{"uuid": "n", "exits": "nope"}]}},
    ]
    for body in cases:
        response = post_json(api, "/api/v1/simulate", body)
        assert response.status_code == 400, (body, response.content)
        assert response.json()["error"]
    assert api.post("/api/v1/simulate", data=b"[", content_type="application/json").status_code == 400
    assert (
        post_json(api, "/api/v1/simulate", {"flow": "00000000-0000-4000-8000-000000000123"}).status_code
        == 404
    )


@pytest.mark.skipif(not SHARED.exists(), reason="../shared anchor data not present in this checkout")
@pytest.mark.parametrize("name", ["the_clinic.json", "dependencies_v13.json", "favorites_timeout.json"])
def test_rapidpro_exports_import_and_simulate(api, name: str) -> None:
    export = json.loads((SHARED / name).read_text())
    response = post_json(api, "/api/v1/flows/import", export)
    assert response.status_code == 200, response.content
    flows = response.json()["flows"]
    assert [f["uuid"] for f in flows] == [f["uuid"] for f in export["flows"]]
    for flow in flows:
        out = post_json(api, "/api/v1/simulate", {"flow": flow["uuid"], "inputs": ["yes", "red", "5", "Bob"]})
        assert out.status_code == 200, (flow, out.content)
        body = out.json()
        assert body["events"][0]["type"] == "run_started"
        assert body["status"] in ("waiting", "completed"), (flow, body["status"])
        assert not [e for e in body["events"] if e["type"] == "failure"], flow


@pytest.mark.skipif(not SHARED.exists(), reason="../shared anchor data not present in this checkout")
def test_rapidpro_clinic_triggers_and_timeout_flow(api, workspace) -> None:
    post_json(api, "/api/v1/flows/import", json.loads((SHARED / "the_clinic.json").read_text()))
    kinds = sorted((t.trigger_type, tuple(t.keywords)) for t in Trigger.objects.filter(workspace=workspace))
    assert kinds == [
        ("catch_all", ()),
        ("keyword", ("confirm",)),
        ("keyword", ("patient",)),
        ("missed_call", ()),
    ]
    flows = post_json(
        api, "/api/v1/flows/import", json.loads((SHARED / "favorites_timeout.json").read_text())
    ).json()
    first = post_json(api, "/api/v1/simulate", {"flow": flows["flows"][0]["uuid"], "inputs": []}).json()
    assert first["wait"]["timeout_seconds"]
    timed_out = post_json(
        api, "/api/v1/simulate", {"session": first["session"], "inputs": [{"type": "timeout"}]}
    ).json()
    assert timed_out["events"] and timed_out["events"][0]["type"] != "failure"


def test_triggers_api(api, imported) -> None:
    response = post_json(
        api,
        "/api/v1/triggers",
        {"type": "keyword", "flow": CATCH_ALL, "keywords": ["Help"], "match_type": "only"},
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["keywords"] == ["help"] and created["match_type"] == "only"
    assert len(api.get("/api/v1/triggers").json()) == 3
    for bad in [
        {"type": "keyword", "flow": CATCH_ALL, "keywords": ["two words"]},
        {"type": "keyword", "flow": CATCH_ALL, "keywords": []},
        {"type": "bogus", "flow": CATCH_ALL},
        {"type": "schedule", "flow": CATCH_ALL},
        {"type": "keyword", "flow": CATCH_ALL, "keywords": ["x"], "match_type": "maybe"},
        {"type": "schedule", "flow": CATCH_ALL, "start_on": "tomorrow"},
        {"type": "catch_all", "flow": CATCH_ALL, "groups": ["00000000-0000-4000-8000-000000000123"]},
    ]:
        response = post_json(api, "/api/v1/triggers", bad)
        assert response.status_code == 400, (bad, response.content)
    assert api.delete(f"/api/v1/triggers/{created['uuid']}").status_code == 204
    assert len(api.get("/api/v1/triggers").json()) == 2
    assert api.delete(f"/api/v1/triggers/{created['uuid']}").status_code == 404
