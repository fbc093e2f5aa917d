"""The typed request of workspace-scoped code, and the one way a screen finds its workspace.

The API's auth (web/api/auth.py) admits a request for one workspace and sets `.workspace`;
endpoints take a `WorkspaceRequest` so the attribute is typed instead of ignored. Screens are
signed-in pages: `user_workspace` is the member's workspace, or a 404 for a user without one.
"""

from __future__ import annotations

from typing import cast

from django.http import Http404, HttpRequest

from channels_app.models import Workspace
from channels_app.workspaces import workspace_for_user


class WorkspaceRequest(HttpRequest):
    """A request admitted for one workspace (only `admit` makes one)."""

    workspace: Workspace


def admit(request: HttpRequest, workspace: Workspace) -> WorkspaceRequest:
    admitted = cast(WorkspaceRequest, request)
    admitted.workspace = workspace
    return admitted


def user_workspace(request: HttpRequest) -> Workspace:
    """The signed-in user's workspace; a 404 for a user who is a member of none."""
    workspace = workspace_for_user(request.user)
    if workspace is None:
        raise Http404("you are not a member of any workspace")
    return workspace
