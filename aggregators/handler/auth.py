"""Who is calling /rest/: an app's OAuth2-style access token or the workspace API token.

Access tokens are signed, short-lived values naming the workspace and the app installation
(AppToken row); revoking the installation revokes every token it was given. Each handler call
carries a freshly minted one, as Bitrix does, so an app can always report statuses back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.utils import timezone

from channels_app.models import APIToken, AppToken, Workspace
from channels_app.models.workspace import hash_token

SCOPE = "messageservice"
ACCESS_TOKEN_SECONDS = 3600
_SALT = "flowgate.handler.access"


class RestError(Exception):
    """A Bitrix-style error: `code` is the machine-readable name clients switch on."""

    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(f"{code}: {description}")
        self.code, self.description, self.status = code, description, status


@dataclass(frozen=True)
class Caller:
    workspace: Workspace
    app: AppToken | None  # None: the workspace API token, which sees every sender


def mint_access_token(*, workspace_id: int, app_id: int | None) -> str:
    return signing.TimestampSigner(salt=_SALT).sign_object({"w": workspace_id, "a": app_id or 0})


def authenticate(token: str) -> Caller:
    token = (token or "").strip()
    if not token:
        raise RestError("NO_AUTH_FOUND", "Wrong authorization data", 401)
    if ":" in token:
        return _from_access_token(token)
    api_token = (
        APIToken.objects.filter(key_hash=hash_token(token), is_active=True)
        .select_related("workspace")
        .first()
    )
    if api_token is None:
        raise RestError("invalid_token", "The access token provided is invalid.", 401)
    return Caller(workspace=api_token.workspace, app=None)


def _from_access_token(token: str) -> Caller:
    try:
        payload = signing.TimestampSigner(salt=_SALT).unsign_object(token, max_age=ACCESS_TOKEN_SECONDS)
    except signing.SignatureExpired:
        raise RestError("expired_token", "The access token provided has expired.", 401) from None
    except (signing.BadSignature, ValueError):
        raise RestError("invalid_token", "The access token provided is invalid.", 401) from None
    if not isinstance(payload, dict):
        raise RestError("invalid_token", "The access token provided is invalid.", 401)
    workspace_id = payload.get("w")
    if not isinstance(workspace_id, int):
        raise RestError("invalid_token", "The access token provided is invalid.", 401)
    workspace = Workspace.objects.filter(id=workspace_id).first()
    if workspace is None:
        raise RestError("invalid_token", "The access token provided is invalid.", 401)
    app = None
    if payload.get("a"):
        app = AppToken.objects.filter(id=payload["a"], workspace=workspace, is_active=True).first()
        if app is None:
            raise RestError("invalid_token", "The access token provided is invalid.", 401)
        if SCOPE not in app.scopes:
            raise RestError(
                "insufficient_scope",
                "The request requires higher privileges than provided by the access token.",
                403,
            )
    return Caller(workspace=workspace, app=app)


def client_endpoint() -> str:
    return settings.FLOWGATE_BASE_URL.rstrip("/") + "/rest/"


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
        "server_endpoint": settings.FLOWGATE_BASE_URL.rstrip("/") + "/oauth/",
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
