"""Bad input gets a clear 4xx, never a 500, and nothing accepted is lost."""

from __future__ import annotations

import uuid

import pytest

from channels_app.models import Msg
from channels_app.services.channels import create_channel
from channels_app.workspaces import create_workspace


def test_unknown_channel_is_404(client, ex_channel) -> None:
    response = client.post(f"/c/ex/{uuid.uuid4()}/receive", {"from": "+250788123123", "text": "hi"})
    assert response.status_code == 404
    assert "no active External API channel" in response.json()["error"]
    assert client.post(f"/c/nope/{ex_channel.uuid}/receive").status_code == 404
    assert client.post(f"/c/ex/{ex_channel.uuid}/explode").status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "no sender"}, "missing required field 'from'"),
        ({"from": "+250788123123", "text": "x", "date": "yesterday"}, "RFC 3339"),
        ({"from": "+250788123123", "text": "x", "date": "2012-13-45T99:00:00Z"}, "RFC 3339"),
        ({"from": "not a number!!", "text": "x"}, "not a valid phone number"),
    ],
)
def test_bad_receive_payloads_are_400(client, ex_channel, data, message) -> None:
    response = client.post(f"/c/ex/{ex_channel.uuid}/receive", data)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Msg.objects.exists()


def test_malformed_json_is_400(client, ex_channel) -> None:
    response = client.post(f"/c/ex/{ex_channel.uuid}/receive", "{not json", content_type="application/json")
    assert response.status_code == 400 and "invalid JSON" in response.json()["error"]
    response = client.post(f"/c/ex/{ex_channel.uuid}/receive", "[1, 2]", content_type="application/json")
    assert response.status_code == 400


def test_oversized_body_is_413(client, ex_channel, settings) -> None:
    big = "x" * (settings.FLOWGATE_MAX_BODY_BYTES + 1)
    response = client.post(f"/c/ex/{ex_channel.uuid}/receive", {"from": "+250788123123", "text": big})
    assert response.status_code == 413
    assert "too large" in response.json()["error"]


def test_status_for_unknown_message_is_400(client, ex_channel) -> None:
    for params in ({"id": "999999"}, {"id": "abc"}, {"uuid": "not-a-uuid"}, {"uuid": str(uuid.uuid4())}, {}):
        response = client.post(f"/c/ex/{ex_channel.uuid}/delivered", params)
        assert response.status_code == 400, params
        assert response.json()["error"]


def test_wrong_token_is_401(client, ex_channel) -> None:
    for header in ("Token nope", "Bearer nope", "Basic Zm9vOmJhcg==", ""):
        response = client.get("/api/v1/messages", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401
        assert response.json()["error"] == "missing or invalid API token"


def test_another_workspaces_objects_are_404(api, ex_channel) -> None:
    other, other_key = create_workspace(name="Other NGO")
    theirs = create_channel(
        workspace=other, type_code="EX", name="Theirs", config={"send_url": "http://127.0.0.1:9/send"}
    )
    from django.test import Client

    their_api = Client(HTTP_AUTHORIZATION=f"Token {other_key}")
    msg = their_api.post(
        "/api/v1/messages",
        {"channel": str(theirs.uuid), "to": "+250788123123", "text": "secret"},
        content_type="application/json",
    ).json()
    assert api.get(f"/api/v1/channels/{theirs.uuid}").status_code == 404
    assert api.get(f"/api/v1/messages/{msg['uuid']}").status_code == 404
    assert api.get(f"/api/v1/contacts/{msg['contact']}").status_code == 404
    assert (
        api.patch(
            f"/api/v1/channels/{theirs.uuid}", {"name": "mine"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        api.post(
            "/api/v1/messages",
            {"channel": str(theirs.uuid), "to": "+250788123123", "text": "x"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert [m["uuid"] for m in api.get("/api/v1/messages").json()] == []
    assert [c["uuid"] for c in api.get("/api/v1/channels").json()] == [str(ex_channel.uuid)]


def test_bad_api_payloads_are_400(api, ex_channel) -> None:
    response = api.post("/api/v1/messages", {"to": "+250788123123"}, content_type="application/json")
    assert response.status_code == 400 and "text" in response.json()["error"]
    response = api.post("/api/v1/messages", {"text": "x"}, content_type="application/json")
    assert response.status_code == 400
    response = api.post("/api/v1/messages", "{oops", content_type="application/json")
    assert response.status_code == 400
    response = api.post("/api/v1/channels", {"type": "ZZ", "name": "x"}, content_type="application/json")
    assert response.status_code == 400 and "unknown channel type" in response.json()["errors"]["type"]
    response = api.post(
        "/api/v1/channels",
        {
            "type": "EX",
            "name": "x",
            "config": {"send_url": "ftp://x", "method": "DELETE", "body": "{{nope}}", "bogus": 1},
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"send_url", "method", "bogus"}


def test_duplicate_inbound_posts_are_stored_once(client, ex_channel) -> None:
    data = {"from": "+250788123123", "text": "same again"}
    first = client.post(f"/c/ex/{ex_channel.uuid}/receive", data).json()
    second = client.post(f"/c/ex/{ex_channel.uuid}/receive", data).json()
    assert first["uuid"] == second["uuid"] and second["data"][0]["duplicate"] is True
    with_id = {"from": "+250788123123", "text": "retried later", "id": "agg-77"}
    third = client.post(f"/c/ex/{ex_channel.uuid}/receive", with_id).json()
    from channels_app import queue

    queue.connection().flushdb()  # the content window has passed: the external id still dedupes
    fourth = client.post(f"/c/ex/{ex_channel.uuid}/receive", with_id).json()
    assert third["uuid"] == fourth["uuid"]
    assert Msg.objects.filter(direction="in").count() == 2


def test_a_numeric_json_provider_id_dedupes_like_a_string(client, ex_channel) -> None:
    """Kills the mutation "External API receive drops integer JSON ids": a provider that sends
    its message id as a JSON number and retries must still get one message, not two."""
    from channels_app import queue

    url = f"/c/ex/{ex_channel.uuid}/receive"
    body = {"from": "+250788123123", "text": "numeric id", "id": 4711}
    first = client.post(url, body, content_type="application/json")
    assert first.status_code == 200, first.content
    assert first.json()["data"][0]["duplicate"] is False
    queue.connection().flushdb()  # past the content window: only the provider id can dedupe now
    retried = client.post(url, body, content_type="application/json")
    assert retried.status_code == 200, retried.content
    assert retried.json()["uuid"] == first.json()["uuid"]
    assert retried.json()["data"][0]["duplicate"] is True
    queue.connection().flushdb()
    as_text = client.post(url, {**body, "id": "4711"}, content_type="application/json")
    assert as_text.json()["uuid"] == first.json()["uuid"]  # 4711 and "4711" are one provider id
    (stored,) = Msg.objects.filter(direction="in")
    assert stored.external_id == "4711"


def test_flow_imports_may_exceed_the_webhook_body_limit(api, settings) -> None:
    import json
    from pathlib import Path

    padding = "x" * (settings.FLOWGATE_MAX_BODY_BYTES + 10)
    export = json.loads(
        (Path(__file__).parent.parent / "flows" / "fixtures" / "two_questions.json").read_text()
    )
    body = json.dumps({**export, "padding": padding})
    assert len(body) > settings.FLOWGATE_MAX_BODY_BYTES
    response = api.post("/api/v1/flows/import", body, content_type="application/json")
    assert response.status_code == 200, response.content  # judged on content, not size
    assert sorted(f["name"] for f in response.json()["flows"]) == ["Catch All", "Two Questions"]
    response = api.post("/api/v1/messages", '{"text": "' + padding + '"}', content_type="application/json")
    assert response.status_code == 413
