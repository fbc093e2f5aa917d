"""API keys through the API: create (shown once), use, revoke by id or prefix, isolation."""

from __future__ import annotations

from django.test import Client

from tests.web.api.helpers import json_post, outsider_client


def test_create_use_and_revoke_api_keys(api, workspace) -> None:
    created = json_post(api, "/api/v1/tokens", {"name": "CRM sync"})
    assert created.status_code == 201, created.content
    issued = created.json()
    key = issued["key"]
    assert len(key) == 40 and issued["prefix"] == key[:6] and issued["is_active"] is True

    listed = [t for t in api.get("/api/v1/tokens").json()["api"] if t["id"] == issued["id"]]
    assert listed and "key" not in listed[0] and key not in str(api.get("/api/v1/tokens").content)
    crm = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert crm.get("/api/v1/contacts").status_code == 200

    assert api.delete(f"/api/v1/tokens/{issued['id']}").status_code == 204
    assert crm.get("/api/v1/contacts").status_code == 401
    assert [t for t in api.get("/api/v1/tokens").json()["api"] if t["id"] == issued["id"]][0][
        "is_active"
    ] is False

    second = json_post(api, "/api/v1/tokens", {"name": "Reports"}).json()
    assert api.delete(f"/api/v1/tokens/{second['prefix']}").status_code == 204
    assert Client(HTTP_AUTHORIZATION=f"Token {second['key']}").get("/api/v1/contacts").status_code == 401
    assert api.get("/api/v1/contacts").status_code == 200  # the caller's own key still works


def test_bad_token_requests(api, workspace) -> None:
    assert json_post(api, "/api/v1/tokens", {"name": "  "}).status_code == 400
    assert "at most 64" in json_post(api, "/api/v1/tokens", {"name": "k" * 65}).json()["error"]
    assert json_post(api, "/api/v1/tokens", {}).status_code == 400
    for ref in ["999999", "zzzzzz", "%C2%B2", "a" * 40]:
        assert api.delete(f"/api/v1/tokens/{ref}").status_code == 404, ref


def test_api_keys_are_isolated_between_workspaces(api, workspace) -> None:
    ours = json_post(api, "/api/v1/tokens", {"name": "Ours"}).json()
    outsider = outsider_client()
    assert outsider.delete(f"/api/v1/tokens/{ours['id']}").status_code == 404
    assert outsider.delete(f"/api/v1/tokens/{ours['prefix']}").status_code == 404
    assert all(t["id"] != ours["id"] for t in outsider.get("/api/v1/tokens").json()["api"])
    assert Client(HTTP_AUTHORIZATION=f"Token {ours['key']}").get("/api/v1/contacts").status_code == 200
