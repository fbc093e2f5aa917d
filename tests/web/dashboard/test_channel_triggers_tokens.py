"""Channel page (URLs, masked config, test message, link status), triggers and API keys."""

from __future__ import annotations

import json
from typing import Any

from channels_app.models import APIToken, Msg
from channels_app.services.channels import create_channel
from flows.models import Trigger
from tests.conftest import run_jobs
from tests.web.dashboard.conftest import make_flow

# --------------------------------------------------------------------------------- channel page


def test_channel_page_lists_urls_with_copy_buttons_and_masks_secrets(client_in: Any, workspace: Any) -> None:
    channel = create_channel(workspace=workspace, type_code="EX", name="Secretive", country="RW",
                             config={"send_url": "http://127.0.0.1:9/send", "send_authorization": "Bearer s3cr3t-xyz"})  # fmt: skip
    page = client_in.get(f"/channels/{channel.uuid}/").content.decode()
    assert "s3cr3t-xyz" not in page
    assert "Authorization header" in page and "********" in page  # labelled, masked
    assert "send_authorization" not in page and "mo_from_field" not in page  # no raw keys
    for action in ("receive", "sent", "delivered", "failed", "stopped"):
        assert f'id="url-{action}" class="url-field" value="http' in page
        assert f'data-copy="url-{action}"' in page
    assert f"/c/ex/{channel.uuid}/receive" in page
    assert 'id="live-status"' not in page  # EX has no link to report on


def test_test_message_is_queued_sent_and_reported(client_in: Any, ex_channel: Any, aggregator: Any) -> None:
    url = f"/channels/{ex_channel.uuid}/test-message"
    response = client_in.post(url, {"to": "0788123123", "text": "ping"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "queued" and body["urn"] == "tel:+250788123123"
    msg = Msg.objects.get(uuid=body["uuid"])
    assert msg.channel_id == ex_channel.id and msg.metadata == {"test": True}
    run_jobs()
    msg.refresh_from_db()
    assert msg.status == "sent" and aggregator.requests[0].form()["text"] == "ping"
    # without JavaScript: a redirect back to the page, which lists the message
    response = client_in.post(url, {"to": "+250788123124", "text": "ping 2"})
    assert response.status_code == 302
    assert "ping 2" in client_in.get(response["Location"]).content.decode()


def test_test_message_bad_input_is_a_clear_400(client_in: Any, ex_channel: Any) -> None:
    url = f"/channels/{ex_channel.uuid}/test-message"
    response = client_in.post(url, {"to": "not a number", "text": "x"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "to" in response.json()["errors"]
    response = client_in.post(url, {"to": "+250788123123", "text": ""}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "text" in response.json()["errors"]
    page = client_in.post(url, {"to": "mailto:x@y", "text": "x"})
    assert page.status_code == 400 and "has-error" in page.content.decode()
    assert not Msg.objects.filter(direction="out").exists()
    assert client_in.get(url).status_code == 405


def test_channel_pages_of_another_workspace_are_404(client_in: Any, other_workspace: Any) -> None:
    theirs = other_workspace.channels.get()
    assert client_in.get(f"/channels/{theirs.uuid}/").status_code == 404
    response = client_in.post(f"/channels/{theirs.uuid}/test-message", {"to": "+250788123123", "text": "x"})
    assert response.status_code == 404
    assert not Msg.objects.filter(direction="out").exists()


def test_smpp_channel_shows_its_link_status(client_in: Any, workspace: Any) -> None:
    channel = create_channel(workspace=workspace, type_code="SM", name="SMSC", country="RW",
                             config={"host": "127.0.0.1", "port": 2775, "system_id": "fg", "password": "pw-hidden"})  # fmt: skip
    page = client_in.get(f"/channels/{channel.uuid}/").content.decode()
    assert 'id="live-status"' in page and 'class="state down"' in page
    assert "no smsc supervisor has run this link yet" in page
    assert "pw-hidden" not in page


# ------------------------------------------------------------------------------------- triggers


def test_create_list_and_delete_triggers(client_in: Any, workspace: Any, ex_channel: Any) -> None:
    flow = make_flow(workspace)
    ok = {"flow": str(flow.uuid), "match_type": "starts", "repeat": "never"}
    r = client_in.post("/triggers/", {**ok, "trigger_type": "keyword", "keywords": "JOIN, start", "match_type": "only",
                                      "channel": str(ex_channel.uuid)})  # fmt: skip
    assert r.status_code == 302, r.content.decode()
    r = client_in.post("/triggers/", {**ok, "trigger_type": "catch_all", "keywords": "ignored"})
    assert r.status_code == 302
    r = client_in.post("/triggers/", {**ok, "trigger_type": "schedule", "start_on": "2030-01-06T09:30",
                                      "repeat": "weekly", "weekdays": ["0", "3"], "channel": str(ex_channel.uuid)})  # fmt: skip
    assert r.status_code == 302
    keyword, catch_all, schedule = Trigger.objects.filter(workspace=workspace).order_by("id")
    assert (keyword.trigger_type, keyword.keywords, keyword.match_type, keyword.channel_id) == (
        "keyword",
        ["join", "start"],
        "only",
        ex_channel.id,
    )
    assert (catch_all.trigger_type, catch_all.keywords) == ("catch_all", [])
    assert schedule.repeat == "weekly" and schedule.weekdays == "03" and schedule.channel_id is None
    assert schedule.next_fire.isoformat() == "2030-01-06T09:30:00+00:00"

    page = client_in.get("/triggers/").content.decode()
    assert page.count("data-trigger-uuid=") == 3
    assert (
        'Message is only\n          <code class="keyword">join</code> or <code class="keyword">start</code>'
        in page
    )
    assert "Any other message" in page and "repeats weekly" in page

    assert client_in.post(f"/triggers/{keyword.uuid}/delete").status_code == 302
    keyword.refresh_from_db()
    assert keyword.archived
    assert client_in.get("/triggers/").content.decode().count("data-trigger-uuid=") == 2
    assert client_in.post(f"/triggers/{keyword.uuid}/delete").status_code == 404  # already gone


def test_bad_triggers_are_refused_with_reasons(client_in: Any, workspace: Any, other_workspace: Any) -> None:
    flow = make_flow(workspace)
    base = {"flow": str(flow.uuid), "match_type": "starts", "repeat": "never"}
    cases = [
        ({"trigger_type": "keyword", "keywords": ""}, "give at least one keyword"),
        ({"trigger_type": "keyword", "keywords": "hello-world"}, "single-word keywords"),
        ({"trigger_type": "schedule"}, "a scheduled trigger needs a start time"),
        ({"trigger_type": "schedule", "start_on": "soon"}, "Enter a valid date/time"),
        ({"trigger_type": "opt_out"}, "Select a valid choice"),
        (
            {"trigger_type": "catch_all", "flow": str(make_flow(other_workspace).uuid)},
            "Select a valid choice",
        ),
    ]
    for fields, reason in cases:
        r = client_in.post("/triggers/", {**base, **fields})
        assert r.status_code == 400, fields
        assert reason in r.content.decode(), (fields, reason)
    assert not Trigger.objects.exists()


def test_another_workspaces_trigger_cannot_be_deleted(client_in: Any, other_workspace: Any) -> None:
    trigger = Trigger.objects.create(workspace=other_workspace, trigger_type="catch_all",
                                     flow=make_flow(other_workspace))  # fmt: skip
    assert client_in.post(f"/triggers/{trigger.uuid}/delete").status_code == 404
    trigger.refresh_from_db()
    assert not trigger.archived
    assert str(trigger.uuid) not in client_in.get("/triggers/").content.decode()


# ------------------------------------------------------------------------------------- API keys


def test_key_is_shown_once_and_works_until_revoked(client_in: Any, workspace: Any, token: str) -> None:
    from django.test import Client

    response = client_in.post("/settings/api-keys/", {"name": "CRM sync"})
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    created = APIToken.objects.get(workspace=workspace, name="CRM sync")
    key = page.split('id="new-key" value="')[1].split('"')[0]
    assert len(key) == 40 and key.startswith(created.prefix)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/channels").status_code == 200

    listing = client_in.get("/settings/api-keys/").content.decode()
    assert key not in listing and token not in listing
    assert f"{created.prefix}************" in listing and "CRM sync" in listing

    assert client_in.post(f"/settings/api-keys/{created.id}/revoke").status_code == 302
    assert api.get("/api/v1/channels").status_code == 401
    created.refresh_from_db()
    assert not created.is_active
    assert ">revoked<" in client_in.get("/settings/api-keys/").content.decode()


def test_key_name_is_required_and_other_workspaces_keys_are_404(
    client_in: Any, workspace: Any, other_workspace: Any
) -> None:
    before = APIToken.objects.count()
    for name in ("", "   ", "x" * 65):
        assert client_in.post("/settings/api-keys/", {"name": name}).status_code == 400
    assert APIToken.objects.count() == before
    theirs = APIToken.objects.get(workspace=other_workspace)
    assert client_in.post(f"/settings/api-keys/{theirs.id}/revoke").status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active
    assert theirs.prefix not in client_in.get("/settings/api-keys/").content.decode()
    assert client_in.get(f"/settings/api-keys/{theirs.id}/revoke").status_code == 405


def test_screens_need_login(client: Any, workspace: Any) -> None:
    for url in ("/triggers/", "/settings/api-keys/", "/messages/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    assert json.loads(client.get("/healthz").content) == {"ok": True}
