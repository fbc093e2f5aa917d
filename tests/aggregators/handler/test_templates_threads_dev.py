"""Templates (send by code with params), reply threads, and the mock DV channel."""

from __future__ import annotations

from typing import Any

from django.test import Client

from channels_app.models import Msg
from channels_app.types.dev.jobs import deliver_due
from channels_app.workspaces import create_workspace
from tests.conftest import run_jobs


def _post(api: Any, path: str, body: dict[str, Any]) -> Any:
    return api.post(path, data=body, content_type="application/json")


def _dev_channel(api: Any, delay: int = 0) -> dict[str, Any]:
    response = _post(
        api, "/api/v1/channels", {"type": "DV", "name": "Mock", "config": {"delivery_delay": delay}}
    )
    assert response.status_code == 201, response.json()
    return response.json()


def _template(api: Any) -> dict[str, Any]:
    response = _post(
        api,
        "/api/v1/templates",
        {
            "code": "pong",
            "translations": {
                "eng": "Hi @name, your code is @params.code (@(upper(plan)))",
                "fra": "Salut @name",
            },
            "variables": {"name": None, "code": None, "plan": "basic"},
        },
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_send_by_template_code_with_params(api, workspace) -> None:
    channel = _dev_channel(api)
    template = _template(api)
    assert template["base_language"] == "eng"
    sent = _post(
        api,
        "/api/v1/messages",
        {
            "channel": channel["uuid"],
            "to": "+250788123123",
            "template": "pong",
            "params": {"name": "Ann", "code": 42},
        },
    )
    assert sent.status_code == 201, sent.json()
    assert sent.json()["text"] == "Hi Ann, your code is 42 (BASIC)"
    assert Msg.objects.get(uuid=sent.json()["uuid"]).metadata["template"]["code"] == "pong"
    french = _post(
        api,
        "/api/v1/messages",
        {"channel": channel["uuid"], "to": "+250788123123", "template": "pong", "language": "fra",
         "params": {"name": "Luc", "code": "1"}},
    )  # fmt: skip
    assert french.json()["text"] == "Salut Luc"
    preview = _post(
        api, "/api/v1/templates/pong/render", {"params": {"name": "A", "code": "B", "plan": "pro"}}
    )
    assert preview.json() == {"text": "Hi A, your code is B (PRO)"}


def test_missing_variable_is_a_clear_error_before_sending(api, workspace) -> None:
    channel = _dev_channel(api)
    _template(api)
    before = Msg.objects.count()
    for params, word in (({"name": "Ann"}, "code"), ({"name": "A", "code": "1", "colour": "x"}, "colour")):
        response = _post(
            api,
            "/api/v1/messages",
            {"channel": channel["uuid"], "to": "+250788123123", "template": "pong", "params": params},
        )
        assert response.status_code == 400 and word in response.json()["error"], response.json()
        assert word in response.json()["errors"]
    missing = _post(api, "/api/v1/messages", {"to": "+250788123123", "template": "nope"})
    assert missing.status_code == 400 and "nope" in missing.json()["error"]
    assert Msg.objects.count() == before

    # Templates that could never render are refused when saved.
    bad = _post(api, "/api/v1/templates", {"code": "bad", "translations": {"eng": "Hi @params.who"}})
    assert bad.status_code == 400 and "who" in str(bad.json()["errors"])
    dup = _post(api, "/api/v1/templates", {"code": "pong", "translations": {"eng": "x"}})
    assert dup.status_code == 400 and "code" in dup.json()["errors"]
    _, other_token = create_workspace(name="Other")
    assert Client(HTTP_AUTHORIZATION=f"Token {other_token}").get("/api/v1/templates/pong").status_code == 404


def test_reply_thread_and_mock_delivery(api, workspace) -> None:
    channel = _dev_channel(api, delay=0)
    inbound = Client().post(f"/c/dv/{channel['uuid']}/receive", {"from": "+250788123123", "text": "hi"})
    # The mock type takes no inbound webhook: inbound comes from the simulator or other channels.
    assert inbound.status_code == 404
    first = _post(
        api, "/api/v1/messages", {"channel": channel["uuid"], "to": "+250788123123", "text": "Q1?"}
    ).json()
    answer = _post(
        api,
        "/api/v1/messages",
        {
            "channel": channel["uuid"],
            "to": "+250788123123",
            "text": "follow-up",
            "response_to": first["uuid"],
        },
    ).json()
    assert answer["response_to"] == first["uuid"]
    thread = api.get(f"/api/v1/messages/{answer['uuid']}/thread").json()
    assert [m["uuid"] for m in thread] == [first["uuid"], answer["uuid"]]
    assert api.get(f"/api/v1/messages/{first['uuid']}/thread").json() == thread

    run_jobs()
    assert api.get(f"/api/v1/messages/{first['uuid']}").json()["status"] == "sent"
    assert deliver_due() == 2
    detail = api.get(f"/api/v1/messages/{first['uuid']}").json()
    assert detail["status"] == "delivered" and any(e["type"] == "dev_mock" for e in detail["events"])
    assert any(e["data"].get("recorded") for e in detail["events"] if e["type"] == "http")


def test_mock_delay_and_failures(api, workspace) -> None:
    channel = _dev_channel(api, delay=3600)
    msg = _post(
        api, "/api/v1/messages", {"channel": channel["uuid"], "to": "+250788123123", "text": "later"}
    ).json()
    run_jobs()
    assert deliver_due() == 0
    assert api.get(f"/api/v1/messages/{msg['uuid']}").json()["status"] == "sent"
    patched = api.patch(
        f"/api/v1/channels/{channel['uuid']}",
        data={"config": {"fail_prefix": "+999"}},
        content_type="application/json",
    )
    assert patched.status_code == 200
    failing = _post(
        api, "/api/v1/messages", {"channel": channel["uuid"], "to": "+99912345", "text": "x"}
    ).json()
    run_jobs()
    assert api.get(f"/api/v1/messages/{failing['uuid']}").json()["status"] == "failed"
