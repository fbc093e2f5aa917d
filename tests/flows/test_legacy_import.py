"""Legacy RapidPro exports (versions 3 to 11.x, action_sets/rule_sets) import and run.

Own fixtures cover the core cases; every file of ../shared/anchor_data/rapidpro_flows is swept
too when that folder is there (FLOWGATE_SHARED may point at it from a worktree).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from .conftest import FIXTURES, SHARED, post_json

LEGACY = FIXTURES / "legacy"
SHARED_FLOWS = (
    Path(os.environ["FLOWGATE_SHARED"]) / "anchor_data" / "rapidpro_flows"
    if os.environ.get("FLOWGATE_SHARED")
    else SHARED
)

# flows whose run needs an object the export can't bring (a channel of the exporting site): goflow
# reports those as errors too, so the sweep accepts exactly these errors and nothing else
EXPECTED_ERRORS = {"Missing dependency: channel"}

# errors the flow itself causes, that goflow reports as well (so they are right, not gaps)
FLOW_OWN_ERRORS: dict[str, tuple[str, ...]] = {
    # the webhook URL reads @flow.response_1, the webhook's own result, before it exists
    "legacy_migrations_migrate_to_11_3.json": (
        "error calling url_encode(...): object has no property 'response_1'",
    ),
    # add_group to a group named by an expression (the result category) that no group has
    "legacy_migrations_old_expressions.json": ("Missing dependency: group[uuid=,name=]",),
    # the message reads @parent/@child fields with no parent or child run, and attaches an empty field
    "dependencies_v13.json": (
        "error calling max(...): null doesn't support lookups",
        "Error evaluating expression: null doesn't support lookups",
        "Attachment evaluated to invalid value and will be ignored",
    ),
}
# real gaps, named with their reason
GAPS: dict[str, str] = {}

pytestmark = pytest.mark.django_db


def _import(api: Any, data: Any) -> Any:
    return post_json(api, "/api/v1/flows/import", data)


def _simulate(api: Any, flow_uuid: str, inputs: list[str]) -> dict[str, Any]:
    r = post_json(api, "/api/v1/simulate", {"flow": flow_uuid, "inputs": inputs})
    assert r.status_code == 200, r.content
    return r.json()


def _errors(events: list[dict[str, Any]]) -> list[str]:
    return [
        str(e.get("text"))
        for e in events
        if e["type"] in ("error", "failure")
        and not any(str(e.get("text")).startswith(x) for x in EXPECTED_ERRORS)
    ]


def test_v4_export_is_migrated_imported_and_runs(api: Any) -> None:
    data = json.loads((LEGACY / "survey_v4.json").read_text())
    r = _import(api, data)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["migrated_from"] == "4"
    [flow] = body["flows"]
    assert flow["name"] == "Legacy Survey"
    # the flow's integer id became a uuid, shared with the trigger that pointed at it
    assert {f["key"] for f in body["created"]["fields"]} == {"age"}
    assert [g["name"] for g in body["created"]["groups"]] == ["Adults"]
    assert [lb["name"] for lb in body["created"]["labels"]] == ["Surveyed"]

    definition = api.get(f"/api/v1/flows/{flow['uuid']}").json()["definition"]
    assert definition["spec_version"].startswith("13")
    texts = [a.get("text") for n in definition["nodes"] for a in n.get("actions") or [] if a.get("text")]
    assert "Hi @(upper(contact.name))! How old are you?" in texts
    assert "Thanks, you are @results.age (@(legacy_add(results.age, 1)) next year)" in texts

    out = _simulate(api, flow["uuid"], ["25"])
    assert not _errors(out["events"])
    msgs = [e["msg"]["text"] for e in out["events"] if e["type"] == "msg_created"]
    assert msgs == ["Hi TEST CONTACT! How old are you?", "Thanks, you are 25 (26 next year)"]
    assert out["results"]["age"]["category"] == "Adult"
    assert "Adults" in [g["name"] for g in out["contact"]["groups"]]
    labelled = [e for e in out["events"] if e["type"] == "input_labels_added"]
    assert [lb["name"] for lb in labelled[0]["labels"]] == ["Surveyed"]


def test_legacy_definition_in_a_v13_wrapper_keeps_translations_and_warns(api: Any) -> None:
    r = _import(api, json.loads((LEGACY / "wrapped_v13.json").read_text()))
    assert r.status_code == 200, r.content
    body = r.json()
    [flow] = body["flows"]
    assert flow["uuid"] == "b0000000-0000-4000-8000-0000000000ff"
    # the expression that can't be parsed is kept as written and named in the answer
    assert any("@(1 +* 2)" in w for w in body["migration_warnings"])
    payload = api.get(f"/api/v1/flows/{flow['uuid']}").json()
    definition = payload["definition"]
    # the flow keeps the warnings its import gave, for the editor to show later
    stored = payload["migration_warnings"]
    assert any("@(1 +* 2)" in w for w in stored)
    assert len(stored) == len(body["migration_warnings"])
    assert all(any(answer.endswith(w) for answer in body["migration_warnings"]) for w in stored)
    assert definition["localization"]["fra"]["b0000000-0000-4000-8000-000000000003"]["text"] == ["Couleur ?"]
    wait = definition["nodes"][1]["router"]["wait"]
    assert wait["timeout"]["seconds"] == 300

    out = _simulate(api, flow["uuid"], ["red please"])
    msgs = [e["msg"]["text"] for e in out["events"] if e["type"] == "msg_created"]
    assert msgs[0] == "Your number is +12065550100. Favourite colour?"
    assert msgs[1].startswith("Got Red ")


def test_editor_shows_what_was_not_migrated_exactly(api: Any, workspace: Any) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    flow = _import(api, json.loads((LEGACY / "wrapped_v13.json").read_text())).json()["flows"][0]
    survey = _import(api, json.loads((LEGACY / "survey_v4.json").read_text())).json()["flows"][0]
    web = Client()
    web.force_login(get_user_model().objects.get(username="admin@test.org"))
    page = web.get(f"/flows/{flow['uuid']}/editor").content.decode()
    assert "migrated from a RapidPro legacy export (version 11.12)" in page
    assert "could not be migrated exactly" in page and "@(1 +* 2)" in page
    page = web.get(f"/flows/{survey['uuid']}/editor").content.decode()
    assert "(version 4)" in page and "Everything was migrated exactly" in page
    # the simulator runs it like any other flow (see the tests above); a v13 flow shows no banner
    v13 = _import(api, json.loads((FIXTURES / "two_questions.json").read_text())).json()["flows"][0]
    assert "migration-warnings" not in web.get(f"/flows/{v13['uuid']}/editor").content.decode()


def test_bare_legacy_definition_and_bad_flow_uuid_are_clear_400s(api: Any) -> None:
    data = json.loads((LEGACY / "wrapped_v13.json").read_text())
    bare = data["flows"][0]
    r = _import(api, bare)
    assert r.status_code == 400
    assert "not an export" in json.dumps(r.json())

    v13 = json.loads((FIXTURES / "two_questions.json").read_text())
    v13["flows"][0]["uuid"] = "not-a-uuid"
    r = _import(api, v13)
    assert r.status_code == 400, r.content
    assert "not a UUID" in json.dumps(r.json())


def test_import_creates_typed_fields_and_query_groups_and_lists_what_it_skipped(api: Any) -> None:
    v13 = json.loads((FIXTURES / "two_questions.json").read_text())
    v13["fields"] = [
        {"key": "birth_date", "name": "Birth Date", "type": "datetime"},
        {"key": "weight", "name": "Weight", "type": "numeric"},
        {"key": "home", "name": "Home", "type": "district"},
    ]
    v13["groups"] = [
        {"uuid": "c0000000-0000-4000-8000-000000000001", "name": "Heavy", "query": "weight > 90"}
    ]
    v13["globals"] = [
        {"key": "org_name", "name": "Org Name", "value": "Nyaruka"},
        {"key": "9 bad key", "name": "Bad", "value": ""},
    ]
    v13["labels"] = [{"uuid": "c0000000-0000-4000-8000-000000000002", "name": "x" * 70}]
    body = _import(api, v13).json()
    types = {f["key"]: f["type"] for f in body["created"]["fields"]}
    assert types["birth_date"] == "datetime" and types["weight"] == "number" and types["home"] == "district"
    heavy = next(g for g in body["created"]["groups"] if g["name"] == "Heavy")
    assert heavy["query"] == "weight > 90"
    assert body["created"]["globals"] == [{"key": "org_name", "name": "Org Name"}]
    assert {s["type"] for s in body["skipped"]} == {"global", "label"}
    assert all(s["reason"] for s in body["skipped"])
    # importing again creates nothing new
    again = _import(api, v13).json()
    # (an import replaces the flows' triggers and updates its campaigns in place each time: the
    # export is the newer truth, and the answer lists them again)
    replaced = ("triggers", "campaigns")
    assert {k: v for k, v in again["created"].items() if k not in replaced and v} == {}
    assert len(again["created"]["triggers"]) == len(body["created"]["triggers"])
    assert [c["uuid"] for c in again["created"]["campaigns"]] == [
        c["uuid"] for c in body["created"]["campaigns"]
    ]


def _shared_cases() -> list[Any]:
    if not SHARED_FLOWS.exists():
        return []
    return [
        pytest.param(p, marks=pytest.mark.xfail(strict=True, reason=GAPS[p.name])) if p.name in GAPS else p
        for p in sorted(SHARED_FLOWS.rglob("*.json"))
    ]


@pytest.mark.skipif(not SHARED_FLOWS.exists(), reason="../shared is not there")
@pytest.mark.parametrize("path", _shared_cases(), ids=lambda p: p.name)
def test_every_shared_export_imports_and_runs(api: Any, path: Path) -> None:
    data = json.loads(path.read_text())
    r = _import(api, data)
    if path.name.startswith("legacy_invalid_"):
        assert r.status_code == 400, r.content
        assert r.json()["error"]
        return
    assert r.status_code == 200, r.content
    for flow in r.json()["flows"]:
        out = _simulate(api, flow["uuid"], ["yes", "25", "red"])
        own = FLOW_OWN_ERRORS.get(path.name, ())
        errors = [e for e in _errors(out["events"]) if not any(o in e for o in own)]
        assert not errors, (flow["name"], errors)


def test_import_flows_command_takes_legacy_exports(workspace: Any, tmp_path: Path) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command(
        "import_flows", str(LEGACY / "survey_v4.json"), "--workspace", str(workspace.uuid), stdout=out
    )
    answer = json.loads(out.getvalue())
    assert answer["migrated_from"] == "4" and answer["flows"][0]["name"] == "Legacy Survey"
    assert [lb["name"] for lb in answer["created"]["labels"]] == ["Surveyed"]
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(json.loads((LEGACY / "wrapped_v13.json").read_text())["flows"][0]))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_flows", str(bare), "--workspace", str(workspace.uuid), stderr=err)
    assert "not an export" in err.getvalue()
