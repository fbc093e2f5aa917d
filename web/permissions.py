"""Who may do what: the one place roles are decided, for the UI (RoleMiddleware) and the API
(web.api.auth calls `check`).

Reading is open to every member. A change (any unsafe method) needs the permission the table
below gives its path; the first matching prefix wins and anything unlisted needs "edit", so a
new screen or endpoint is closed to agents and viewers until someone decides otherwise.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied

from channels_app.models import Membership, Workspace

Role = Membership.Role

# permission -> roles that have it
GRANTS: dict[str, set[str]] = {
    "read": {Role.ADMIN, Role.EDITOR, Role.AGENT, Role.VIEWER},
    "tickets": {Role.ADMIN, Role.EDITOR, Role.AGENT},  # open, answer, note, assign, close
    "edit": {Role.ADMIN, Role.EDITOR},  # channels, flows, contacts, campaigns, everything else
    "members": {Role.ADMIN},  # members, roles, invitations
    "settings": {Role.ADMIN},  # the workspace's own name and time zone
}

# (path pattern, permission) for unsafe methods; None = not a member action (own auth or public)
RULES: list[tuple[re.Pattern[str], str | None]] = [
    (re.compile(p), perm)
    for p, perm in [
        (r"^/(c|rest|oauth|demo)/", None),  # aggregators, handler apps: authenticated their own way
        (r"^/(login|logout)/", None),
        (r"^/invitations/", None),  # accepting an invitation: the token is the permission
        (r"^/workspaces/switch$", "read"),  # membership of the target is checked by the view
        (r"^/tickets/", "tickets"),
        (r"^/contacts/[0-9a-f-]+/tickets$", "tickets"),
        (r"^/settings/members/", "members"),
        (r"^/settings/workspace/", "settings"),
        (r"^/api/v1/workspace(/|$)", "settings"),
        (r"^/api/v1/(tickets|ticket_actions)(/|$)", "tickets"),
        (r"^/api/v1/(members|invitations)(/|$)", "members"),
    ]
]

SAFE = ("GET", "HEAD", "OPTIONS")


def permission_for(method: str, path: str) -> str | None:
    if method.upper() in SAFE:
        return "read"
    for pattern, perm in RULES:
        if pattern.search(path):
            return perm
    return "edit"


def role_of(*, user: Any, workspace: Workspace) -> str | None:
    """The user's role in the workspace; None when they are not a member."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(user=user, workspace=workspace).values_list("role", flat=True).first()


def token_role(token: Any) -> str:
    """An API key acts with its owner's role; a key without an owner (createworkspace without
    an email) is the workspace's own, so it is an administrator's."""
    if getattr(token, "user_id", None) is None:
        return Role.ADMIN
    return role_of(user=token.user, workspace=token.workspace) or Role.VIEWER


def can(role: str | None, permission: str) -> bool:
    return role is not None and role in GRANTS.get(permission, set())


def check(*, role: str | None, method: str, path: str) -> str | None:
    """The permission missing for this request, or None when it may go on."""
    permission = permission_for(method, path)
    if permission is None or can(role, permission):
        return None
    return permission


def request_role(request: Any) -> str | None:
    """The role the UI request acts with (cached on the request)."""
    if not hasattr(request, "_flowgate_role"):
        from web.requests import current_workspace

        workspace = current_workspace(request)
        request._flowgate_role = role_of(user=request.user, workspace=workspace) if workspace else None
    return request._flowgate_role


def require(request: Any, permission: str) -> None:
    """For views that decide on something besides the method and path (rarely needed)."""
    if not can(request_role(request), permission):
        raise PermissionDenied(f"your role may not do this ({permission})")


class RoleMiddleware:
    """Applies the table to the UI's unsafe requests of logged-in users; the API does the same
    in its authentication (it knows API keys, this does not)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        if (
            request.method not in SAFE
            and not request.path.startswith("/api/")
            and request.user.is_authenticated
        ):
            missing = check(role=request_role(request), method=request.method, path=request.path)
            if missing is not None:
                raise PermissionDenied(f"your role may not do this (needs {missing})")
        return self.get_response(request)
