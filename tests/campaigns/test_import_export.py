"""Campaigns in RapidPro exports: imported with their events (messages with translations,
flow starts) and exported in the same shape, so a round trip changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from channels_app.workspaces import create_workspace
from tests.campaigns.helpers import post

FIXTURE = Path(__file__).parent / "fixtures" / "campaign_export.json"
# ../shared beside the checkout (a worktree sits one level deeper); the own fixture always runs
_ROOT = Path(__file__).resolve().parents[2]
ANCHORS = [r / "shared" / "anchor_data" / "rapidpro_flows" for r in (_ROOT.parent, _ROOT.parent.parent)]
EXPORTS = [FIXTURE] + [
    d / name
    for d in ANCHORS[:1] + [a for a in ANCHORS[1:] if not ANCHORS[0].exists()]
    for name in ("survey_campaign.json", "campaign_import_with_translations.json")
    if (d / name).exists()
]
UNITS = {"M": "minutes", "H": "hours", "D": "days", "W": "weeks"}


def _events(api: Any) -> dict[str, dict[str, Any]]:
    return {e["uuid"]: e for e in api.get("/api/v1/campaign_events").json()}


@pytest.mark.parametrize("path", EXPORTS, ids=[p.name for p in EXPORTS])
def test_export_campaigns_are_imported_with_every_event(api, workspace, path: Path) -> None:
    data = json.loads(path.read_text())
    answer = post(api, "/api/v1/flows/import", data)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert not any("campaign" in w for w in body["warnings"]), body["warnings"]
    assert [c["uuid"] for c in body["created"]["campaigns"]] == [c["uuid"] for c in data["campaigns"]]

    campaigns = {c["uuid"]: c for c in api.get("/api/v1/campaigns").json()}
    events = _events(api)
    for exported in data["campaigns"]:
        assert campaigns[exported["uuid"]]["group"]["name"] == exported["group"]["name"]
        for e in exported["events"]:
            got = events[e["uuid"]]
            assert (got["offset"], got["unit"], got["delivery_hour"]) == (
                e["offset"],
                UNITS[e["unit"]],
                e["delivery_hour"],
            )
            assert got["relative_to"]["key"] == e["relative_to"]["key"]
            if e["event_type"] == "M":
                assert got["message"] == e["message"] and got["flow"] is None
                assert got["base_language"] == (e.get("base_language") or next(iter(e["message"])))
            else:
                assert got["flow"]["uuid"] == e["flow"]["uuid"] and got["message"] is None
    fields = {f["key"]: f["value_type"] for f in api.get("/api/v1/fields").json()}
    assert all(fields[e["relative_to"]["key"]] == "datetime" for c in data["campaigns"] for e in c["events"])


def test_export_then_import_elsewhere_round_trips(api, workspace) -> None:
    post(api, "/api/v1/flows/import", json.loads(FIXTURE.read_text()))
    campaign = api.get("/api/v1/campaigns").json()[0]
    exported = api.get(f"/api/v1/campaigns/{campaign['uuid']}/export").json()
    assert [e["event_type"] for e in exported["campaigns"][0]["events"]] == ["M", "F"]
    assert exported["campaigns"][0]["events"][1]["start_mode"] == "S"
    assert [f["name"] for f in exported["flows"]] == ["Two Questions"]
    # exporting the flow alone carries the campaign that starts it, like RapidPro
    flow_uuid = exported["flows"][0]["uuid"]
    flow_export = api.get(f"/api/v1/flows/{flow_uuid}/export")
    assert flow_export.status_code == 200
    assert [c["uuid"] for c in flow_export.json()["campaigns"]] == [campaign["uuid"]]

    from django.test import Client

    _, other_key = create_workspace(name="Elsewhere")
    other = Client(HTTP_AUTHORIZATION=f"Token {other_key}")
    assert post(other, "/api/v1/flows/import", exported).status_code == 200
    mine = sorted(_events(api).values(), key=lambda e: e["uuid"])
    theirs = sorted(_events(other).values(), key=lambda e: e["uuid"])
    strip = lambda e: {k: v for k, v in e.items() if k not in ("created_on",)}  # noqa: E731
    assert [strip(e) for e in theirs] == [strip(e) for e in mine]

    # importing again updates in place: still two events, not four
    assert post(other, "/api/v1/flows/import", exported).status_code == 200
    assert len(_events(other)) == 2


def test_an_export_with_junk_where_references_belong_imports_the_rest_and_warns(api, workspace) -> None:
    """Exports made elsewhere: an event whose flow or field reference is not an object, or whose
    offset is out of range, is skipped with a warning; the import answers 200, never a 500."""
    export = json.loads(FIXTURE.read_text())
    good = export["campaigns"][0]["events"][0]
    export["campaigns"][0]["events"] += [
        {**good, "uuid": "e7000000-0000-4000-8000-000000000001", "event_type": "F", "flow": "Two Questions"},
        {**good, "uuid": "e7000000-0000-4000-8000-000000000002", "relative_to": "edd"},
        {**good, "uuid": "e7000000-0000-4000-8000-000000000003", "offset": 10**12},
        "not an event",
    ]
    answer = post(api, "/api/v1/flows/import", export)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert any("skipped" in w for w in body["warnings"])
    events = _events(api)
    assert good["uuid"] in events
    assert not any(u.startswith("e7000000") for u in events)
