"""Every form POST of the UI, and the API when called with the login session, needs the CSRF token.

Routes are enumerated from the URL resolver and the OpenAPI schema; the CSRF check runs before
any view, so parameter values need not name real objects.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.test_tenant_isolation import api_operations, url_patterns

# Views without the check, each for a reason: none of them reads the login session.
CSRF_EXEMPT = {
    "c/<slug:type_slug>/<uuid:channel_uuid>/<slug:action>": "provider webhooks, public by design",
    "c/<slug:type_slug>/<uuid:channel_uuid>/<slug:action>/": "the same webhooks, courier's spelling",
    "rest/<str:method>": "handler apps authenticate with a token in the request",
    "oauth/token/": "handler apps exchange a refresh token",
    "demo/aggregator/send": "the demo aggregator plays a provider",
}
SAMPLE = {"string": "sample", "slug": "sample", "int": "1", "path": "sample"}


def sample_kwargs(pattern: Any) -> dict[str, str]:
    kwargs = {}
    for name, converter in pattern.pattern.converters.items():
        kind = type(converter).__name__.removesuffix("Converter").lower()
        kwargs[name] = str(uuid.uuid4()) if kind == "uuid" else SAMPLE[kind]
    return kwargs


@pytest.fixture
def strict_session(workspace: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="admin@test.org", password="secret-pass")
    return client


def test_every_form_post_without_csrf_token_is_403(strict_session: Client) -> None:
    failures, tried = [], 0
    for route, pattern in url_patterns():
        if route in CSRF_EXEMPT:
            continue
        url = reverse(pattern.name, kwargs=sample_kwargs(pattern)) if pattern.name else "/" + route
        response = strict_session.post(url, {"name": "x"})
        tried += 1
        if response.status_code != 403:
            failures.append(f"POST {url}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert tried >= 30


def test_exempt_routes_ignore_the_session(strict_session: Client, workspace: Any) -> None:
    """Exempt views must not act for the logged-in user (else they would be CSRF holes)."""
    assert set(CSRF_EXEMPT) <= {route for route, _ in url_patterns()}
    response = strict_session.post("/rest/messageservice.sender.list")
    assert response.status_code == 401 and "result" not in response.json()
    response = strict_session.post("/oauth/token/", {"grant_type": "refresh_token"})
    assert response.status_code == 400 and "access_token" not in response.json(), response.content
    response = strict_session.post(f"/c/ex/{uuid.uuid4()}/receive", {"from": "+250788123123", "text": "hi"})
    assert response.status_code == 404


def test_session_api_writes_need_the_csrf_token(strict_session: Client) -> None:
    failures, tried = [], 0
    for path, method, op in api_operations():
        if method in ("get", "head", "options"):
            continue
        values = {p["name"]: str(uuid.uuid4()) for p in op.get("parameters", []) if p["in"] == "path"}
        url = path.format(**values)
        response = strict_session.generic(method.upper(), url, "{}", content_type="application/json")
        tried += 1
        if response.status_code != 403 or "CSRF" not in response.json().get("error", ""):
            failures.append(f"{method.upper()} {url}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert tried >= 25


def test_session_api_write_with_the_csrf_token_works(strict_session: Client) -> None:
    strict_session.get("/contacts/")  # the page sets the csrftoken cookie
    csrf = strict_session.cookies["csrftoken"].value
    response = strict_session.post(
        "/api/v1/groups",
        json.dumps({"name": "Volunteers"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert response.status_code == 201, response.content
    # and a token-authenticated call needs none: it carries no ambient credentials
    _, key = _other_token()
    response = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {key}").post(
        "/api/v1/groups", json.dumps({"name": "Donors"}), content_type="application/json"
    )
    assert response.status_code == 201, response.content


def _other_token() -> tuple[Any, str]:
    from channels_app.workspaces import create_workspace

    return create_workspace(name="Token NGO", email="token@test.org", password="secret-pass")
