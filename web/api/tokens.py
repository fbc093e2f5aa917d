"""Tokens: the workspace API keys (listed, masked) and handler-app installations (OAuth-style)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from aggregators.handler.auth import token_payload
from channels_app.models import APIToken, AppToken
from web.api.common import get_or_404
from web.api.schemas import ErrorOut

router = Router(tags=["tokens"])


class AppTokenIn(Schema):
    name: str = "app"
    scope: str = "messageservice"


class AppTokenOut(Schema):
    uuid: str
    kind: str
    name: str
    scope: str
    masked: str
    is_active: bool
    created_on: datetime
    last_used_on: datetime | None


class IssuedAppTokenOut(AppTokenOut):
    access_token: str
    refresh_token: str
    expires_in: int
    application_token: str
    member_id: str
    domain: str
    client_endpoint: str
    server_endpoint: str


class APITokenOut(Schema):
    kind: str
    name: str
    masked: str
    is_active: bool
    created_on: datetime
    last_used_on: datetime | None


class TokenListOut(Schema):
    api: list[APITokenOut]
    apps: list[AppTokenOut]


def _app(app: AppToken) -> dict[str, Any]:
    return {
        "uuid": str(app.uuid),
        "kind": "app",
        "name": app.name,
        "scope": app.scope,
        "masked": f"{app.refresh_prefix}{'*' * 12}",
        "is_active": app.is_active,
        "created_on": app.created_on,
        "last_used_on": app.last_used_on,
    }


@router.get("", response=TokenListOut)
def list_tokens(request: HttpRequest) -> dict[str, Any]:
    workspace = request.workspace  # type: ignore[attr-defined]
    return {
        "api": [
            {
                "kind": "api",
                "name": t.name,
                "masked": t.masked,
                "is_active": t.is_active,
                "created_on": t.created_on,
                "last_used_on": t.last_used_on,
            }
            for t in APIToken.objects.filter(workspace=workspace).order_by("id")
        ],
        "apps": [_app(a) for a in AppToken.objects.filter(workspace=workspace).order_by("id")],
    }


@router.post("/apps", response={201: IssuedAppTokenOut, 400: ErrorOut})
def issue_app_token(request: HttpRequest, payload: AppTokenIn) -> Any:
    """Install a handler app: the answer holds its tokens, shown this once."""
    name, scope = payload.name.strip()[:64], " ".join(payload.scope.replace(",", " ").split())
    if not name or not scope or len(scope) > 255 or not (name + scope).isprintable():
        return 400, {"error": "give a name and a scope (e.g. messageservice)"}
    app, refresh = AppToken.issue(workspace=request.workspace, name=name, scope=scope)  # type: ignore[attr-defined]
    return 201, {**_app(app), **token_payload(app, refresh)}


@router.delete("/apps/{app_uuid}", response={204: None, 404: ErrorOut})
def revoke_app_token(request: HttpRequest, app_uuid: str) -> Any:
    """Revoking an app ends its access and refresh tokens at once."""
    app = get_or_404(AppToken, request, app_uuid, is_active=True)
    app.is_active = False
    app.save(update_fields=["is_active"])
    return 204, None
