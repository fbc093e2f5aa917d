"""The workspace's time zone: set on the settings screen and through `/api/v1/workspace`
(administrators only, IANA names only), and read by campaigns, quiet hours and flows."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import Client

from campaigns.models import EventFire
from channels_app.models import Contact, ContactField, ContactGroup, Workspace
from channels_app.workspaces import create_workspace
from tests.channels_app.people.helpers import member
from tests.conftest import run_jobs


def _patch(client: Client, body: dict[str, Any]) -> Any:
    return client.patch("/api/v1/workspace", data=json.dumps(body), content_type="application/json")


def test_api_reads_and_sets_the_time_zone(api: Any, workspace: Any) -> None:
    got = api.get("/api/v1/workspace").json()
    assert (got["uuid"], got["name"], got["timezone"]) == (str(workspace.uuid), "Test NGO", "UTC")
    saved = _patch(api, {"timezone": "Africa/Kigali"})
    assert saved.status_code == 200 and saved.json()["timezone"] == "Africa/Kigali"
    workspace.refresh_from_db()
    assert workspace.timezone == "Africa/Kigali"

    assert _patch(api, {"timezone": 3}).json()["errors"][0]["loc"][-1] == "timezone"
    for bad in ["Mars/Olympus", "", "africa/kigali", "localtime"]:
        refused = _patch(api, {"timezone": bad})
        assert refused.status_code == 400, bad
        assert "time zone" in json.dumps(refused.json()), refused.json()
    assert _patch(api, {"name": "  "}).status_code == 400
    workspace.refresh_from_db()
    assert (workspace.name, workspace.timezone) == ("Test NGO", "Africa/Kigali")


def test_only_administrators_change_it_and_only_their_own(api: Any, workspace: Any) -> None:
    editor = member(workspace, "editor")
    viewer = member(workspace, "viewer")
    assert viewer.api.get("/api/v1/workspace").json()["timezone"] == "UTC"
    for someone in (editor, viewer):
        assert _patch(someone.api, {"timezone": "Africa/Kigali"}).status_code == 403
        assert someone.web.post("/settings/workspace/", {"timezone": "Africa/Kigali"}).status_code == 403
    workspace.refresh_from_db()
    assert workspace.timezone == "UTC"
    page = editor.web.get("/settings/workspace/").content.decode()
    assert 'id="ws-timezone">UTC<' in page and 'id="workspace-form"' not in page

    other, _ = create_workspace(name="Other", email="other@x.org", password="other-pass")
    assert _patch(api, {"timezone": "Asia/Tokyo"}).status_code == 200
    other.refresh_from_db()
    assert other.timezone == "UTC"


def test_settings_screen_sets_it_with_a_clear_error_on_a_bad_zone(workspace: Any) -> None:
    admin = member(workspace, "admin")
    page = admin.web.get("/settings/workspace/").content.decode()
    assert "<option selected>UTC</option>" in page and "<option>Africa/Kigali</option>" in page
    bad = admin.web.post("/settings/workspace/", {"name": "Test NGO", "timezone": "Mars/Olympus"})
    assert bad.status_code == 400
    assert "Nothing was saved: unknown time zone &#x27;Mars/Olympus&#x27;" in bad.content.decode()
    ok = admin.web.post("/settings/workspace/", {"name": "Maternal health", "timezone": "Africa/Kigali"})
    assert ok.status_code == 302
    workspace.refresh_from_db()
    assert (workspace.name, workspace.timezone) == ("Maternal health", "Africa/Kigali")
    assert "<option selected>Africa/Kigali</option>" in admin.web.get("/settings/workspace/").content.decode()


def test_campaign_delivery_hour_follows_a_new_time_zone(api: Any, workspace: Any, settings: Any) -> None:
    settings.FLOWGATE_CLOCK = "2027-01-01T00:00:00Z"
    ContactField.objects.create(workspace=workspace, key="edd", name="EDD", value_type="datetime")
    group = ContactGroup.objects.create(workspace=workspace, name="Mothers")
    ami = Contact.objects.create(workspace=workspace, name="Ami", fields={"edd": "2027-02-10"})
    group.contacts.add(ami)
    body = {"name": "Visits", "group": str(group.uuid)}
    campaign = api.post("/api/v1/campaigns", data=json.dumps(body), content_type="application/json")
    event = {"campaign": campaign.json()["uuid"], "relative_to": "edd", "offset": 3, "unit": "days",
             "delivery_hour": 9, "message": {"eng": "Your clinic visit"}}  # fmt: skip
    resp = api.post("/api/v1/campaign_events", data=json.dumps(event), content_type="application/json")
    assert resp.status_code == 201, resp.content
    run_jobs()
    fire = EventFire.objects.get(contact=ami, fired_on__isnull=True)
    assert fire.scheduled == dt.datetime(2027, 2, 13, 9, tzinfo=dt.UTC)

    assert _patch(api, {"timezone": "Africa/Kigali"}).status_code == 200  # UTC+2
    run_jobs()
    fire = EventFire.objects.get(contact=ami, fired_on__isnull=True)
    # 09:00 in Kigali, on the date read in Kigali
    assert fire.scheduled == dt.datetime(2027, 2, 13, 7, tzinfo=dt.UTC)
    assert EventFire.objects.filter(contact=ami).count() == 1


def test_quiet_hours_without_their_own_zone_follow_the_workspace(api: Any, workspace: Any) -> None:
    from flows.services import pacing

    put = api.put("/api/v1/quiet_hours", data=json.dumps({"start": "21:00", "end": "07:00"}),
                  content_type="application/json")  # fmt: skip
    assert put.status_code == 200 and put.json()["follows_workspace"] is True
    # 20:00 UTC: outside quiet hours in UTC, inside them (22:00) in Kigali
    at = dt.datetime(2027, 1, 5, 20, 0, tzinfo=dt.UTC)
    assert workspace.id not in pacing.quiet_workspaces(at)
    _patch(api, {"timezone": "Africa/Kigali"})
    assert workspace.id in pacing.quiet_workspaces(at)
    assert api.get("/api/v1/quiet_hours").json()["timezone"] == "Africa/Kigali"
    # a zone of their own wins over the workspace's
    own = {"timezone": "UTC", "start": "21:00", "end": "07:00"}
    api.put("/api/v1/quiet_hours", data=json.dumps(own), content_type="application/json")
    assert workspace.id not in pacing.quiet_workspaces(at)


def test_flows_read_dates_in_the_workspace_zone(workspace: Any) -> None:
    from flows.services.assets import environment_for

    assert environment_for(workspace=workspace)["timezone"] == "UTC"
    Workspace.objects.filter(id=workspace.id).update(timezone="America/Lima")
    workspace.refresh_from_db()
    assert environment_for(workspace=workspace)["timezone"] == "America/Lima"
