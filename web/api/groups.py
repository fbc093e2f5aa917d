"""Contact groups: list, create, rename, delete, and add or remove members."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Router, Schema

from channels_app.models import ContactGroup
from channels_app.services import groups as group_service
from web.api.common import get_or_404
from web.api.schemas import ErrorOut
from web.requests import WorkspaceRequest

router = Router(tags=["groups"])


class GroupIn(Schema):
    name: str
    query: str = ""  # a smart group: members follow this contact query


class GroupPatch(Schema):
    name: str | None = None
    query: str | None = None  # smart groups only; members are recomputed in the background


class GroupOut(Schema):
    uuid: str
    name: str
    query: str | None  # set on computed (smart) groups, whose members can't be changed by hand
    count: int  # how many contacts are members
    status: str  # "ready", or "evaluating" while a smart group's members are being recomputed
    created_on: datetime


class MembersIn(Schema):
    add: list[str] = []  # contact uuids
    remove: list[str] = []


class MembersOut(GroupOut):
    added: int
    removed: int


def _group(request: WorkspaceRequest, group_uuid: str) -> ContactGroup:
    found = get_or_404(ContactGroup, request, group_uuid)
    return group_service.list_groups(workspace=request.workspace).get(id=found.id)


@router.get("", response=list[GroupOut], summary="List groups", description="By name, with member counts.")
def list_groups(request: WorkspaceRequest) -> list[dict[str, Any]]:
    return [group_service.group_payload(g) for g in group_service.list_groups(workspace=request.workspace)]


@router.post(
    "",
    response={201: GroupOut, 400: ErrorOut},
    summary="Create a group",
    description="Names are unique in the workspace without regard to case. With `query` (RapidPro's "
    "contact query language) it is a smart group: its members are computed in the background and "
    "then follow the query as contacts change.",
)
def create_group(request: WorkspaceRequest, payload: GroupIn) -> Any:
    try:
        workspace = request.workspace
        group = group_service.create_group(workspace=workspace, name=payload.name, query=payload.query)
    except group_service.GroupError as exc:
        return 400, {"error": str(exc)}
    return 201, group_service.group_payload(group)


@router.get("/{group_uuid}", response={200: GroupOut, 404: ErrorOut}, summary="Get a group")
def get_group(request: WorkspaceRequest, group_uuid: str) -> Any:
    return group_service.group_payload(_group(request, group_uuid))


@router.patch(
    "/{group_uuid}",
    response={200: GroupOut, 400: ErrorOut, 404: ErrorOut},
    summary="Rename a group or change a smart group's query",
)
def rename_group(request: WorkspaceRequest, group_uuid: str, payload: GroupPatch) -> Any:
    group = _group(request, group_uuid)
    try:
        if payload.name is not None:
            group_service.rename_group(group=group, name=payload.name)
        if payload.query is not None:
            group_service.set_query(group=group, query=payload.query)
    except group_service.GroupError as exc:
        return 400, {"error": str(exc)}
    return group_service.group_payload(group)


@router.delete(
    "/{group_uuid}",
    response={204: None, 404: ErrorOut},
    summary="Delete a group",
    description="The contacts stay; their membership and triggers' references to the group go.",
)
def delete_group(request: WorkspaceRequest, group_uuid: str) -> Any:
    group_service.delete_group(group=get_or_404(ContactGroup, request, group_uuid))
    return 204, None


@router.post(
    "/{group_uuid}/contacts",
    response={200: MembersOut, 400: ErrorOut, 404: ErrorOut},
    summary="Add or remove members",
    description="Contacts by uuid, at most 1000 per list; all or nothing: an unknown contact "
    "(another workspace's too) is a 400 and nothing changes. List the members with "
    "`GET /api/v1/contacts?group=<uuid>`.",
)
def change_members(request: WorkspaceRequest, group_uuid: str, payload: MembersIn) -> Any:
    group = _group(request, group_uuid)
    try:
        added, removed = group_service.change_members(group=group, add=payload.add, remove=payload.remove)
    except group_service.GroupError as exc:
        return 400, {"error": str(exc)}
    return {**group_service.group_payload(_group(request, group_uuid)), "added": added, "removed": removed}
