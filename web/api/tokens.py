"""Tokens: the workspace API keys (listed, masked) and handler-app installations (OAuth-style)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Router, Schema

from aggregators.handler.auth import token_payload
from channels_app.models import APIToken, AppToken
from channels_app.services import tokens as token_service
from web.api.common import get_or_404
from web.api.schemas import ErrorOut
from web.requests import WorkspaceRequest

router = Router(tags=["tokens"])


class AppTokenIn(Schema):
    name: str = "app"
    scope: str = "messageservice"
    # The app's event handler: it receives Bitrix's ONAPPINSTALL event with its tokens.
    install_url: str = ""


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
    id: int
    prefix: str
    kind: str
    name: str
    masked: str
    is_active: bool
    created_on: datetime
    last_used_on: datetime | None


class APITokenIn(Schema):
    name: str  # what will use the key, e.g. "CRM sync"


class IssuedAPITokenOut(APITokenOut):
    key: str  # the key in clear: shown in this answer only


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


def _api(token: APIToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "prefix": token.prefix,
        "kind": "api",
        "name": token.name,
        "masked": token.masked,
        "is_active": token.is_active,
        "created_on": token.created_on,
        "last_used_on": token.last_used_on,
    }


@router.get("", response=TokenListOut)
def list_tokens(request: WorkspaceRequest) -> dict[str, Any]:
    workspace = request.workspace
    return {
        "api": [_api(t) for t in APIToken.objects.filter(workspace=workspace).order_by("id")],
        "apps": [_app(a) for a in AppToken.objects.filter(workspace=workspace).order_by("id")],
    }


@router.post("/apps", response={201: IssuedAppTokenOut, 400: ErrorOut})
def issue_app_token(request: WorkspaceRequest, payload: AppTokenIn) -> Any:
    """Install a handler app: the answer holds its tokens, shown this once."""
    name, scope = payload.name.strip()[:64], " ".join(payload.scope.replace(",", " ").split())
    if not name or not scope or len(scope) > 255 or not (name + scope).isprintable():
        return 400, {"error": "give a name and a scope (e.g. messageservice)"}
    app, refresh = AppToken.issue(workspace=request.workspace, name=name, scope=scope)
    if payload.install_url:
        from aggregators.handler.install import InstallFailed, send_install_event

        try:
            send_install_event(app, url=payload.install_url.strip(), refresh_token=refresh)
        except InstallFailed as exc:
            app.is_active = False  # a half-done installation leaves no live grant behind
            app.save(update_fields=["is_active"])
            return 400, {"error": f"installation failed: {exc}"}
    return 201, {**_app(app), **token_payload(app, refresh)}


@router.delete("/apps/{app_uuid}", response={204: None, 404: ErrorOut})
def revoke_app_token(request: WorkspaceRequest, app_uuid: str) -> Any:
    """Revoking an app ends its access and refresh tokens at once."""
    app = get_or_404(AppToken, request, app_uuid, is_active=True)
    app.is_active = False
    app.save(update_fields=["is_active"])
    return 204, None


@router.post(
    "",
    response={201: IssuedAPITokenOut, 400: ErrorOut},
    summary="Create an API key",
    description="The answer holds the key in clear, this once: only its hash is stored.",
)
def issue_api_token(request: WorkspaceRequest, payload: APITokenIn) -> Any:
    auth = getattr(request, "auth", None)
    # a session's user, or the owner of the key making this call
    user = auth if getattr(auth, "is_authenticated", False) is True else getattr(auth, "user", None)
    try:
        token, key = token_service.issue_api_token(workspace=request.workspace, user=user, name=payload.name)
    except token_service.TokenError as exc:
        return 400, {"error": str(exc)}
    return 201, {**_api(token), "key": key}


@router.delete(
    "/{token_ref}",
    response={204: None, 400: ErrorOut, 404: ErrorOut},
    summary="Revoke an API key",
    description="By its `id` or its `prefix` (the first 6 characters; an id wins when both match). "
    "Revoked keys stay listed, inactive; revoking the key making the call is allowed.",
)
def revoke_api_token(request: WorkspaceRequest, token_ref: str) -> Any:
    workspace = request.workspace
    ref = token_ref.strip()
    token = None
    if ref.isascii() and ref.isdigit() and len(ref) < 19:
        token = APIToken.objects.filter(workspace=workspace, id=int(ref)).first()
    if token is None and ref.isascii() and ref.isalnum() and len(ref) <= 8:
        matches = list(APIToken.objects.filter(workspace=workspace, prefix=ref)[:2])
        if len(matches) > 1:
            return 400, {"error": "several keys start with that prefix: revoke by id"}
        token = matches[0] if matches else None
    if token is None:
        return 404, {"error": "API key not found"}
    token_service.revoke_api_token(workspace=workspace, token_id=token.id)
    return 204, None
