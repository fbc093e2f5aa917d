"""`/api/v1/workspace`: the workspace the key (or login) acts for: its name and time zone.

Reading is open to every member; changing it is an administrator's (web.permissions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Router, Schema

from channels_app import workspaces
from web.api.schemas import ErrorOut
from web.requests import WorkspaceRequest

router = Router(tags=["workspace"])


class WorkspaceOut(Schema):
    uuid: str
    name: str
    timezone: str  # IANA name: campaign delivery hours and dates without an offset are read in it
    created_on: datetime


class WorkspacePatch(Schema):
    name: str | None = None
    timezone: str | None = None


@router.get("", response=WorkspaceOut, summary="Get the workspace")
def get_workspace(request: WorkspaceRequest) -> dict[str, Any]:
    return workspaces.workspace_payload(request.workspace)


@router.patch(
    "",
    response={200: WorkspaceOut, 400: ErrorOut, 403: ErrorOut},
    summary="Change the workspace's name or time zone",
    description="Administrators only. `timezone` is an IANA name (`Africa/Kigali`, `UTC`); "
    "changing it recomputes every pending campaign fire (delivery hours are local) in the "
    "background, and quiet hours without a zone of their own follow it.",
)
def patch_workspace(request: WorkspaceRequest, payload: WorkspacePatch) -> Any:
    try:
        workspace = workspaces.update_workspace(
            workspace=request.workspace, name=payload.name, timezone=payload.timezone
        )
    except workspaces.WorkspaceError as exc:
        return 400, {"error": str(exc)}
    return 200, workspaces.workspace_payload(workspace)
