"""Roles (administrator, editor, agent, viewer) enforced in the UI and the API by one table,
invitations by link, and tenant isolation for campaigns, fires, tickets and members."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.models import Campaign, EventFire
from channels_app.models import Contact, ContactField, ContactGroup, Invitation, Membership
from channels_app.services import members as member_service
from channels_app.workspaces import create_workspace
from flows.service_models import Ticket
from tests.channels_app.people.helpers import member
from tests.conftest import run_jobs
from web import permissions


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def setting(workspace: Any) -> dict[str, Any]:
    """A campaign with a pending fire and an open ticket in `workspace`."""
    ContactField.objects.create(workspace=workspace, key="edd", name="EDD", value_type="datetime")
    group = ContactGroup.objects.create(workspace=workspace, name="Mothers")
    future = (timezone.now() + dt.timedelta(days=30)).isoformat()
    contact = Contact.objects.create(workspace=workspace, name="Ami", fields={"edd": future})
    contact.urns.create(workspace=workspace, identity="tel:+250788111222", scheme="tel", path="+250788111222")
    group.contacts.add(contact)
    admin = Client(HTTP_AUTHORIZATION="")
    return {"group": group, "contact": contact, "admin": admin}


def test_the_table_says_who_may_do_what() -> None:
    assert permissions.permission_for("GET", "/channels/") == "read"
    assert permissions.permission_for("POST", "/channels/add/EX/") == "edit"
    assert permissions.permission_for("POST", "/tickets/0/reply") == "tickets"
    assert permissions.permission_for("POST", "/api/v1/ticket_actions") == "tickets"
    assert permissions.permission_for("POST", "/settings/members/invite") == "members"
    assert permissions.permission_for("POST", "/c/ex/abc/receive") is None
    assert permissions.can("agent", "tickets") and not permissions.can("agent", "edit")
    assert permissions.can("viewer", "read") and not permissions.can("viewer", "tickets")
    assert permissions.can("editor", "edit") and not permissions.can("editor", "members")


def test_roles_in_ui_and_api(workspace, setting) -> None:
    ws = {r: member(workspace, r) for r in ("viewer", "agent", "editor")}
    contact = setting["contact"]
    ticket = Ticket.objects.create(workspace=workspace, contact=contact)
    body = {"name": "Antenatal", "group": str(setting["group"].uuid)}

    # viewers read everything and change nothing
    viewer = ws["viewer"]
    assert viewer.web.get("/campaigns/").status_code == 200
    assert viewer.web.get(f"/tickets/{ticket.uuid}/").status_code == 200
    assert viewer.web.post("/campaigns/", body).status_code == 403
    assert viewer.web.post(f"/tickets/{ticket.uuid}/reply", {"text": "hi"}).status_code == 403
    assert viewer.api.get("/api/v1/campaigns").status_code == 200
    assert _post(viewer.api, "/api/v1/campaigns", body).status_code == 403
    assert (
        _post(
            viewer.api, "/api/v1/ticket_actions", {"tickets": [str(ticket.uuid)], "action": "close"}
        ).status_code
        == 403
    )
    assert "Send reply" not in viewer.web.get(f"/tickets/{ticket.uuid}/").content.decode()

    # agents answer tickets but change no channel, flow or campaign
    agent = ws["agent"]
    assert agent.web.post(f"/tickets/{ticket.uuid}/note", {"text": "on it"}).status_code == 302
    assert (
        _post(
            agent.api, "/api/v1/ticket_actions", {"tickets": [str(ticket.uuid)], "action": "close"}
        ).status_code
        == 200
    )
    patched = agent.api.patch(
        f"/api/v1/tickets/{ticket.uuid}",
        data=json.dumps({"status": "open", "assignee": agent.user.email}),
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["assignee"] == agent.user.email
    assert patched.json()["status"] == "open"
    refused = viewer.api.patch(
        f"/api/v1/tickets/{ticket.uuid}", data='{"status": "closed"}', content_type="application/json"
    )
    assert refused.status_code == 403
    bad = agent.api.patch(
        f"/api/v1/tickets/{ticket.uuid}", data='{"assignee": "nobody@x.org"}', content_type="application/json"
    )
    assert bad.status_code == 400 and "not a member" in bad.json()["error"]
    assert agent.web.post("/channels/add/EX/", {"name": "x"}).status_code == 403
    assert _post(agent.api, "/api/v1/channels", {"type": "EX", "name": "x"}).status_code == 403
    assert _post(agent.api, "/api/v1/flows/import", {"version": "13", "flows": []}).status_code == 403
    assert _post(agent.api, "/api/v1/campaigns", body).status_code == 403
    assert agent.web.post("/settings/members/invite", {"role": "admin"}).status_code == 403

    # editors build campaigns; only administrators manage members
    editor = ws["editor"]
    assert editor.web.post("/campaigns/", body).status_code == 302
    assert _post(editor.api, "/api/v1/campaigns", body).status_code == 201
    assert editor.web.post("/settings/members/invite", {"role": "admin"}).status_code == 403
    me = Membership.objects.get(user=editor.user)
    assert editor.web.post(f"/settings/members/{me.id}/role", {"role": "admin"}).status_code == 403
    assert Membership.objects.get(id=me.id).role == "editor"


def test_invitation_link_makes_a_member_once_and_expires(workspace) -> None:
    admin = member(workspace, "admin")
    assert (
        admin.web.post("/settings/members/invite", {"role": "agent", "email": "new@x.org"}).status_code == 302
    )
    page = admin.web.get("/settings/members/").content.decode()
    link = page.split('id="invitation-link" readonly value="')[1].split('"')[0]
    path = link.split("testserver", 1)[-1]
    assert path.startswith("/invitations/")

    visitor = Client()
    assert "as <strong>agent</strong>" in visitor.get(path).content.decode()
    answer = visitor.post(path, {"email": "new@x.org", "password": "long-enough-pw"})
    assert answer.status_code == 302
    joined = Membership.objects.get(user__username="new@x.org")
    assert (joined.workspace_id, joined.role) == (workspace.id, "agent")
    assert visitor.get("/tickets/").status_code == 200  # logged in as the new member
    assert Client().get(path).status_code == 404  # used: no second member from the same link

    _, token = member_service.invite(
        workspace=workspace, role="viewer", now=timezone.now() - dt.timedelta(days=8)
    )
    assert Client().get(f"/invitations/{token}/").status_code == 404  # expired
    assert Client().get("/invitations/not-a-token/").status_code == 404
    assert Invitation.objects.filter(accepted_on__isnull=True).count() == 1

    # the last administrator can't be demoted or removed
    mine = Membership.objects.get(user=admin.user)
    Membership.objects.filter(workspace=workspace, role="admin").exclude(id=mine.id).update(role="editor")
    admin.web.post(f"/settings/members/{mine.id}/role", {"role": "viewer"})
    assert Membership.objects.get(id=mine.id).role == "admin"


def test_another_workspace_sees_none_of_it(api, workspace, setting) -> None:
    group = setting["group"]
    campaign = _post(api, "/api/v1/campaigns", {"name": "Mine", "group": str(group.uuid)}).json()["uuid"]
    event = _post(
        api,
        "/api/v1/campaign_events",
        {"campaign": campaign, "relative_to": "edd", "offset": 1, "unit": "days", "message": {"eng": "Hi"}},
    ).json()["uuid"]
    run_jobs()
    assert EventFire.objects.count() == 1
    ticket = Ticket.objects.create(workspace=workspace, contact=setting["contact"])
    mine = Membership.objects.filter(workspace=workspace).first()
    assert mine is not None

    other_ws, other_key = create_workspace(name="Other", email="other@x.org", password="other-pass")
    other_api = Client(HTTP_AUTHORIZATION=f"Token {other_key}")
    other_web = Client()
    other_web.force_login(Membership.objects.get(workspace=other_ws).user)

    assert other_api.get("/api/v1/campaigns").json() == []
    assert other_api.get("/api/v1/campaign_events").json() == []
    assert other_api.get(f"/api/v1/campaigns/{campaign}").status_code == 404
    assert other_api.get(f"/api/v1/campaign_events/{event}").status_code == 404
    assert other_api.get(f"/api/v1/campaign_events/{event}/fires").status_code == 404
    assert other_api.get(f"/api/v1/campaigns/{campaign}/export").status_code == 404
    assert other_api.delete(f"/api/v1/campaigns/{campaign}").status_code == 404
    assert (
        _post(
            other_api,
            "/api/v1/campaign_events",
            {"campaign": campaign, "relative_to": "edd", "message": {"eng": "x"}},
        ).status_code
        == 404
    )
    assert (
        _post(other_api, "/api/v1/campaigns", {"name": "Steal", "group": str(group.uuid)}).status_code == 400
    )
    assert other_api.get("/api/v1/tickets").json() == []
    assert (
        _post(
            other_api, "/api/v1/ticket_actions", {"tickets": [str(ticket.uuid)], "action": "close"}
        ).status_code
        == 400
    )

    assert other_web.get(f"/campaigns/{campaign}/").status_code == 404
    assert other_web.post(f"/campaigns/events/{event}/delete").status_code == 404
    assert other_web.get(f"/tickets/{ticket.uuid}/").status_code == 404
    assert other_web.post(f"/tickets/{ticket.uuid}/reply", {"text": "x"}).status_code == 404
    assert other_web.post(f"/contacts/{setting['contact'].uuid}/tickets", {"topic": "x"}).status_code == 404
    assert str(ticket.uuid) not in other_web.get("/tickets/").content.decode()
    assert "Mine" not in other_web.get("/campaigns/").content.decode()
    assert "admin@test.org" not in other_web.get("/settings/members/").content.decode()
    assert other_web.post(f"/settings/members/{mine.id}/role", {"role": "viewer"}).status_code == 404
    assert Campaign.objects.get(uuid=campaign).events.filter(is_active=True).count() == 1
    assert Ticket.objects.get(id=ticket.id).status == "open"
