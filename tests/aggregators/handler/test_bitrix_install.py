"""Bitrix24 handler apps unchanged: the whole documented handler payload, the ONAPPINSTALL
installation event and token renewal at the OAuth endpoint, with examples/handler_app.py run
as a real process (started without any Flowgate token, as a Bitrix app is)."""

from __future__ import annotations

from typing import Any

from channels_app.models import AppToken, Msg
from tests.aggregators.handler.helpers import ExampleApp, wait_until
from tests.conftest import run_jobs

# The handler call's fields as message-service-rest.txt prints them, in its order.
DOCUMENTED = [
    "module_id",
    "bindings[0][OWNER_TYPE_ID]",
    "bindings[0][OWNER_ID]",
    "properties[phone_number]",
    "properties[message_text]",
    "type",
    "code",
    "message_id",
    "message_to",
    "message_body",
    "ts",
    "auth[access_token]",
    "auth[expires_in]",
    "auth[scope]",
    "auth[domain]",
    "auth[server_endpoint]",
    "auth[status]",
    "auth[client_endpoint]",
    "auth[member_id]",
    "auth[user_id]",
    "auth[application_token]",
]


def install_and_send(live_asgi: Any, token: str) -> tuple[ExampleApp, dict[str, Any], dict[str, Any]]:
    web = live_asgi.client(headers={"Authorization": f"Token {token}"})
    app = ExampleApp("--flowgate", "http://unused.invalid", "--port", "0", "--code", "bx_sms")
    handler = app.wait_for("waiting_for_install")["handler"]
    issued = web.post("/api/v1/tokens/apps", json={"name": "Bitrix-style app", "install_url": handler})
    assert issued.status_code == 201, issued.text
    return app, issued.json(), web


def test_install_event_then_documented_payload_field_for_field(live_asgi, workspace, token) -> None:
    app, issued, web = install_and_send(live_asgi, token)
    try:
        installed = app.wait_for("installed")
        assert installed["member_id"] == issued["member_id"] and installed["domain"] == issued["domain"]
        assert app.wait_for("registered")["answer"]["result"] is True
        hx = next(c for c in web.get("/api/v1/channels").json() if c["type"] == "HX")
        sent = web.post(
            "/api/v1/messages", json={"channel": hx["uuid"], "to": "+250788123123", "text": "Muraho"}
        )
        assert sent.status_code == 201, sent.text
        run_jobs()
        received = app.wait_for("received")["form"]
        msg = Msg.objects.get(uuid=sent.json()["uuid"])
        assert received["module_id"] == "crm"
        assert received["bindings[0][OWNER_TYPE_ID]"] == "3"
        assert received["bindings[0][OWNER_ID]"] == str(msg.contact_id)
        assert received["message_to"] == "+250788123123" and received["message_body"] == "Muraho"
        # The app reports with the token of the call; the message ends delivered.
        assert app.wait_for("reported")["answer"]["result"] is True
        wait_until(lambda: Msg.objects.get(id=msg.id).status == "delivered")
    finally:
        app.stop()


def test_handler_call_carries_every_documented_field_in_order(workspace) -> None:
    from aggregators.handler.sender import build_form
    from channels_app.models import Channel, Membership
    from channels_app.types.base import OutgoingMessage

    app_row, _ = AppToken.issue(workspace=workspace)
    channel = Channel.objects.create(
        workspace=workspace,
        channel_type="HX",
        name="bx",
        config={"code": "bx", "handler": "http://x", "member_id": app_row.member_id, "user_id": 7},
    )
    out = OutgoingMessage(
        id=1, uuid="e35864ed-ce3e-aad9-87d3-2f8955c1177b", text="test", urn="tel:+9172012345", contact_id=5783
    )
    form = build_form(channel, out, access_token="tok", now=1513177809)
    assert [k for k, _ in form] == DOCUMENTED
    values = dict(form)
    assert (
        values["bindings[0][OWNER_ID]"] == "5783"
        and values["message_id"] == "e35864edce3eaad987d32f8955c1177b"
    )
    assert values["auth[server_endpoint]"].endswith("/oauth/") and values["auth[status]"] == "L"
    assert values["auth[user_id]"] == "7" and values["auth[member_id]"] == app_row.member_id
    assert values["auth[client_endpoint]"].endswith("/rest/") and values["ts"] == "1513177809"
    assert Membership.objects.filter(workspace=workspace).exists()


def test_expired_token_renewed_at_the_oauth_endpoint(live_asgi, workspace, token, monkeypatch) -> None:
    from aggregators.handler import install

    real = install.mint_access_token

    def expired(**kwargs: Any) -> str:  # the install event hands over a token that has run out
        return real(**kwargs, seconds=-1)

    monkeypatch.setattr(install, "mint_access_token", expired)
    app, issued, _ = install_and_send(live_asgi, token)
    try:
        app.wait_for("installed")
        refreshed = app.wait_for("refreshed")
        assert refreshed["expires_in"] == 3600
        assert app.wait_for("registered")["answer"]["result"] is True
    finally:
        app.stop()
    # The refresh token it used was rotated: the one the installation gave no longer works.
    web = live_asgi.client()
    again = web.get(
        "/oauth/token/", params={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]}
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_unreachable_install_handler_leaves_no_live_grant(live_asgi, workspace, token) -> None:
    web = live_asgi.client(headers={"Authorization": f"Token {token}"})
    refused = web.post("/api/v1/tokens/apps", json={"name": "gone", "install_url": "http://127.0.0.1:9/none"})
    assert refused.status_code == 400 and "installation failed" in refused.json()["error"]
    assert not AppToken.objects.filter(workspace=workspace, name="gone", is_active=True).exists()
