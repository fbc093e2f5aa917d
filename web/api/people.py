"""Contact imports, bulk contact actions, labels and message actions (RapidPro API v2 shapes)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from channels_app.models import ContactImport, Label
from channels_app.services import contact_import as import_service
from channels_app.services import labels as label_service
from flows.services import contact_actions
from web.api.common import get_or_404
from web.api.schemas import ErrorOut
from web.requests import WorkspaceRequest

imports_router = Router(tags=["contacts"])
contact_actions_router = Router(tags=["contacts"])
labels_router = Router(tags=["messages"])
message_actions_router = Router(tags=["messages"])


class ImportError(Schema):
    row: int | None
    message: str


class ImportOut(Schema):
    uuid: str
    status: str  # preview pending validating importing complete failed
    progress: int  # percent
    filename: str
    rows: int
    counts: dict[str, int]  # created, updated, errors
    errors: list[ImportError]
    fields: list[dict[str, Any]]
    groups: list[str]
    created_on: datetime
    finished_on: datetime | None


@imports_router.post(
    "",
    response={202: ImportOut, 400: ErrorOut},
    summary="Import contacts from CSV or XLSX",
    description="Multipart `file` with RapidPro's columns (`URN:tel`, `Name`, `Language`, `UUID`, "
    "`Status`, `Field:<key or name>`, `Group:<name>`; a value `--` clears). Optional `groups` "
    "(comma-separated names, created when missing) adds everyone to them; optional `field_types` "
    '(JSON, e.g. `{"edd": "datetime"}`) types the fields the import creates (text otherwise). '
    "A bad header is refused here; rows are checked by the job: any bad row fails the import "
    "whole (nothing is written) with `errors` naming spreadsheet rows (header = row 1). "
    "Follow it with `GET /api/v1/contacts/imports/<uuid>`.",
)
def create_import(
    request: WorkspaceRequest,
    file: UploadedFile = File(...),  # noqa: B008
    groups: str = Form(""),  # noqa: B008
    field_types: str = Form(""),  # noqa: B008
) -> Any:
    try:
        types = json.loads(field_types) if field_types.strip() else {}
    except ValueError:
        return 400, {"error": "field_types is a JSON object of field key -> type"}
    if not isinstance(types, dict):
        return 400, {"error": "field_types is a JSON object of field key -> type"}
    if (file.size or 0) > import_service.MAX_FILE_BYTES:
        return 400, {"error": "the file is larger than 50 MB"}
    try:
        imp = import_service.upload(
            workspace=request.workspace,
            filename=file.name or "contacts.csv",
            content=file.read(),
            user_id=request.user.pk
            if getattr(request, "user", None) and request.user.is_authenticated
            else None,
            field_types={str(k): str(v) for k, v in types.items()},
            groups=[g for g in groups.split(",") if g.strip()],
        )
    except import_service.ImportError_ as exc:
        return 400, {"error": str(exc)}
    return 202, import_service.import_payload(imp)


@imports_router.get(
    "/{import_uuid}",
    response={200: ImportOut, 404: ErrorOut},
    summary="An import's status and progress",
)
def get_import(request: WorkspaceRequest, import_uuid: str) -> Any:
    return import_service.import_payload(get_or_404(ContactImport, request, import_uuid))


class ContactActionIn(Schema):
    contacts: list[str] = []  # contact uuids (at most 1000)
    query: str = ""  # instead of contacts: every contact matching this query
    action: str
    group: str = ""  # uuid or name, for add / remove


class ActionOut(Schema):
    action: str
    affected: int


@contact_actions_router.post(
    "",
    response={200: ActionOut, 400: ErrorOut},
    summary="Act on many contacts",
    description="`action`: add, remove (to/from `group`, a hand-managed group), block, unblock, "
    "archive, restore, delete, interrupt (end their waiting flows). `contacts` lists uuids; or give "
    "`query` (the contact query language) to act on every contact matching it. All or nothing.",
)
def contact_action(request: WorkspaceRequest, payload: ContactActionIn) -> Any:
    workspace = request.workspace
    try:
        selected = contact_actions.select(
            workspace=workspace, contact_uuids=payload.contacts, query=payload.query
        )
        return contact_actions.apply(
            workspace=workspace, contacts=selected, action=payload.action, group=payload.group
        )
    except contact_actions.ActionError as exc:
        return 400, {"error": str(exc)}


class LabelIn(Schema):
    name: str


class LabelOut(Schema):
    uuid: str
    name: str
    count: int


@labels_router.get("", response=list[LabelOut], summary="List labels")
def list_labels(request: WorkspaceRequest) -> list[dict[str, Any]]:
    return [label_service.label_payload(lb) for lb in label_service.list_labels(workspace=request.workspace)]


@labels_router.post("", response={201: LabelOut, 400: ErrorOut}, summary="Create a label")
def create_label(request: WorkspaceRequest, payload: LabelIn) -> Any:
    try:
        label = label_service.create_label(workspace=request.workspace, name=payload.name)
    except label_service.LabelError as exc:
        return 400, {"error": str(exc)}
    return 201, label_service.label_payload(label)


@labels_router.delete("/{label_uuid}", response={204: None, 404: ErrorOut}, summary="Delete a label")
def delete_label(request: WorkspaceRequest, label_uuid: str) -> Any:
    get_or_404(Label, request, label_uuid).delete()
    return 204, None


class MessageActionIn(Schema):
    messages: list[str]
    action: str
    label: str = ""


@message_actions_router.post(
    "",
    response={200: ActionOut, 400: ErrorOut},
    summary="Label, unlabel, archive, restore or delete messages",
    description="`messages`: uuids (at most 1000, all of this workspace); `label` (uuid or name) for "
    "label / unlabel, which apply to inbound messages. Archived messages leave the inbox "
    "(`GET /api/v1/messages?folder=archived` lists them); deleted ones leave every list.",
)
def message_action(request: WorkspaceRequest, payload: MessageActionIn) -> Any:
    try:
        affected = label_service.message_action(
            workspace=request.workspace,
            msg_uuids=payload.messages,
            action=payload.action,
            label=payload.label,
        )
    except label_service.LabelError as exc:
        return 400, {"error": str(exc)}
    return {"action": payload.action, "affected": affected}
