from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command

from channels_app.models import APIToken, Workspace


def test_createworkspace_prints_workspace_and_working_token(transactional_db, client) -> None:
    out = StringIO()
    call_command("createworkspace", "Acme Health", "--email", "ops@acme.org", "--password", "pw", stdout=out)
    printed = json.loads(out.getvalue())
    workspace = Workspace.objects.get(uuid=printed["workspace"])
    assert workspace.name == "Acme Health"
    assert APIToken.objects.get(workspace=workspace).key_hash != printed["token"]  # only the hash is stored
    response = client.get("/api/v1/channels", HTTP_AUTHORIZATION=f"Token {printed['token']}")
    assert response.status_code == 200 and response.json() == []
    assert client.login(username="ops@acme.org", password="pw")


def test_channel_crud_masks_secrets(api, aggregator) -> None:
    response = api.post(
        "/api/v1/channels",
        {
            "type": "EX",
            "name": "Provider",
            "address": "+250788000000",
            "country": "rw",
            "config": {
                "send_url": f"{aggregator.url}/send",
                "send_authorization": "Bearer s3cret-value",
                "content_type": "json",
            },
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    channel = response.json()
    assert channel["country"] == "RW"
    assert channel["config"]["send_authorization"] == "********"
    assert "s3cret-value" not in response.content.decode()
    assert channel["urls"]["receive"].endswith(f"/c/ex/{channel['uuid']}/receive")
    assert set(channel["urls"]) == {"receive", "sent", "delivered", "failed", "stopped"}

    # Sending the mask back keeps the stored secret.
    response = api.patch(
        f"/api/v1/channels/{channel['uuid']}",
        {"name": "Renamed", "config": {"send_authorization": "********"}},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["name"] == "Renamed"
    from channels_app.crypto import decrypt
    from channels_app.models import Channel

    stored = Channel.objects.get(uuid=channel["uuid"]).config["send_authorization"]
    assert stored.startswith("enc:v1:") and decrypt(stored) == "Bearer s3cret-value"
    listed = api.get("/api/v1/channels").json()
    assert [c["name"] for c in listed] == ["Renamed"]
    assert api.delete(f"/api/v1/channels/{channel['uuid']}").status_code == 204
    assert api.get("/api/v1/channels").json() == []


def test_json_channel_posts_default_json_body_with_auth(api, aggregator) -> None:
    from tests.conftest import run_jobs

    channel = api.post(
        "/api/v1/channels",
        {
            "type": "EX",
            "name": "JSON",
            "address": "+5582999489287",
            "config": {
                "send_url": f"{aggregator.url}/send",
                "send_authorization": "Bearer abc",
                "content_type": "json",
                "headers": {"X-Account": "42"},
            },
        },
        content_type="application/json",
    ).json()
    msg = api.post(
        "/api/v1/messages",
        {"channel": channel["uuid"], "to": "tel:+250788123123", "text": 'Love is "patient"'},
        content_type="application/json",
    ).json()
    run_jobs()
    request = aggregator.requests[0]
    assert request.headers["Authorization"] == "Bearer abc" and request.headers["X-Account"] == "42"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {
        "id": msg["id"],
        "text": 'Love is "patient"',
        "to": "+250788123123",
        "to_no_plus": "250788123123",
        "from": "+5582999489287",
        "from_no_plus": "5582999489287",
        "channel": channel["uuid"],
    }
    detail = api.get(f"/api/v1/messages/{msg['uuid']}").json()
    http_events = [e for e in detail["events"] if e["type"] == "http"]
    assert http_events and "abc" not in json.dumps(http_events)


def test_message_list_filters(api, ex_channel, client) -> None:
    client.post(f"/c/ex/{ex_channel.uuid}/receive", {"from": "+250788123123", "text": "in one"})
    api.post("/api/v1/messages", {"to": "+250788123123", "text": "out one"}, content_type="application/json")
    assert [m["text"] for m in api.get("/api/v1/messages?direction=in").json()] == ["in one"]
    assert [m["text"] for m in api.get("/api/v1/messages?direction=out").json()] == ["out one"]
    assert len(api.get(f"/api/v1/messages?channel={ex_channel.uuid}").json()) == 2
    assert api.get("/api/v1/messages?channel=not-a-uuid").json() == []


def test_openapi_is_published(client, transactional_db) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/messages" in spec["paths"] and "/api/v1/channels" in spec["paths"]


def test_ui_login_and_add_channel_form(client, workspace, aggregator) -> None:
    assert client.get("/channels/").status_code == 302
    assert client.login(username="admin@test.org", password="secret-pass")
    page = client.get("/channels/add/EX/").content.decode()
    for field in ("config_send_url", "config_method", "config_send_authorization", "config_max_length"):
        assert f'name="{field}"' in page
    response = client.post(
        "/channels/add/EX/",
        {
            "name": "",
            "config_send_url": "nope",
            "config_method": "POST",
            "config_content_type": "json",
            "config_max_length": "160",
            "config_encoding": "default",
            "config_scheme": "tel",
        },
    )
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    response = client.post(
        "/channels/add/EX/",
        {
            "name": "From the form",
            "country": "RW",
            "config_send_url": f"{aggregator.url}/send",
            "config_method": "POST",
            "config_content_type": "json",
            "config_max_length": "160",
            "config_encoding": "smart",
            "config_scheme": "tel",
            "config_send_authorization": "hidden-key",
            "config_max_tps": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    detail = client.get(response["Location"]).content.decode()
    assert "From the form" in detail and "hidden-key" not in detail and "/receive" in detail
    log = client.get("/messages/").content.decode()
    assert 'id="msg-log"' in log


def test_login_is_rate_limited_per_account_and_address(client, workspace) -> None:
    for _ in range(5):
        response = client.post("/login/", {"username": "admin@test.org", "password": "wrong"})
        assert response.status_code == 200 and "Wrong email or password" in response.content.decode()
    response = client.post("/login/", {"username": "admin@test.org", "password": "secret-pass"})
    assert response.status_code == 429 and response["Retry-After"] == "300"
    assert "Too many failed attempts" in response.content.decode()
    # another account from the same address is not locked out
    from channels_app.workspaces import create_workspace

    create_workspace(name="Other", email="other@test.org", password="pw")
    assert client.post("/login/", {"username": "other@test.org", "password": "pw"}).status_code == 302


def test_ui_forms_require_csrf(workspace) -> None:
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert (
        strict.post("/login/", {"username": "admin@test.org", "password": "secret-pass"}).status_code == 403
    )
    assert strict.login(username="admin@test.org", password="secret-pass")
    response = strict.post(
        "/api/v1/messages", {"to": "+250788123123", "text": "x"}, content_type="application/json"
    )
    assert response.status_code == 403 and "CSRF" in response.json()["error"]


def test_api_rate_limit_per_token_answers_429_with_retry_after(api, settings, workspace) -> None:
    settings.FLOWGATE_API_RATE = "3/m"
    assert [api.get("/api/v1/channels").status_code for _ in range(3)] == [200, 200, 200]
    response = api.get("/api/v1/channels")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    # another token has its own budget
    from django.test import Client

    from channels_app.models import APIToken

    _, key = APIToken.issue(workspace=workspace, name="second")
    assert Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/channels").status_code == 200


def test_message_list_cursor_pages_are_stable(api, ex_channel, client) -> None:
    for n in range(5):
        client.post(f"/c/ex/{ex_channel.uuid}/receive", {"from": "+250788123123", "text": f"m{n}"})
    first = api.get("/api/v1/messages?limit=2")
    assert [m["text"] for m in first.json()] == ["m4", "m3"]
    client.post(f"/c/ex/{ex_channel.uuid}/receive", {"from": "+250788123123", "text": "newer"})
    second = api.get(f"/api/v1/messages?limit=2&cursor={first['X-Next-Cursor']}")
    assert [m["text"] for m in second.json()] == ["m2", "m1"]  # the new message does not shift pages
    last = api.get(f"/api/v1/messages?limit=2&cursor={second['X-Next-Cursor']}")
    assert [m["text"] for m in last.json()] == ["m0"] and "X-Next-Cursor" not in last
    assert api.get("/api/v1/messages?cursor=abc").status_code == 400
