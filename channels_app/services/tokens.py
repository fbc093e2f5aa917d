"""Workspace API keys: issued once in clear, listed by prefix only, revoked (never deleted).

Revoked keys stay listed so an admin can tell which key a log line or an old script used.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from channels_app.models import APIToken, Workspace


class TokenError(ValueError):
    pass


def list_api_tokens(*, workspace: Workspace) -> QuerySet[APIToken]:
    return APIToken.objects.filter(workspace=workspace).order_by("-is_active", "-created_on", "-id")


def issue_api_token(*, workspace: Workspace, user: Any = None, name: str) -> tuple[APIToken, str]:
    """A new key: the clear value is returned here and never stored, so show it once."""
    name = " ".join(name.split())
    if not name:
        raise TokenError("give the key a name, e.g. the system that will use it")
    if len(name) > 64:
        raise TokenError("a key name has at most 64 characters")
    return APIToken.issue(workspace=workspace, user=user, name=name)


def revoke_api_token(*, workspace: Workspace, token_id: int) -> APIToken:
    """Revoke one of the workspace's keys; another workspace's key is "not found"."""
    token = APIToken.objects.filter(workspace=workspace, id=token_id).first()
    if token is None:
        raise APIToken.DoesNotExist("no such API key")
    if token.is_active:
        token.is_active = False
        token.save(update_fields=["is_active"])
    return token
