"""Who is calling /rest/: an app's OAuth2-style access token or the workspace API token.

Access tokens are random, short-lived values stored hashed (AppAccessToken) and bound to the
app installation (AppToken row): nothing is signed with a server key, so knowing a workspace's id
gives nothing to forge. Revoking the installation revokes every token it was given. Each handler
call carries a valid one, as Bitrix does, so an app can always report statuses back; a process
reuses its token for an app until half its life is gone rather than writing a row per message.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from channels_app.models import APIToken, AppAccessToken, AppToken, Workspace
from channels_app.models.workspace import hash_token

SCOPE = "messageservice"
ACCESS_TOKEN_SECONDS = 3600
# Expired rows are kept this long (so "expired" can be told from "invalid"), then deleted.
EXPIRED_KEPT_SECONDS = 24 * 3600
_reuse_lock = threading.Lock()
_reused: dict[tuple[int, int | None], tuple[str, float]] = {}


class RestError(Exception):
    """A Bitrix-style error: `code` is the machine-readable name clients switch on."""

    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(f"{code}: {description}")
        self.code, self.description, self.status = code, description, status


@dataclass(frozen=True)
class Caller:
    workspace: Workspace
    app: AppToken | None  # None: the workspace API token, which sees every sender


def mint_access_token(*, workspace_id: int, app_id: int | None, seconds: int = ACCESS_TOKEN_SECONDS) -> str:
    """A new random access token for the installation (or the workspace when app_id is None)."""
    token = secrets.token_hex(32)
    now = timezone.now()
    AppAccessToken.objects.create(
        workspace_id=workspace_id,
        app_id=app_id or None,
        key_hash=hash_token(token),
        expires_on=now + timedelta(seconds=seconds),
    )
    AppAccessToken.objects.filter(
        workspace_id=workspace_id, expires_on__lt=now - timedelta(seconds=EXPIRED_KEPT_SECONDS)
    ).delete()
    return token


def reused_access_token(*, workspace_id: int, app_id: int | None) -> str | None:
    """This process's current token for the app while it has more than half its life left."""
    with _reuse_lock:
        cached = _reused.get((workspace_id, app_id or None))
    return cached[0] if cached and cached[1] > time.monotonic() else None


def handler_access_token(*, workspace_id: int, app_id: int | None) -> str:
    """The token a handler call carries: the reused one, or a new one kept for reuse."""
    token = reused_access_token(workspace_id=workspace_id, app_id=app_id)
    if token is not None:
        return token
    started = time.monotonic()
    token = mint_access_token(workspace_id=workspace_id, app_id=app_id)
    with _reuse_lock:
        _reused[(workspace_id, app_id or None)] = (token, started + ACCESS_TOKEN_SECONDS / 2)
    return token


def authenticate(token: str) -> Caller:
    token = (token or "").strip()
    if not token:
        raise RestError("NO_AUTH_FOUND", "Wrong authorization data", 401)
    hashed = hash_token(token)
    access = AppAccessToken.objects.filter(key_hash=hashed).select_related("workspace", "app").first()
    if access is not None:
        return _from_access_token(access)
    api_token = APIToken.objects.filter(key_hash=hashed, is_active=True).select_related("workspace").first()
    if api_token is None:
        raise RestError("invalid_token", "The access token provided is invalid.", 401)
    return Caller(workspace=api_token.workspace, app=None)


def _from_access_token(access: AppAccessToken) -> Caller:
    if access.expires_on <= timezone.now():
        raise RestError("expired_token", "The access token provided has expired.", 401)
    app = access.app
    if app is not None:
        if not app.is_active or app.workspace_id != access.workspace_id:
            raise RestError("invalid_token", "The access token provided is invalid.", 401)
        if SCOPE not in app.scopes:
            raise RestError(
                "insufficient_scope",
                "The request requires higher privileges than provided by the access token.",
                403,
            )
    return Caller(workspace=access.workspace, app=app)


def client_endpoint() -> str:
    return settings.FLOWGATE_BASE_URL.rstrip("/") + "/rest/"


def server_endpoint() -> str:
    """Our OAuth server's base, as Bitrix's auth[server_endpoint]; tokens refresh at
    <origin>/oauth/token/ (Bitrix: https://oauth.bitrix.info/rest/ and .../oauth/token/)."""
    return settings.FLOWGATE_BASE_URL.rstrip("/") + "/oauth/"


def domain() -> str:
    return urlsplit(settings.FLOWGATE_BASE_URL).netloc


def token_payload(app: AppToken, refresh_token: str) -> dict[str, Any]:
    """The OAuth answer an app stores: secrets appear here once and nowhere else."""
    return {
        "access_token": mint_access_token(workspace_id=app.workspace_id, app_id=app.id),
        "refresh_token": refresh_token,
        "expires_in": ACCESS_TOKEN_SECONDS,
        "scope": app.scope,
        "domain": domain(),
        "member_id": app.member_id,
        "application_token": app.plain_application_token,
        "client_endpoint": client_endpoint(),
        "server_endpoint": server_endpoint(),
    }


def refresh(*, refresh_token: str) -> dict[str, Any]:
    """Trade a refresh token for new tokens; the old refresh token stops working (rotation)."""
    app = AppToken.objects.filter(
        refresh_hash=hash_token((refresh_token or "").strip()), is_active=True
    ).first()
    if app is None:
        raise RestError("invalid_grant", "Invalid refresh token", 400)
    app.last_used_on = timezone.now()
    app.save(update_fields=["last_used_on"])
    return token_payload(app, app.rotate_refresh())
