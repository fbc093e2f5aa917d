"""The typed request of workspace-scoped code, and the one way a screen finds its workspace.

The API's auth (web/api/auth.py) admits a request for one workspace and sets `.workspace`;
endpoints take a `WorkspaceRequest` so the attribute is typed instead of ignored. Screens are
signed-in pages: `user_workspace` is the member's current workspace (the one they switched to in
the header, else their first), or a 404 for a user without one.
"""

from __future__ import annotations

from typing import Any, cast

from django.http import Http404, HttpRequest

from channels_app.models import Workspace
from channels_app.workspaces import workspace_for_user

# The session key holding the uuid of the workspace a member of several chose (header switcher).
SESSION_KEY = "flowgate_workspace"


class WorkspaceRequest(HttpRequest):
    """A request admitted for one workspace (only `admit` makes one)."""

    workspace: Workspace


def admit(request: HttpRequest, workspace: Workspace) -> WorkspaceRequest:
    admitted = cast(WorkspaceRequest, request)
    admitted.workspace = workspace
    return admitted


def current_workspace(request: HttpRequest) -> Workspace | None:
    """The workspace a signed-in request acts in: the one chosen in the session if the user is
    still a member of it (checked on every request), else their first; None for a non-member."""
    if not hasattr(request, "_flowgate_workspace"):
        session = getattr(request, "session", None)
        chosen = session.get(SESSION_KEY) if session is not None else None
        user = getattr(request, "user", None)
        found = workspace_for_user(user, chosen) if user is not None and user.is_authenticated else None
        request._flowgate_workspace = found  # type: ignore[attr-defined]
    return request._flowgate_workspace  # type: ignore[attr-defined,no-any-return]


def user_workspace(request: HttpRequest) -> Workspace:
    """The signed-in user's workspace; a 404 for a user who is a member of none."""
    workspace = current_workspace(request)
    if workspace is None:
        raise Http404("you are not a member of any workspace")
    return workspace


def scope_workspace(scope: Any) -> Workspace | None:
    """A websocket's workspace, chosen as for a page (the session is read here, in sync code:
    loading it touches the database)."""
    user = scope.get("user")
    if user is None or not user.is_authenticated:
        return None
    session = scope.get("session")
    return workspace_for_user(user, session.get(SESSION_KEY) if session is not None else None)
