from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import APIKeyHeader
from ninja.utils import check_csrf

from channels_app.models import APIToken
from channels_app.models.workspace import hash_token
from web import permissions
from web.requests import admit


def _check_role(request: HttpRequest, role: str | None) -> None:
    missing = permissions.check(role=role, method=request.method or "GET", path=request.path)
    if missing is not None:
        raise HttpError(
            403, f"your role ({role or 'none'}) may not do this: it needs the {missing!r} permission"
        )


class TokenAuth(APIKeyHeader):
    """`Authorization: Token <key>` (or `Bearer <key>`); the request gets `.workspace`."""

    param_name = "Authorization"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not key:
            return None
        scheme, _, value = key.partition(" ")
        if scheme.lower() not in ("token", "bearer") or not value.strip():
            return None
        token = (
            APIToken.objects.filter(key_hash=hash_token(value.strip()), is_active=True)
            .select_related("workspace")
            .first()
        )
        if token is None:
            return None
        now = timezone.now()
        if token.last_used_on is None or (now - token.last_used_on).total_seconds() > 60:
            APIToken.objects.filter(id=token.id).update(last_used_on=now)
        admit(request, token.workspace)
        _check_role(request, permissions.token_role(token))
        return token


class SessionOrToken(TokenAuth):
    """Lets the web UI's own JavaScript call the API with the login session.

    A token in the Authorization header wins; the session is used only without one, and then
    unsafe methods must carry the CSRF token, or any site could act as the logged-in user.
    """

    def __call__(self, request: HttpRequest) -> Any:
        if request.headers.get("Authorization"):
            return super().__call__(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if request.method not in ("GET", "HEAD", "OPTIONS") and check_csrf(request) is not None:
                raise HttpError(
                    403, "CSRF check failed: send the X-CSRFToken header from the csrftoken cookie"
                )
            from web.requests import current_workspace

            workspace = current_workspace(request)
            if workspace is not None:
                admit(request, workspace)
                _check_role(request, permissions.role_of(user=user, workspace=workspace))
                return user
        return super().__call__(request)
