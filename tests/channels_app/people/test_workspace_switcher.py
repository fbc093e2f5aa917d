"""Members of several workspaces switch between them in the header; the choice lives in the
session, membership is checked on every request, and nobody switches into someone else's."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from channels_app.models import Contact, Membership
from channels_app.workspaces import create_workspace
from tests.channels_app.people.helpers import member


def _two_workspaces(workspace: Any) -> tuple[Any, Any, Client]:
    """`workspace` (Test NGO, admin) and a second one (Clinic, where the same user is a viewer)."""
    both = member(workspace, "admin", email="both@test.org")
    clinic, _ = create_workspace(name="Clinic")
    Membership.objects.create(workspace=clinic, user=both.user, role=Membership.Role.VIEWER)
    Contact.objects.create(workspace=workspace, name="Ngo contact")
    Contact.objects.create(workspace=clinic, name="Clinic contact")
    return both.user, clinic, both.web


def test_header_switches_workspace_and_everything_follows(workspace: Any) -> None:
    user, clinic, web = _two_workspaces(workspace)
    page = web.get("/contacts/").content.decode()
    assert 'id="workspace-switch"' in page
    assert f'<option value="{clinic.uuid}">Clinic</option>' in page
    assert f'<option value="{workspace.uuid}" selected>Test NGO</option>' in page
    assert "Ngo contact" in page and "Clinic contact" not in page

    response = web.post("/workspaces/switch", {"workspace": str(clinic.uuid)})
    assert response.status_code == 302 and response["Location"] == "/"
    page = web.get("/contacts/").content.decode()
    assert "Clinic contact" in page and "Ngo contact" not in page
    assert f'<option value="{clinic.uuid}" selected>Clinic</option>' in page
    # the API called with the login session (the UI's own scripts) follows too
    assert web.get("/api/v1/workspace").json()["uuid"] == str(clinic.uuid)
    assert [c["name"] for c in web.get("/api/v1/contacts").json()] == ["Clinic contact"]
    # and so does the role: a viewer there, so no changes
    assert web.post("/contacts/new", {"name": "X"}).status_code == 403
    assert Contact.objects.filter(name="X").count() == 0

    web.post("/workspaces/switch", {"workspace": str(workspace.uuid)})
    assert "Ngo contact" in web.get("/contacts/").content.decode()


def test_cannot_switch_into_a_workspace_one_does_not_belong_to(workspace: Any) -> None:
    user, clinic, web = _two_workspaces(workspace)
    stranger, _ = create_workspace(name="Stranger", email="s@x.org", password="stranger-pass")
    Contact.objects.create(workspace=stranger, name="Their secret")
    for value in [str(stranger.uuid), "not-a-uuid", ""]:
        assert web.post("/workspaces/switch", {"workspace": value}).status_code == 404, value
    page = web.get("/contacts/").content.decode()
    assert "Their secret" not in page and "Ngo contact" in page
    assert f'value="{stranger.uuid}"' not in page

    # a forged or stale session value is ignored: membership is checked on each request
    session = web.session
    session["flowgate_workspace"] = str(stranger.uuid)
    session.save()
    assert "Their secret" not in web.get("/contacts/").content.decode()
    assert web.get("/api/v1/workspace").json()["uuid"] == str(workspace.uuid)
    session["flowgate_workspace"] = "garbage"
    session.save()
    assert web.get("/contacts/").status_code == 200


def test_removed_member_falls_back_at_the_next_request(workspace: Any) -> None:
    user, clinic, web = _two_workspaces(workspace)
    web.post("/workspaces/switch", {"workspace": str(clinic.uuid)})
    assert web.get("/api/v1/workspace").json()["uuid"] == str(clinic.uuid)
    Membership.objects.filter(workspace=clinic, user=user).delete()
    assert web.get("/api/v1/workspace").json()["uuid"] == str(workspace.uuid)
    page = web.get("/contacts/").content.decode()
    assert "Clinic contact" not in page and 'id="workspace-switch"' not in page  # one workspace left


def test_single_workspace_members_see_no_switcher(client_in: Any, workspace: Any) -> None:
    page = client_in.get("/").content.decode()
    assert 'id="workspace-switch"' not in page


def test_token_keys_stay_bound_to_their_workspace(api: Any, workspace: Any) -> None:
    # an API key is a workspace's: no session, no switching
    assert api.get("/api/v1/workspace").json()["uuid"] == str(workspace.uuid)
    resp = api.post("/workspaces/switch", data=json.dumps({"workspace": str(workspace.uuid)}),
                    content_type="application/json")  # fmt: skip
    assert resp.status_code == 302 and "/login/" in resp["Location"]
