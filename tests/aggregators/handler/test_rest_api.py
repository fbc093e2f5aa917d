"""The message-service REST methods: envelopes, Bitrix error codes, tokens, isolation."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from aggregators.handler import auth
from channels_app.models import AppToken, Channel, Msg
from channels_app.services.send import queue_message
from channels_app.workspaces import create_workspace
from tests.aggregators.handler.helpers import rest

HANDLER = "http://127.0.0.1:9/handler"


def _add(client: Client, token: str, code: str = "fastsms", **extra: Any) -> Any:
    params = {"CODE": code, "TYPE": "SMS", "HANDLER": HANDLER, "NAME": "Provider FastSms", **extra}
    return rest(client, "messageservice.sender.add", token, **params)


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    body = response.json()
    assert response.status_code == status, body
    assert body["error"] == code, body
    assert body["error_description"], body
    assert "result" not in body
    return body


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def hx_msg(client: Client, token: str) -> tuple[Channel, Msg]:
    assert _add(client, token).json()["result"] is True
    channel = Channel.objects.get(channel_type="HX", config__code="fastsms")
    return channel, queue_message(channel=channel, to="+250788123123", text="hi")


def test_sender_add_list_update_delete(client, token, workspace) -> None:
    response = _add(client, token, **{"DESCRIPTION[en]": "Fast", "DESCRIPTION[fr]": "Rapide"})
    body = response.json()
    assert response.status_code == 200 and body["result"] is True
    assert {"start", "finish", "duration", "processing", "date_start", "date_finish"} <= set(body["time"])
    channel = Channel.objects.get(workspace=workspace, channel_type="HX")
    assert channel.name == "Provider FastSms"
    assert channel.config["description"] == {"en": "Fast", "fr": "Rapide"}

    # JSON bodies and a Bearer header work as well as forms and auth=.
    response = client.post(
        "/rest/messageservice.sender.add.json",
        data={"code": "second", "type": "SMS", "handler": HANDLER, "name": {"en": "Second", "de": "Zweite"}},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.json()["result"] is True, response.json()
    assert rest(client, "messageservice.sender.list", token).json()["result"] == ["fastsms", "second"]

    assert rest(client, "messageservice.sender.update", token, CODE="second", HANDLER=HANDLER + "2").json()[
        "result"
    ]
    assert Channel.objects.get(config__code="second").config["handler"] == HANDLER + "2"
    assert rest(client, "messageservice.sender.delete", token, CODE="second").json()["result"] is True
    assert rest(client, "messageservice.sender.list", token).json()["result"] == ["fastsms"]
    # Deleted senders can be installed again.
    assert _add(client, token, code="second").json()["result"] is True


def test_sender_validation_errors(client, token) -> None:
    _error(rest(client, "messageservice.sender.add", token, CODE="x", TYPE="SMS", NAME="n"), 400,
           "ERROR_SENDER_VALIDATION_FAILURE")  # fmt: skip
    assert (
        "HANDLER"
        in rest(client, "messageservice.sender.add", token, CODE="x", NAME="n").json()["error_description"]
    )
    _error(_add(client, token, code="bad code!"), 400, "ERROR_SENDER_VALIDATION_FAILURE")
    _error(_add(client, token, code=""), 400, "ERROR_SENDER_VALIDATION_FAILURE")
    _error(_add(client, token, TYPE="CALL"), 400, "ERROR_SENDER_VALIDATION_FAILURE")
    _error(_add(client, token, HANDLER="ftp://x"), 400, "ERROR_SENDER_VALIDATION_FAILURE")
    _error(_add(client, token, NAME=""), 400, "ERROR_SENDER_VALIDATION_FAILURE")
    assert _add(client, token).json()["result"] is True
    _error(_add(client, token), 400, "ERROR_SENDER_ALREADY_INSTALLED")
    _error(rest(client, "messageservice.sender.update", token, CODE="nope"), 400, "ERROR_SENDER_NOT_FOUND")
    _error(rest(client, "messageservice.sender.delete", token, CODE="nope"), 400, "ERROR_SENDER_NOT_FOUND")
    _error(rest(client, "messageservice.sender.nothing", token), 404, "ERROR_METHOD_NOT_FOUND")
    bad_json = client.post(
        "/rest/messageservice.sender.list", data="{", content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    _error(bad_json, 400, "INVALID_REQUEST")


def test_status_update_errors(client, token, hx_msg) -> None:
    channel, msg = hx_msg
    _error(
        rest(client, "messageservice.message.status.update", token, CODE="fastsms", MESSAGE_ID=msg.uuid.hex,
             STATUS="read"),
        400, "ERROR_MESSAGE_STATUS_INCORRECT",
    )  # fmt: skip
    _error(
        rest(client, "messageservice.message.status.update", token, CODE="unknown", MESSAGE_ID=msg.uuid.hex,
             STATUS="delivered"),
        400, "ERROR_SENDER_NOT_FOUND",
    )  # fmt: skip
    _error(
        rest(client, "messageservice.message.status.update", token, CODE="fastsms", MESSAGE_ID="0" * 32,
             STATUS="delivered"),
        400, "ERROR_MESSAGE_NOT_FOUND",
    )  # fmt: skip
    msg.refresh_from_db()
    assert msg.status == "queued"
    # Lower-case names, as in Bitrix's own PHP example, work too.
    ok = rest(client, "messageservice.message.status.update", token, code="fastsms", message_id=msg.uuid.hex,
              status="undelivered")  # fmt: skip
    assert ok.json()["result"] is True
    msg.refresh_from_db()
    assert msg.status == "failed" and msg.error == "undelivered"


def test_wrong_missing_expired_token_and_scope(client, token, workspace, monkeypatch) -> None:
    _error(rest(client, "messageservice.sender.list", "not-a-token"), 401, "invalid_token")
    _error(rest(client, "messageservice.sender.list", "1:2:3"), 401, "invalid_token")
    _error(rest(client, "messageservice.sender.list"), 401, "NO_AUTH_FOUND")
    _error(
        client.post("/rest/messageservice.sender.list", HTTP_AUTHORIZATION="Bearer " + token[:-1] + "x"),
        401, "invalid_token",
    )  # fmt: skip

    app, _ = AppToken.issue(workspace=workspace, name="crm only", scope="crm")
    narrow = auth.mint_access_token(workspace_id=workspace.id, app_id=app.id)
    _error(rest(client, "messageservice.sender.list", narrow), 403, "insufficient_scope")

    app, _ = AppToken.issue(workspace=workspace)
    old = auth.mint_access_token(workspace_id=workspace.id, app_id=app.id, seconds=-1)
    _error(rest(client, "messageservice.sender.list", old), 401, "expired_token")

    fresh = auth.mint_access_token(workspace_id=workspace.id, app_id=app.id)
    assert rest(client, "messageservice.sender.list", fresh).json()["result"] == []
    app.is_active = False
    app.save()
    _error(rest(client, "messageservice.sender.list", fresh), 401, "invalid_token")


def test_another_workspaces_sender_is_not_found(client, token, hx_msg) -> None:
    channel, msg = hx_msg
    _, other_token = create_workspace(name="Other NGO")
    assert rest(client, "messageservice.sender.list", other_token).json()["result"] == []
    for method, extra in [
        ("messageservice.sender.update", {"HANDLER": "http://127.0.0.1:9/stolen"}),
        ("messageservice.sender.delete", {}),
        ("messageservice.message.status.update", {"MESSAGE_ID": msg.uuid.hex, "STATUS": "delivered"}),
    ]:
        _error(rest(client, method, other_token, CODE="fastsms", **extra), 400, "ERROR_SENDER_NOT_FOUND")
    # The other workspace may use the same CODE for its own sender, without touching ours.
    assert _add(client, other_token).json()["result"] is True
    _error(
        rest(client, "messageservice.message.status.update", other_token, CODE="fastsms",
             MESSAGE_ID=msg.uuid.hex, STATUS="delivered"),
        400, "ERROR_MESSAGE_NOT_FOUND",
    )  # fmt: skip
    channel.refresh_from_db()
    msg.refresh_from_db()
    assert channel.is_active and channel.config["handler"] == HANDLER and msg.status == "queued"


def test_apps_see_only_their_own_senders_and_refresh_rotates(client, token, workspace, api) -> None:
    issued = api.post("/api/v1/tokens/apps", data={"name": "app one"}, content_type="application/json").json()
    other = api.post("/api/v1/tokens/apps", data={"name": "app two"}, content_type="application/json").json()
    assert _add(client, issued["access_token"], code="one").json()["result"] is True
    assert _add(client, other["access_token"], code="two").json()["result"] is True
    assert rest(client, "messageservice.sender.list", issued["access_token"]).json()["result"] == ["one"]
    assert rest(client, "messageservice.sender.list", token).json()["result"] == ["one", "two"]
    _error(rest(client, "messageservice.sender.delete", issued["access_token"], CODE="two"), 400,
           "ERROR_SENDER_NOT_FOUND")  # fmt: skip

    refreshed = client.post(
        "/oauth/token/", data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]}
    ).json()
    assert (
        refreshed["refresh_token"] != issued["refresh_token"]
        and refreshed["member_id"] == issued["member_id"]
    )
    assert rest(client, "messageservice.sender.list", refreshed["access_token"]).json()["result"] == ["one"]
    reused = client.post(
        "/oauth/token/", data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]}
    )
    _error(reused, 400, "invalid_grant")
    _error(client.post("/oauth/token/", data={"grant_type": "password"}), 400, "unsupported_grant_type")

    listing = api.get("/api/v1/tokens").json()
    assert [a["name"] for a in listing["apps"]] == ["app one", "app two"]
    assert issued["refresh_token"] not in str(listing) and token not in str(listing)
    assert api.delete(f"/api/v1/tokens/apps/{issued['uuid']}").status_code == 204
    _error(rest(client, "messageservice.sender.list", refreshed["access_token"]), 401, "invalid_token")
    # Another workspace cannot revoke ours.
    _, other_ws_token = create_workspace(name="Other")
    outsider = Client(HTTP_AUTHORIZATION=f"Token {other_ws_token}")
    assert outsider.delete(f"/api/v1/tokens/apps/{other['uuid']}").status_code == 404


def test_channel_api_edits_keep_the_code(api, client, token) -> None:
    assert _add(client, token).json()["result"] is True
    channel = Channel.objects.get(channel_type="HX")
    response = api.patch(
        f"/api/v1/channels/{channel.uuid}",
        data={"config": {"code": "other"}},
        content_type="application/json",
    )
    assert response.status_code == 400 and "code" in response.json()["errors"]
    response = api.patch(
        f"/api/v1/channels/{channel.uuid}",
        data={"config": {"handler": HANDLER + "/v2"}},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["config"]["handler"] == HANDLER + "/v2"
    created = api.post(
        "/api/v1/channels", data={"type": "HX", "name": "x", "config": {}}, content_type="application/json"
    )
    assert created.status_code == 400


def test_nul_characters_are_a_clear_400(client, token, api) -> None:
    _error(_add(client, token, NAME="bad\x00name"), 400, "INVALID_REQUEST")
    response = api.post("/api/v1/tokens/apps", data={"name": "a\x00b"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]
